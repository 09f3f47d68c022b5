"""Every write about dues: bases, monthly bills, payments, remittances, allocations and expenses.

Each service takes an ``Actor``, checks that the actor may change records of the org concerned, applies the
rules of ``dues/rules.py`` and writes the audit entry, inside one transaction. Billing is set-based: one
query selects the members who owe dues for the month and have no bill yet, amounts are computed with
``Decimal`` and the bills are written in chunks (COPY on PostgreSQL); the unique (member, month) constraint
and the "no bill yet" filter make a second run create nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.access import CHANGE, path_in_scope, subtree_q
from dangjian.core.audit import Actor
from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.importing import allocate_ids, insert_rows, refresh_statistics
from dangjian.core.rules import blocking
from dangjian.dues import indicators, rules
from dangjian.dues.models import (
    FIXED_TYPES,
    Allocation,
    DuesBase,
    DuesBill,
    DuesPayment,
    DuesRollup,
    DuesStandard,
    DuesSubtreeRollup,
    Expense,
    MemberType,
    PaymentKind,
    PaymentMethod,
    Relief,
    Remittance,
)
from dangjian.members.models import Member, Transfer, TransferDirection, TransferStatus
from dangjian.orgs.models import Org
from dangjian.orgs.rules import temporary_branch_restriction
from dangjian.reports.subtrees import (
    differences_by_period,
    insert_subtrees,
    listed,
    move_subtree,
    rebuilding,
    recount_direct_rows,
    union_side,
)

BILL_CHUNK = 5000
ADVANCE_MONTHS = 3  # 第十二条: quarterly in special cases, with the branch's consent


def today() -> date:
    return timezone.localdate()


def require_change(actor: Actor, org: Org, what: str = "管理党费") -> None:
    if actor.is_system:
        return
    if not path_in_scope(actor.user, org.path, CHANGE):
        raise NotPermitted(f"您没有在“{org.name}”{what}的权限。")


def money(value, field_name: str, label: str, *, required: bool = True, positive: bool = False):
    """A Decimal amount from a Decimal, an int or a text; floats are refused (they cannot hold 0.1 exactly)."""
    if value is None or value == "":
        if required:
            raise ServiceError(f"{label}不能为空。", field=field_name)
        return None
    if isinstance(value, float):
        raise ServiceError(f"{label}必须以精确的十进制数提供。", field=field_name)
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ServiceError(f"{label}“{value}”不是有效的金额。", field=field_name) from None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise ServiceError(f"{label}必须{'大于' if positive else '不小于'}0。", field=field_name)
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(f"{label}最多保留两位小数(分)。", field=field_name)
    if amount >= Decimal("1e10"):
        raise ServiceError(f"{label}过大。", field=field_name)
    return amount.quantize(Decimal("0.01"))


def check_month(value, field_name: str = "month") -> date:
    if isinstance(value, str):
        try:
            return rules.parse_month(value)
        except ValueError as error:
            raise ServiceError(str(error), field=field_name) from None
    if not isinstance(value, date):
        raise ServiceError("月份格式不正确,应为 YYYY-MM。", field=field_name)
    return rules.month_of(value)


# --- standards ------------------------------------------------------------------------------------------


@dataclass
class StandardInForce:
    standard: DuesStandard
    bands: list[rules.Band]


def standard_for(month: date) -> StandardInForce:
    """The standard in force in ``month`` with its bands (RULES.md: apply the set in force on the fact's date)."""
    standard = (
        DuesStandard.objects.filter(effective_from__lt=rules.add_months(month, 1))
        .order_by("-effective_from")
        .first()
    )
    if standard is None:
        raise ServiceError(f"{month:%Y年%m月}没有施行中的党费交纳标准。", field="month")
    bands = [
        rules.Band(b.member_type, b.upper_bound, b.rate, b.fixed_min, b.fixed_max)
        for b in standard.bands.all()
    ]
    return StandardInForce(standard, bands)


# --- bases ----------------------------------------------------------------------------------------------


def base_state(item: DuesBase) -> dict:
    return {
        "member_id": item.member_id,
        "member_type": item.member_type,
        "effective_month": item.effective_month,
        "base": item.base,
        "fixed_amount": item.fixed_amount,
        "relief": item.relief,
        "reduced_amount": item.reduced_amount,
        "relief_approved_by": item.relief_approved_by,
        "relief_document": item.relief_document,
    }


def _text(value, field_name: str, label: str, max_length: int, required: bool = False) -> str:
    value = ("" if value is None else str(value)).strip()
    if required and not value:
        raise ServiceError(f"{label}不能为空。", field=field_name)
    if len(value) > max_length:
        raise ServiceError(f"{label}不能超过{max_length}个字。", field=field_name)
    return value


@transaction.atomic
def declare_base(
    actor: Actor,
    member: Member,
    *,
    member_type: str,
    effective_month,
    base=None,
    fixed_amount=None,
    relief: str = Relief.NONE,
    reduced_amount=None,
    relief_decided_on: date | None = None,
    relief_approved_by: str = "",
    relief_approved_on: date | None = None,
    relief_document: str = "",
    note: str = "",
) -> DuesBase:
    """Record a member's base from a month on (第十条: from the month the new pay is first received)."""
    member = Member.objects.select_related("org").get(pk=member.pk)
    require_change(actor, member.org, "登记党费基数")
    if member_type not in MemberType.values:
        raise ServiceError(f"党员类型“{member_type}”无效。", field="member_type")
    month = check_month(effective_month, "effective_month")
    if relief not in Relief.values:
        raise ServiceError(f"困难减免“{relief}”无效。", field="relief")
    item = DuesBase(
        member=member,
        member_type=member_type,
        effective_month=month,
        relief=relief,
        relief_decided_on=relief_decided_on,
        relief_approved_by=_text(relief_approved_by, "relief_approved_by", "批准的上级党委", 120),
        relief_approved_on=relief_approved_on,
        relief_document=_text(relief_document, "relief_document", "批准文号", 60),
        note=_text(note, "note", "说明", 200),
        recorded_by=actor.user,
    )
    if member_type in FIXED_TYPES:
        item.fixed_amount = money(fixed_amount, "fixed_amount", "每月交纳额", required=False)
    else:
        item.base = money(base, "base", "月交纳基数")
    # 第七条: the branch decides and the upper committee approves; both are part of the record.
    if relief != Relief.NONE and not (relief_decided_on and item.relief_approved_by and relief_approved_on):
        raise ServiceError(
            "少交或免交须经支部研究决定并报上级党委批准,请填写支部决定日期、批准的上级党委和批准日期。",
            field="relief_approved_by",
        )
    if relief == Relief.REDUCED:
        item.reduced_amount = money(reduced_amount, "reduced_amount", "减免后每月交纳额")
    try:
        rules.dues_amount(
            standard_for(month).bands,
            member_type,
            base=item.base,
            fixed_amount=item.fixed_amount,
            relief=relief,
            reduced_amount=item.reduced_amount,
        )
    except ValueError as error:
        field_name = "reduced_amount" if relief == Relief.REDUCED else "fixed_amount"
        raise ServiceError(str(error), field=field_name) from None
    item.save()
    audit.record(actor, "dues.base_declare", item, org=member.org, after=base_state(item))
    return item


def charge_of(bands: list[rules.Band], item: DuesBase) -> rules.Charge:
    return rules.dues_amount(
        bands,
        item.member_type,
        base=item.base,
        fixed_amount=item.fixed_amount,
        relief=item.relief,
        reduced_amount=item.reduced_amount,
    )


# --- monthly bills --------------------------------------------------------------------------------------


def billing_candidates(month: date, within: Org | None = None):
    """Members who owe dues for ``month`` and have no bill for it yet, annotated with ``bill_org_id``
    (the org holding them on the month's first day) and ``base_id`` (the base in force that month).

    Members in transit stay with the sending org (``Member.org``) until the receiver accepts; a transfer
    accepted after the month's first day leaves that month with the sender. Exited members are billed up to
    their exit month; probationary members from the month of admission (第八条); suspended members not.
    """
    next_month = rules.add_months(month, 1)
    moved_later = Transfer.objects.filter(
        member=OuterRef("pk"),
        direction=TransferDirection.WITHIN,
        status=TransferStatus.ACCEPTED,
        accepted_on__gt=month,
    ).order_by("accepted_on", "pk")
    base_in_force = DuesBase.objects.filter(member=OuterRef("pk"), effective_month__lte=month).order_by(
        "-effective_month", "-pk"
    )
    members = (
        Member.objects.filter(category__in=("probationary", "full"))
        .exclude(status="suspended")
        .filter(Q(joined_on__isnull=True) | Q(joined_on__lt=next_month))
        .filter(Q(on_roll=True) | Q(left_on__gte=month))
        .filter(~Exists(DuesBill.objects.filter(member=OuterRef("pk"), month=month)))
    )
    if within is not None:
        members = members.filter(
            subtree_q("org__path", within.path)
            | Exists(moved_later.filter(subtree_q("from_org__path", within.path)))
        )
    return members.annotate(
        moved_from=Subquery(moved_later.values("from_org_id")[:1]),
        base_id=Subquery(base_in_force.values("pk")[:1]),
    )


@dataclass
class BillingResult:
    month: date
    created: int = 0
    missing_base: int = 0
    skipped_temporary: int = 0
    missing_base_ids: list[int] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = f"{self.month:%Y年%m月}:新生成应交党费 {self.created} 笔"
        if self.missing_base:
            text += f",{self.missing_base} 名党员尚未登记交纳基数(补登后再次生成即可)"
        return text + "。"


BASE_FIELDS = ("pk", "member_type", "base", "fixed_amount", "relief", "reduced_amount")


def _bill_rows(candidates, month: date, within: Org | None, result: BillingResult) -> Iterable[list[dict]]:
    """Chunks of bill rows for the candidates; the amounts are computed in Python with Decimal.

    Charges are memoized per distinct (type, base, fixed amount, relief, reduced amount): a million members
    share a few thousand distinct bases, so the rate table is walked a few thousand times, not a million.
    """
    force = standard_for(month)
    orgs = {pk: (path, kind) for pk, path, kind in Org.objects.values_list("pk", "path", "kind")}
    table = rules.RateTable(force.bands)
    charges: dict[tuple, rules.Charge] = {}
    now = timezone.now()
    rows_iter = candidates.order_by("pk").values_list("pk", "org_id", "moved_from", "base_id")
    chunk: list[tuple] = []

    def flush():
        ids = [c[2] for c in chunk if c[2] is not None]
        bases = {row[0]: row[1:] for row in DuesBase.objects.filter(pk__in=ids).values_list(*BASE_FIELDS)}
        rows = []
        for member_id, org_id, base_id in chunk:
            if base_id is None:
                result.missing_base += 1
                if len(result.missing_base_ids) < 1000:
                    result.missing_base_ids.append(member_id)
                continue
            key = bases[base_id]
            charge = charges.get(key)
            if charge is None:
                member_type, base, fixed_amount, relief, reduced_amount = key
                charge = charges[key] = table.charge(
                    member_type,
                    base=base,
                    fixed_amount=fixed_amount,
                    relief=relief,
                    reduced_amount=reduced_amount,
                )
            rows.append(
                {
                    "member_id": member_id,
                    "org_id": org_id,
                    "month": month,
                    "member_type": key[0],
                    "base": key[1],
                    "rate": charge.rate,
                    "amount": charge.amount,
                    "standard_id": force.standard.pk,
                    "dues_base_id": base_id,
                    "paid_on": None,
                    "payment_id": None,
                    "created_at": now,
                }
            )
        return rows

    # Read every candidate before the first insert: a cursor read while the same table fills could be
    # planned as a probe of the month's bills per member, which grows with every chunk written.
    for member_id, org_id, moved_from, base_id in list(rows_iter):
        bill_org = moved_from or org_id
        path, kind = orgs[bill_org]
        if within is not None and not path.startswith(within.path):
            continue
        if temporary_branch_restriction(kind, "dues"):
            result.skipped_temporary += 1
            continue
        chunk.append((member_id, bill_org, base_id))
        if len(chunk) >= BILL_CHUNK:
            yield flush()
            chunk = []
    if chunk:
        yield flush()


BILL_COLUMNS = (
    "member_id",
    "org_id",
    "month",
    "member_type",
    "base",
    "rate",
    "amount",
    "standard_id",
    "dues_base_id",
    "paid_on",
    "payment_id",
    "created_at",
)


def write_bills(rows: list[dict]) -> None:
    """Insert bill rows: COPY with the values as they are on PostgreSQL (psycopg adapts Decimal, date and
    datetime itself), ``core.importing.insert_rows`` elsewhere."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        insert_rows(DuesBill, rows)
        return
    columns = ", ".join(connection.ops.quote_name(DuesBill._meta.get_field(c).column) for c in BILL_COLUMNS)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY dues_duesbill ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row[c] for c in BILL_COLUMNS))


@transaction.atomic
def bill_month(actor: Actor, within: Org | None, month) -> BillingResult:
    """Create the month's bills of every member in ``within``'s subtree (all orgs when None), once.

    A second run creates nothing: members already billed for the month are not selected, and the unique
    (member, month) constraint guards the rest. Runs are serialized by a lock on the standard's row.
    """
    month = check_month(month)
    if within is not None:
        require_change(actor, within, "生成应交党费")
    elif not actor.is_system:
        raise NotPermitted("只有系统任务可以为全部党组织生成应交党费。")
    force = standard_for(month)
    DuesStandard.objects.select_for_update().filter(pk=force.standard.pk).first()
    result = BillingResult(month)
    billed: set[int] = set()
    for rows in _bill_rows(billing_candidates(month, within), month, within, result):
        write_bills(rows)
        result.created += len(rows)
        billed.update(row["org_id"] for row in rows)
    recount_dues((org_id, month) for org_id in billed)
    if result.created >= settings.IMPORT_ANALYZE_ROWS:
        refresh_statistics([DuesBill._meta.db_table])  # the next run's "not billed yet" check needs them
    audit.record(
        actor,
        "dues.bill_month",
        force.standard,
        org=within,
        after={
            "month": month,
            "created": result.created,
            "missing_base": result.missing_base,
            "within": within.path if within else "",
        },
    )
    return result


def _bills_for(member: Member, months: list[date]) -> dict[date, DuesBill]:
    """The member's bills for ``months``, creating those not billed yet (paying in advance or for a month
    the monthly run has not reached). A month the member owes nothing for is refused."""
    bills = {b.month: b for b in DuesBill.objects.select_for_update().filter(member=member, month__in=months)}
    for month in months:
        if month in bills:
            continue
        result = BillingResult(month)
        candidates = billing_candidates(month).filter(pk=member.pk)
        rows = [row for chunk in _bill_rows(candidates, month, None, result) for row in chunk]
        if not rows:
            reason = "尚未登记交纳基数" if result.missing_base else "该月无需交纳党费"
            raise ServiceError(f"“{member.name}”{month:%Y年%m月}{reason}。", field="first_month")
        bill = DuesBill(**rows[0])
        bill.save(force_insert=True)
        bills[month] = bill
    return bills


# --- payments -------------------------------------------------------------------------------------------


def payment_state(payment: DuesPayment) -> dict:
    return {
        "member_id": payment.member_id,
        "kind": payment.kind,
        "method": payment.method,
        "paid_on": payment.paid_on,
        "first_month": payment.first_month,
        "last_month": payment.last_month,
        "dues_amount": payment.dues_amount,
        "voluntary_amount": payment.voluntary_amount,
        "amount": payment.amount,
        "remit_in_full": payment.remit_in_full,
        "proxy_name": payment.proxy_name,
        "reference": payment.reference,
    }


@transaction.atomic
def record_payment(
    actor: Actor,
    member: Member,
    *,
    paid_on: date | None = None,
    method: str = PaymentMethod.CASH,
    first_month=None,
    last_month=None,
    voluntary_amount=0,
    proxy_name: str = "",
    advance_consent: bool = False,
    reference: str = "",
    note: str = "",
    expected_amount=None,
) -> DuesPayment:
    """The branch records a payment for the months ``first_month``…``last_month`` and/or a voluntary amount.

    Months after the payment's month are an advance: at most a quarter ahead, with the branch's consent
    (第十二条). Months more than 6 before it are a back payment that needs a written reason. A voluntary
    amount of 1000 yuan or more is marked to be remitted in full (第十一条). ``expected_amount``, when
    given (a bank statement line), must equal the total.
    """
    member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    org = member.org
    require_change(actor, org, "登记党费交纳")
    restriction = temporary_branch_restriction(org.kind, "dues")
    if restriction:
        raise ServiceError(restriction[0].message, field="member")
    paid_on = paid_on or today()
    if not isinstance(paid_on, date):
        raise ServiceError("交纳日期格式不正确。", field="paid_on")
    if paid_on > today():
        raise ServiceError("交纳日期不能晚于今天。", field="paid_on")
    if method not in PaymentMethod.values:
        raise ServiceError(f"交纳方式“{method}”无效。", field="method")
    voluntary = money(voluntary_amount or Decimal(0), "voluntary_amount", "自愿多交金额")
    note = _text(note, "note", "说明", 200)
    paid_month = rules.month_of(paid_on)
    months: list[date] = []
    if first_month or last_month:
        first = check_month(first_month or last_month, "first_month")
        last = check_month(last_month or first_month, "last_month")
        if last < first:
            raise ServiceError("截止月份早于起始月份。", field="last_month")
        months = rules.month_range(first, last)
    if not months and not voluntary:
        raise ServiceError("请填写交纳的月份,或自愿多交的金额。", field="first_month")
    if months:
        if months[-1] > paid_month:
            if not advance_consent:
                raise ServiceError("预交党费须经支部同意,请勾选“支部已同意预交”。", field="advance_consent")
            if rules.months_between(paid_month, months[-1]) > ADVANCE_MONTHS:
                raise ServiceError(f"预交最多预交{ADVANCE_MONTHS}个月(按季度)。", field="last_month")
        findings = rules.back_payment_findings(months[0], paid_on, note)
        if blocking(findings):
            raise ServiceError(findings[0].message, field="note", details={"rule": findings[0].rule_id})
    bills = _bills_for(member, months) if months else {}
    paid = [b for b in bills.values() if b.paid_on is not None]
    if paid:
        listed = "、".join(f"{b.month:%Y年%m月}" for b in sorted(paid, key=lambda b: b.month))
        raise ConflictError(f"“{member.name}”{listed}的党费已交纳。", field="first_month")
    dues = sum((b.amount for b in bills.values()), Decimal("0.00"))
    total = dues + voluntary
    if expected_amount is not None and money(expected_amount, "amount", "金额") != total:
        raise ServiceError(f"金额 {expected_amount} 元与应交 {total} 元不符。", field="amount")
    if not months:
        kind = PaymentKind.VOLUNTARY
    elif months[0] < paid_month:
        kind = PaymentKind.BACK_PAYMENT
    elif months[-1] > paid_month:
        kind = PaymentKind.ADVANCE
    else:
        kind = PaymentKind.MONTHLY
    payment = DuesPayment.objects.create(
        member=member,
        org=org,
        kind=kind,
        method=method,
        paid_on=paid_on,
        first_month=months[0] if months else None,
        last_month=months[-1] if months else None,
        dues_amount=dues,
        voluntary_amount=voluntary,
        amount=total,
        remit_in_full=rules.remit_in_full(voluntary),
        proxy_name=_text(proxy_name, "proxy_name", "代缴人", 50),
        reference=_text(reference, "reference", "凭证号", 60),
        note=note,
        recorded_by=actor.user,
    )
    if bills:
        DuesBill.objects.filter(pk__in=[b.pk for b in bills.values()]).update(
            paid_on=paid_on, payment=payment
        )
    recount_dues(bill_keys(bills.values()) | {payment_key(payment)})
    audit.record(actor, "dues.payment", payment, org=org, after=payment_state(payment))
    return payment


# --- remittance, allocation, expenses and the ledger ----------------------------------------------------


@dataclass
class Ledger:
    """An org's dues account: what came in and went out; ``balance`` is what it holds."""

    org: Org
    collected: Decimal
    received: Decimal
    allocated_in: Decimal
    remitted: Decimal
    allocated_out: Decimal
    spent: Decimal
    voluntary_in_full: Decimal

    @property
    def income(self) -> Decimal:
        return self.collected + self.received + self.allocated_in

    @property
    def outgo(self) -> Decimal:
        return self.remitted + self.allocated_out + self.spent

    @property
    def balance(self) -> Decimal:
        return self.income - self.outgo


