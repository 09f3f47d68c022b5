"""The figures of party dues in the indicator registry (reports).

Bills (月度应交) are counted by their month (the first day of the month lies in the period) under the org
that billed them (the member's org of record on the month's first day); payments (交纳记录) by the day
they were paid under the org that received them. Amounts are sums of ``Decimal`` columns, answered in
yuan with two decimals. The collection report (``dues:report``) reads its figures from here.
"""

from datetime import date
from decimal import Decimal

from django.db.models import DateField, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.urls import reverse

from dangjian.core.access import subtree_q
from dangjian.dues.models import DuesBill, DuesPayment, DuesRollup, DuesSubtreeRollup, PaymentKind
from dangjian.reports.registry import Indicator, Period, Source, get, money_sum, register
from dangjian.reports.subtrees import sees_whole_subtree

BILLS = Source(
    key="dues_bills",
    name="月度应交党费",
    model=DuesBill,
    path_lookup="org__path",
    base=lambda period: period.q("month"),
    select_related=("member", "org"),
    order_by=("-month", "org__path", "member__name_initials", "pk"),
    columns=(
        ("姓名", lambda b: b.member.name),
        ("月份", lambda b: f"{b.month:%Y-%m}"),
        ("应交(元)", lambda b: b.amount),
        ("交纳日期", lambda b: b.paid_on),
        ("党组织", lambda b: b.org.name),
    ),
    detail_url=lambda b: reverse("dues:member", args=[b.member_id]),
)

PAYMENTS = Source(
    key="dues_payments",
    name="党费交纳记录",
    model=DuesPayment,
    path_lookup="org__path",
    base=lambda period: period.q("paid_on"),
    select_related=("member", "org"),
    order_by=("-paid_on", "-pk"),
    columns=(
        ("姓名", lambda p: p.member.name),
        ("交纳日期", lambda p: p.paid_on),
        ("类型", lambda p: p.get_kind_display()),
        ("党费(元)", lambda p: p.dues_amount),
        ("自愿多交(元)", lambda p: p.voluntary_amount),
        ("合计(元)", lambda p: p.amount),
        ("收款党组织", lambda p: p.org.name),
    ),
    detail_url=lambda p: reverse("dues:member", args=[p.member_id]),
)


def fixed(condition: Q):
    return lambda period: condition


SETTLED = Q(paid_on__isnull=False) | Q(amount=0)
UNPAID = Q(paid_on__isnull=True)
BILLED = "月份在期间内的月度应交记录"
BILL_INDICATORS: list[Indicator] = []
BY_BILLER = "按开具应交记录的党组织(该月1日党员组织关系所在党组织)统计"

for key, name, description, unit, q, aggregate in (
    ("bills", "应交笔数", f"{BILLED}的笔数,{BY_BILLER}。", "笔", None, None),
    ("billed_amount", "应交党费", f"{BILLED}的应交金额之和,{BY_BILLER}。", "元", None, "amount"),
    (
        "settled_bills",
        "已交笔数",
        f"{BILLED}中已交纳(有交纳日期)或应交金额为零(免交)的笔数,{BY_BILLER}。",
        "笔",
        SETTLED,
        None,
    ),
    (
        "paid_amount",
        "已交党费",
        f"{BILLED}中已交纳(有交纳日期)的应交金额之和,{BY_BILLER}。",
        "元",
        Q(paid_on__isnull=False),
        "amount",
    ),
    (
        "unpaid_bills",
        "未交笔数",
        f"{BILLED}中尚未交纳且应交金额大于零的笔数,{BY_BILLER}。",
        "笔",
        UNPAID & Q(amount__gt=0),
        None,
    ),
    (
        "unpaid_amount",
        "未交党费",
        f"{BILLED}中尚未交纳的应交金额之和(应交党费减已交党费),{BY_BILLER}。",
        "元",
        UNPAID,
        "amount",
    ),
):
    BILL_INDICATORS.append(
        register(
            Indicator(
                f"dues.{key}",
                name,
                description,
                unit,
                BILLS,
                fixed(q) if q is not None else fixed(Q()),
                group="dues_bills",
                **({"aggregate": money_sum(aggregate), "places": 2} if aggregate else {}),
            )
        )
    )

ROLLED_BILLS = [indicator.key for indicator in BILL_INDICATORS]

BY_RECEIVER = "按收款党组织统计"
register(
    Indicator(
        "dues.payments",
        "交纳笔数",
        f"期间交纳日期的党费交纳记录笔数(按月交纳、预交、补交和自愿多交),{BY_RECEIVER}。",
        "笔",
        PAYMENTS,
        group="dues_payments",
    )
)
register(
    Indicator(
        "dues.received_amount",
        "收到党费",
        f"期间交纳日期的党费交纳记录的合计金额(党费和自愿多交),{BY_RECEIVER}。",
        "元",
        PAYMENTS,
        aggregate=money_sum("amount"),
        places=2,
        group="dues_payments",
    )
)
register(
    Indicator(
        "dues.voluntary_amount",
        "自愿多交党费",
        f"期间交纳日期的党费交纳记录中自愿多交的金额之和,{BY_RECEIVER}。",
        "元",
        PAYMENTS,
        fixed(Q(voluntary_amount__gt=0)),
        aggregate=money_sum("voluntary_amount"),
        places=2,
        group="dues_payments",
    )
)
register(
    Indicator(
        "dues.back_payments",
        "补交笔数",
        f"期间交纳日期、类型为“补交”的党费交纳记录笔数,{BY_RECEIVER}。",
        "笔",
        PAYMENTS,
        fixed(Q(kind=PaymentKind.BACK_PAYMENT)),
        group="dues_payments",
    )
)


