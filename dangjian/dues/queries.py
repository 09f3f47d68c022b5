"""Read-only figures about dues: arrears per member and collection per org, each a query or two."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from dangjian.core.access import subtree_q
from dangjian.core.rules import Finding
from dangjian.dues import rules
from dangjian.dues.models import DuesBase, DuesBill, DuesPayment
from dangjian.orgs.models import Org

ZERO = Decimal("0.00")


def cents(value) -> Decimal:
    """A sum as yuan with two decimals (SQLite hands sums back without trailing zeros)."""
    return Decimal(value or 0).quantize(ZERO)


@dataclass
class Arrears:
    member_id: int
    member_name: str
    org_name: str
    months: int
    first_month: date
    last_month: date
    owed: Decimal
    findings: list[Finding]

    @property
    def flagged(self) -> bool:
        return self.months >= rules.ARREARS_FLAG_MONTHS


def arrears_rows(bills, as_of: date, minimum: int = rules.ARREARS_WARN_MONTHS):
    """Per member: the unpaid bills after their last settled month up to ``as_of`` (consecutive months
    unpaid, counted across year ends), with at least ``minimum`` of them. ``bills`` is already scoped."""
    settled = DuesBill.objects.filter(member=OuterRef("member_id"), month__lte=as_of).filter(
        Q(paid_on__isnull=False) | Q(amount=0)
    )
    last_settled = Subquery(
        settled.order_by().values("member_id").annotate(last=Max("month")).values("last")[:1]
    )
    return (
        bills.filter(paid_on__isnull=True, amount__gt=0, month__lte=as_of)
        .annotate(last_settled=last_settled)
        .filter(Q(last_settled__isnull=True) | Q(month__gt=F("last_settled")))
        .values("member_id", "member__name", "member__org__name")
        .annotate(months=Count("pk"), first=Min("month"), last=Max("month"), owed=Sum("amount"))
        .filter(months__gte=minimum)
        .order_by("-months", "member_id")
    )


def arrears(bills, as_of: date, minimum: int = rules.ARREARS_WARN_MONTHS) -> list[Arrears]:
    return [
        Arrears(
            member_id=row["member_id"],
            member_name=row["member__name"],
            org_name=row["member__org__name"],
            months=row["months"],
            first_month=row["first"],
            last_month=row["last"],
            owed=cents(row["owed"]),
            findings=rules.arrears_findings(row["months"]),
        )
        for row in arrears_rows(bills, as_of, minimum)
    ]


def member_arrears(member, as_of: date) -> Arrears | None:
    found = arrears(DuesBill.objects.filter(member=member), as_of, minimum=1)
    return found[0] if found else None


@dataclass
class Collection:
    org: Org
    billed: Decimal
    paid: Decimal
    bills: int
    paid_bills: int
    voluntary: Decimal

    @property
    def owed(self) -> Decimal:
        return self.billed - self.paid

    @property
    def rate(self) -> Decimal | None:
        """Share of bills paid, in percent with one decimal (None when nothing was billed)."""
        if not self.bills:
            return None
        return (Decimal(self.paid_bills * 100) / Decimal(self.bills)).quantize(Decimal("0.1"))


def period_q(year: int, month: int | None, lookup: str = "month") -> Q:
    if month:
        return Q(**{lookup: date(year, month, 1)})
    return Q(**{f"{lookup}__gte": date(year, 1, 1), f"{lookup}__lt": date(year + 1, 1, 1)})


def collection(orgs: list[Org], year: int, month: int | None = None) -> list[Collection]:
    """Billed and paid for each org's whole subtree in the year (or one month), one query per org."""
    money_field = DecimalField(max_digits=14, decimal_places=2)
    result = []
    for org in orgs:
        bills = DuesBill.objects.filter(subtree_q("org__path", org.path)).filter(period_q(year, month))
        figures = bills.aggregate(
            billed=Coalesce(Sum("amount"), Value(ZERO), output_field=money_field),
            paid=Coalesce(
                Sum("amount", filter=Q(paid_on__isnull=False)), Value(ZERO), output_field=money_field
            ),
            bills=Count("pk"),
            paid_bills=Count("pk", filter=Q(paid_on__isnull=False) | Q(amount=0)),
        )
        payments = DuesPayment.objects.filter(subtree_q("org__path", org.path))
        if month:
            payments = payments.filter(paid_on__year=year, paid_on__month=month)
        else:
            payments = payments.filter(paid_on__year=year)
        voluntary = payments.aggregate(v=Sum("voluntary_amount"))["v"] or ZERO
        result.append(
            Collection(
                org,
                cents(figures["billed"]),
                cents(figures["paid"]),
                figures["bills"],
                figures["paid_bills"],
                cents(voluntary),
            )
        )
    return result


@dataclass
class MemberDues:
    """One member's own dues as they see them on the phone: the base in force, bills, payments, what is owed."""

    base: DuesBase | None
    bills: list[DuesBill]
    payments: list[DuesPayment]
    unpaid: list[DuesBill]
    owed: Decimal

    @property
    def unpaid_months(self) -> int:
        return len(self.unpaid)


def member_dues(member, as_of: date, months: int = 24) -> MemberDues:
    """The member's base in force in month ``as_of``, their last ``months`` bills and payments, and every
    unpaid bill up to ``as_of`` (a bill of a later month is not yet due) with the total owed."""
    base = (
        DuesBase.objects.filter(member=member, effective_month__lte=as_of)
        .order_by("-effective_month", "-pk")
        .first()
    )
    bills = list(DuesBill.objects.filter(member=member).order_by("-month")[:months])
    payments = list(DuesPayment.objects.filter(member=member).order_by("-paid_on", "-pk")[:months])
    unpaid = list(
        DuesBill.objects.filter(member=member, paid_on__isnull=True, amount__gt=0, month__lte=as_of).order_by(
            "month"
        )
    )
    return MemberDues(base, bills, payments, unpaid, cents(sum((bill.amount for bill in unpaid), ZERO)))