def _sum(queryset, name: str = "amount") -> Decimal:
    # Quantized: SQLite hands sums back without trailing zeros.
    return Decimal(queryset.aggregate(total=Sum(name))["total"] or 0).quantize(Decimal("0.01"))


def ledger(org: Org, until: date | None = None) -> Ledger:
    def upto(qs, field_name):
        return qs.filter(**{f"{field_name}__lte": until}) if until else qs

    return Ledger(
        org=org,
        collected=_sum(upto(DuesPayment.objects.filter(org=org), "paid_on")),
        received=_sum(upto(Remittance.objects.filter(to_org=org), "remitted_on")),
        allocated_in=_sum(upto(Allocation.objects.filter(to_org=org), "allocated_on")),
        remitted=_sum(upto(Remittance.objects.filter(org=org), "remitted_on")),
        allocated_out=_sum(upto(Allocation.objects.filter(org=org), "allocated_on")),
        spent=_sum(upto(Expense.objects.filter(org=org), "spent_on")),
        voluntary_in_full=_sum(
            upto(DuesPayment.objects.filter(org=org, remit_in_full=True), "paid_on"), "voluntary_amount"
        ),
    )


def _lock_and_check_balance(org: Org, amount: Decimal, on: date) -> None:
    Org.objects.select_for_update().filter(pk=org.pk).first()  # one writer per org's account at a time
    balance = ledger(org).balance
    if amount > balance:
        raise ServiceError(f"“{org.name}”党费结存 {balance} 元,不足 {amount} 元。", field="amount")