# --- the dues roll-ups ------------------------------------------------------------------------------------
#
# Each (org, month) keeps the ten figures of its own bills of the month and payments paid in the month
# (``DuesRollup``), and each org the sums of its whole subtree (``DuesSubtreeRollup``): the dues services
# recount an (org, month) whenever they write its bills or payments (services.recount_dues). A period of
# whole months (a year, a quarter, a month: every period the pages offer) is then at most twelve rows a
# year at any org; any other period is counted live.

ROLLED_PAYMENTS = ["dues.payments", "dues.received_amount", "dues.voluntary_amount", "dues.back_payments"]
BILL_COLUMNS = {key: key.removeprefix("dues.") for key in ROLLED_BILLS}
PAYMENT_COLUMNS = {key: key.removeprefix("dues.") for key in ROLLED_PAYMENTS}
ROLLUP_COLUMNS = {**BILL_COLUMNS, **PAYMENT_COLUMNS}
NAMES = list(ROLLUP_COLUMNS.values())
ROLLUP_SOURCES = {BILLS.key: BILL_COLUMNS, PAYMENTS.key: PAYMENT_COLUMNS}
SUM = DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0.00")
EVERY = Period(date.min, date.max)  # the dues filters do not depend on the period (fixed)


def _aggregates(columns: dict[str, str]) -> dict:
    """The registry's own aggregate of each indicator, by its roll-up column (0, not NULL, for none)."""
    found = {}
    for key, name in columns.items():
        indicator = get(key)
        aggregate = indicator.aggregate(indicator.q(EVERY))
        found[name] = (
            aggregate if indicator.places is None else Coalesce(aggregate, Value(ZERO), output_field=SUM)
        )
    return found


def bill_counts(bills: QuerySet) -> QuerySet:
    """The roll-up figures of these bills: one row per (org, month) with org_id, month and BILL_COLUMNS."""
    return bills.order_by().values("org_id", "month").annotate(**_aggregates(BILL_COLUMNS))


def payment_counts(payments: QuerySet) -> QuerySet:
    """The roll-up figures of these payments: one row per (org, month paid) with org_id, month and
    PAYMENT_COLUMNS."""
    return (
        payments.order_by()
        .annotate(month=TruncMonth("paid_on", output_field=DateField()))
        .values("org_id", "month")
        .annotate(**_aggregates(PAYMENT_COLUMNS))
    )


def _month(value) -> date:
    # SQLite answers a truncated date as text in some versions: read it back as a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def rollup_rows(bills: QuerySet, payments: QuerySet) -> dict[tuple[date, int], list]:
    """{(month, org id): one value per NAMES} of these bills and payments, merged by org and month."""
    found: dict[tuple[date, int], list] = {}
    for counts, columns in ((bill_counts(bills), BILL_COLUMNS), (payment_counts(payments), PAYMENT_COLUMNS)):
        for row in counts.iterator(chunk_size=5000):
            values = found.setdefault((_month(row["month"]), row["org_id"]), zero_row())
            for name in columns.values():
                values[NAMES.index(name)] = row[name]
    return found


def zero_row() -> list:
    return [ZERO if name in AMOUNTS else 0 for name in NAMES]


AMOUNTS = {name for key, name in ROLLUP_COLUMNS.items() if get(key).places is not None}


class DuesCounts:
    """The accelerator of the bills and payments sources (registry.accelerators): the kept roll-up rows
    of the period's months, or None (then the live query runs) for a period not of whole months."""

    @staticmethod
    def _sums(period: Period, indicators) -> dict | None:
        """Each indicator's sum of its roll-up column; None for a period not of whole months."""
        columns = ROLLUP_SOURCES.get(indicators[0].source.key, {})
        if not period.whole_months() or any(ind.key not in columns for ind in indicators):
            return None
        return {ind.key: Sum(columns[ind.key]) for ind in indicators}

    @staticmethod
    def _direct_rows(user, org, period: Period):
        """A partial scope's rows: the direct rows of the orgs it sees (as the bills and payments are)."""
        return DuesRollup.objects.visible_to(user).filter(period.q("month"), subtree_q("org__path", org.path))

    @staticmethod
    def _finish(row: dict, indicators) -> dict:
        return {ind.key: ind.finish(row.get(ind.key)) for ind in indicators}

    @classmethod
    def totals(cls, user, org, period: Period, indicators) -> dict | None:
        sums = cls._sums(period, indicators)
        if sums is None:
            return None
        if sees_whole_subtree(user, org):
            rows = DuesSubtreeRollup.objects.filter(period.q("month"), org_id=org.pk)
        else:
            rows = cls._direct_rows(user, org, period)
        return cls._finish(rows.aggregate(**sums), indicators)

    @classmethod
    def by_child(cls, user, org, period: Period, indicators, width: int) -> dict | None:
        sums = cls._sums(period, indicators)
        if sums is None:
            return None
        if sees_whole_subtree(user, org):
            # The children's subtree rows (one index range of the next depth) and the org's own rows.
            months = period.q("month")
            children = DuesSubtreeRollup.objects.filter(
                months, subtree_q("path", org.path), depth=org.depth + 1
            )
            own = DuesRollup.objects.filter(months, org_id=org.pk)
            groups = [children.values(_branch=F("path")), own.values(_branch=Value(org.path))]
        else:
            groups = [cls._direct_rows(user, org, period).values(_branch=Substr("org__path", 1, width))]
        found = {}
        for group in groups:
            for row in group.order_by().annotate(**sums):
                found[row.pop("_branch")] = cls._finish(row, indicators)
        # A subtree with nothing left to count keeps rows of zeros; the live query has no row for it.
        return {branch: values for branch, values in found.items() if any(values.values())}