def _when(value, field_name: str, label: str) -> date:
    value = value or today()
    if not isinstance(value, date):
        raise ServiceError(f"{label}格式不正确。", field=field_name)
    if value > today():
        raise ServiceError(f"{label}不能晚于今天。", field=field_name)
    return value


@transaction.atomic
def remit(
    actor: Actor, org: Org, *, amount, remitted_on=None, period: str = "", reference: str = "", note: str = ""
) -> Remittance:
    """The org hands dues up to its parent (上缴); never more than it holds."""
    require_change(actor, org, "登记党费上缴")
    parent = org.get_parent()
    if parent is None:
        raise ServiceError(f"“{org.name}”没有上级党组织。", field="org")
    amount = money(amount, "amount", "上缴金额", positive=True)
    remitted_on = _when(remitted_on, "remitted_on", "上缴日期")
    _lock_and_check_balance(org, amount, remitted_on)
    item = Remittance.objects.create(
        org=org,
        to_org=parent,
        amount=amount,
        remitted_on=remitted_on,
        period=_text(period, "period", "所属期间", 40),
        reference=_text(reference, "reference", "凭证号", 60),
        note=_text(note, "note", "说明", 200),
        recorded_by=actor.user,
    )
    audit.record(
        actor,
        "dues.remit",
        item,
        org=org,
        after={"to_org_id": parent.pk, "amount": amount, "on": remitted_on},
    )
    return item


@transaction.atomic
def allocate(
    actor: Actor, org: Org, to_org: Org, *, amount, purpose: str, allocated_on=None, document: str = ""
) -> Allocation:
    """An upper org hands dues down to an org of its subtree (下拨) for a stated purpose."""
    require_change(actor, org, "下拨党费")
    if to_org.pk == org.pk or not to_org.path.startswith(org.path):
        raise ServiceError("只能向本组织的下级党组织下拨党费。", field="to_org")
    amount = money(amount, "amount", "下拨金额", positive=True)
    allocated_on = _when(allocated_on, "allocated_on", "下拨日期")
    _lock_and_check_balance(org, amount, allocated_on)
    item = Allocation.objects.create(
        org=org,
        to_org=to_org,
        amount=amount,
        allocated_on=allocated_on,
        purpose=_text(purpose, "purpose", "用途", 200, required=True),
        document=_text(document, "document", "文号", 60),
        recorded_by=actor.user,
    )
    audit.record(
        actor,
        "dues.allocate",
        item,
        org=org,
        after={"to_org_id": to_org.pk, "amount": amount, "purpose": item.purpose},
    )
    return item


@transaction.atomic
def spend(
    actor: Actor,
    org: Org,
    *,
    amount,
    description: str,
    spent_on=None,
    allocation: Allocation | None = None,
) -> Expense:
    """Record what an org did with dues it holds (e.g. repairing service centres with an allocation)."""
    require_change(actor, org, "登记党费使用")
    amount = money(amount, "amount", "支出金额", positive=True)
    spent_on = _when(spent_on, "spent_on", "支出日期")
    if allocation is not None:
        if allocation.to_org_id != org.pk:
            raise ServiceError("所选下拨款不是拨给本组织的。", field="allocation")
        left = allocation.amount - _sum(allocation.expenses.all())
        if amount > left:
            raise ServiceError(f"该笔下拨款尚余 {left} 元,不足 {amount} 元。", field="amount")
    _lock_and_check_balance(org, amount, spent_on)
    item = Expense.objects.create(
        org=org,
        allocation=allocation,
        amount=amount,
        spent_on=spent_on,
        description=_text(description, "description", "用途说明", 200, required=True),
        recorded_by=actor.user,
    )
    audit.record(
        actor, "dues.spend", item, org=org, after={"amount": amount, "description": item.description}
    )
    return item


# --- taking back imported records (the import framework's undo) -----------------------------------------


def undo_blockers_of_base(item: DuesBase) -> list[str]:
    if item.bills.exists():
        return [f"“{item.member.name}”{item.effective_month:%Y年%m月}起的基数已用于生成应交党费。"]
    return []


@transaction.atomic
def remove_imported_base(actor: Actor, item: DuesBase) -> None:
    """Take back a base an import created, while no bill uses it."""
    item = DuesBase.objects.select_related("member__org").get(pk=item.pk)
    require_change(actor, item.member.org, "撤销导入的交纳基数")
    blockers = undo_blockers_of_base(item)
    if blockers:
        raise ConflictError(blockers[0])
    audit.record(actor, "dues.base_remove_imported", item, org=item.member.org, before=base_state(item))
    item.delete()


def undo_blockers_of_payment(payment: DuesPayment) -> list[str]:
    if (
        payment.remit_in_full
        and Remittance.objects.filter(org=payment.org, remitted_on__gte=payment.paid_on).exists()
    ):
        return [f"“{payment.member.name}”的自愿多交党费已登记上缴。"]
    return []


@transaction.atomic
def remove_imported_payment(actor: Actor, payment: DuesPayment) -> None:
    """Take back a payment an import recorded: its bills become unpaid again."""
    payment = DuesPayment.objects.select_related("org", "member").get(pk=payment.pk)
    require_change(actor, payment.org, "撤销导入的交纳记录")
    blockers = undo_blockers_of_payment(payment)
    if blockers:
        raise ConflictError(blockers[0])
    before = payment_state(payment)
    touched = bill_keys(payment.bills.all()) | {payment_key(payment)}
    payment.bills.update(paid_on=None, payment=None)
    audit.record(actor, "dues.payment_remove_imported", payment, org=payment.org, before=before)
    payment.delete()
    recount_dues(touched)


def oldest_unpaid_run(member: Member, amount: Decimal) -> tuple[date, date] | None:
    """The oldest unpaid months whose bills add up to exactly ``amount`` (matching a bank line), or None."""
    total = Decimal("0.00")
    bills = DuesBill.objects.filter(member=member, paid_on__isnull=True, amount__gt=0).order_by("month")
    first = None
    for bill in bills[:24]:
        first = first or bill.month
        total += bill.amount
        if total == amount:
            return first, bill.month
        if total > amount:
            return None
    return None


# --- bulk writes for generated data (demo) --------------------------------------------------------------


@transaction.atomic
def declare_bases_bulk(actor: Actor, items: list[dict], *, audited_as: Org) -> int:
    """Declare many bases at once (``member_id``, ``member_type``, ``effective_month``, ``base`` or
    ``fixed_amount``), each priced once against the standard so a wrong value is refused; one audit entry."""
    require_change(actor, audited_as, "登记党费基数")
    now = timezone.now()
    rows = []
    bands_of: dict[date, list] = {}  # the standard of each month, looked up once, not once per member
    for item in items:
        month = check_month(item["effective_month"], "effective_month")
        base = money(item.get("base"), "base", "月交纳基数", required=False)
        fixed = money(item.get("fixed_amount"), "fixed_amount", "每月交纳额", required=False)
        if month not in bands_of:
            bands_of[month] = standard_for(month).bands
        try:
            rules.dues_amount(bands_of[month], item["member_type"], base=base, fixed_amount=fixed)
        except ValueError as error:
            raise ServiceError(str(error), field="base") from None
        rows.append(
            DuesBase(
                member_id=item["member_id"],
                member_type=item["member_type"],
                effective_month=month,
                base=base,
                fixed_amount=fixed,
                recorded_by=actor.user,
                recorded_at=now,
            )
        )
    DuesBase.objects.bulk_create(rows, batch_size=2000)
    audit.record(actor, "dues.base_declare_bulk", audited_as, org=audited_as, after={"bases": len(rows)})
    return len(rows)


def _mark_paid(bills: list[DuesBill], paid_on: date) -> None:
    """Set each bill's payment in one ``executemany``: ``bulk_update`` builds a CASE WHEN per row, which took
    minutes for the city demo's 330,000 bills."""
    table = connection.ops.quote_name(DuesBill._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET paid_on = %s, payment_id = %s WHERE id = %s",
            [(connection.ops.adapt_datefield_value(paid_on), bill.payment_id, bill.pk) for bill in bills],
        )


@transaction.atomic
def settle_bills_bulk(
    actor: Actor, bills: list[DuesBill], *, paid_on: date, method: str, audited_as: Org
) -> int:
    """Record one monthly payment per unpaid bill given (generated data): each bill is paid in full on
    ``paid_on`` at the org that billed it; one audit entry."""
    require_change(actor, audited_as, "登记党费交纳")
    if method not in PaymentMethod.values:
        raise ServiceError(f"交纳方式“{method}”无效。", field="method")
    bills = [b for b in bills if b.paid_on is None and b.amount > 0]
    user_id = actor.user.pk if actor.user is not None else None
    # Plain rows with ids taken first (COPY on PostgreSQL): bulk_create's per-value preparation took most
    # of the city demo's time for its 330,000 payments.
    ids = allocate_ids(DuesPayment, len(bills))
    insert_rows(
        DuesPayment,
        [
            {
                "id": pk,
                "member_id": b.member_id,
                "org_id": b.org_id,
                "kind": PaymentKind.MONTHLY
                if rules.month_of(paid_on) == b.month
                else PaymentKind.BACK_PAYMENT,
                "method": method,
                "paid_on": paid_on,
                "first_month": b.month,
                "last_month": b.month,
                "dues_amount": b.amount,
                "voluntary_amount": Decimal("0.00"),
                "amount": b.amount,
                "recorded_by_id": user_id,
            }
            for pk, b in zip(ids, bills, strict=True)
        ],
    )
    for bill, pk in zip(bills, ids, strict=True):
        bill.paid_on, bill.payment_id = paid_on, pk
    _mark_paid(bills, paid_on)
    recount_dues(bill_keys(bills) | {(bill.org_id, rules.month_of(paid_on)) for bill in bills})
    audit.record(
        actor,
        "dues.payment_bulk",
        audited_as,
        org=audited_as,
        after={"payments": len(ids), "paid_on": paid_on},
    )
    return len(ids)


# --- the dues roll-ups ------------------------------------------------------------------------------------
#
# Every write of bills or payments above ends with ``recount_dues`` of the (org, month) it touched: a bill
# counts at its org in its month, a payment at its receiving org in the month it was paid. Recounting is
# the registry's own aggregates over those few rows (indicators.rollup_rows), so a kept row is by
# construction what the live query says; its difference goes up the tree to the subtree rows.


def bill_keys(bills: Iterable[DuesBill]) -> set[tuple[int, date]]:
    return {(bill.org_id, bill.month) for bill in bills}


def payment_key(payment: DuesPayment) -> tuple[int, date]:
    return payment.org_id, rules.month_of(payment.paid_on)


def recount_dues(keys: Iterable[tuple[int, date]]) -> None:
    """Bring the dues roll-ups of these (org id, month) up to date, inside the caller's transaction."""
    by_month: dict[date, set[int]] = {}
    for org_id, month in keys:
        by_month.setdefault(month, set()).add(org_id)
    if not by_month:
        return
    order = sorted((month, org_id) for month, org_ids in by_month.items() for org_id in org_ids)

    def count() -> dict[tuple, list]:
        new = {}
        for month, org_ids in sorted(by_month.items()):
            new.update(
                indicators.rollup_rows(
                    DuesBill.objects.filter(month=month, org_id__in=listed(org_ids)),
                    DuesPayment.objects.filter(
                        paid_on__gte=month, paid_on__lt=rules.add_months(month, 1), org_id__in=listed(org_ids)
                    ),
                )
            )
        return new

    recount_direct_rows(DuesRollup, DuesSubtreeRollup, indicators.NAMES, order, count)


def rebuild_dues_rollups() -> int:
    """Every dues roll-up row again from the bills and payments (``manage.py rebuild_rollups``, which
    audits it; the demo after writing its bills). Answers the rows written. The direct rows are one
    INSERT … SELECT of the registry's aggregates, the subtree rows one per depth: nothing through Python."""
    names = indicators.NAMES
    bills_sql, bills_params = indicators.bill_counts(DuesBill.objects.all()).query.sql_with_params()
    payments_sql, payments_params = indicators.payment_counts(
        DuesPayment.objects.all()
    ).query.sql_with_params()

    tables = [DuesRollup._meta.db_table, DuesSubtreeRollup._meta.db_table]
    with rebuilding(tables), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {tables[0]} (org_id, month, {', '.join(names)}) "
            f"SELECT u.org_id, u.month, {', '.join(f'SUM(u.{name})' for name in names)} FROM ("
            f"SELECT b.org_id AS org_id, b.month AS month, {union_side('b', indicators.BILL_COLUMNS.values(), names)} "
            f"FROM ({bills_sql}) b UNION ALL "
            f"SELECT p.org_id, p.month, {union_side('p', indicators.PAYMENT_COLUMNS.values(), names)} FROM ({payments_sql}) p"
            ") u GROUP BY u.org_id, u.month",
            (*bills_params, *payments_params),
        )
        written = cursor.rowcount
        return written + insert_subtrees(DuesSubtreeRollup, names, _direct_rows)


def _direct_rows(depth: int) -> tuple[str, tuple]:
    """The direct rows of the orgs at ``depth`` (``insert_subtrees``' own counts)."""
    columns = ", ".join(f"r.{name}" for name in indicators.NAMES)
    return (
        f"SELECT r.org_id, r.month, {columns} FROM {DuesRollup._meta.db_table} r "
        f"JOIN {Org._meta.db_table} d ON d.id = r.org_id WHERE d.depth = %s",
        (depth,),
    )


def rollup_differences() -> list[str]:
    """Where the kept dues roll-ups disagree with the bills and payments: a Chinese line per org, month
    and figure (``manage.py rebuild_rollups`` prints them)."""
    names = indicators.NAMES
    live = indicators.rollup_rows(DuesBill.objects.all(), DuesPayment.objects.all())
    kept = {
        (month, org_id): values
        for org_id, month, *values in DuesRollup.objects.values_list("org_id", "month", *names).iterator(
            chunk_size=5000
        )
    }
    zero = indicators.zero_row()
    found = []
    for month, org_id in sorted(set(live) | set(kept)):
        have, want = kept.get((month, org_id), zero), live.get((month, org_id), zero)
        for name, kept_value, live_value in zip(names, have, want, strict=True):
            if kept_value != live_value:
                found.append(
                    f"党组织 {org_id} {month:%Y年%m月}党费的 {name}:汇总 {kept_value},实际 {live_value}"
                )
    paths = dict(Org.objects.values_list("pk", "path").iterator(chunk_size=20000))
    by_month: dict[date, dict[str, list]] = {}
    for (month, org_id), values in live.items():
        by_month.setdefault(month, {})[paths[org_id]] = values
    what = "{:%Y年%m月}党费子树".format
    return found + differences_by_period(by_month, DuesSubtreeRollup, names, what, paths)


def on_org_moved(actor: Actor, org: Org, old_path: str) -> None:
    """orgs.services' move hook: the moved subtree's dues rows take the new paths, and its totals leave
    the old ancestors for the new ones."""
    move_subtree(DuesSubtreeRollup, indicators.NAMES, org, old_path)
