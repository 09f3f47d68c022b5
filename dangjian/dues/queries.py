"""Read-only figures about dues: arrears per member and collection per org, each a query or two."""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum

from dangjian.core.rules import Finding
from dangjian.dues import rules
from dangjian.dues.models import DuesBase, DuesBill, DuesPayment
from dangjian.orgs.models import Org
from dangjian.reports import registry
from dangjian.reports.registry import Figure, Period

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


# The collection figures: the name the report uses for each, and its indicator.
COLLECTION_KEYS = {
    "billed": "dues.billed_amount",
    "paid": "dues.paid_amount",
    "owed": "dues.unpaid_amount",
    "bills": "dues.bills",
    "paid_bills": "dues.settled_bills",
    "voluntary": "dues.voluntary_amount",
}


@dataclass
class Collection:
    """One org's collection figures (its whole subtree), each an indicator of the registry with its link."""

    org: Org
    figures: dict[str, Figure]

    def _value(self, name: str):
        return self.figures[COLLECTION_KEYS[name]].value

    @property
    def billed(self) -> Decimal:
        return self._value("billed")

    @property
    def paid(self) -> Decimal:
        return self._value("paid")

    @property
    def owed(self) -> Decimal:
        return self._value("owed")

    @property
    def bills(self) -> int:
        return self._value("bills")

    @property
    def paid_bills(self) -> int:
        return self._value("paid_bills")

    @property
    def voluntary(self) -> Decimal:
        return self._value("voluntary")

    @property
    def links(self) -> dict[str, str]:
        """The records page behind each figure, by the report's name for it."""
        return {name: self.figures[key].url for name, key in COLLECTION_KEYS.items()}

    @property
    def rate(self) -> Decimal | None:
        """Share of bills settled, in percent with one decimal (None when nothing was billed)."""
        if not self.bills:
            return None
        return (Decimal(self.paid_bills * 100) / Decimal(self.bills)).quantize(Decimal("0.1"))


def report_period(year: int, month: int | None = None) -> Period:
    """The year, or one month of it, as a statistics period."""
    if month:
        return Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]))
    return Period.year(year)


def collection(
    user, within: Org, children: list[Org], year: int, month: int | None = None
) -> list[Collection]:
    """Billed, paid, owed, bills and voluntary amounts for ``within``'s subtree and for each of its direct
    subordinates ``children`` (each with its subtree), in the year or one month: the registry's
    ``dues.*`` indicators (one query per source for the total, one grouped query for the children)."""
    period = report_period(year, month)
    keys = list(COLLECTION_KEYS.values())
    total = registry.figures(user, within, period, keys)
    by_child = registry.figures_by_child(user, within, children, period, keys)
    return [Collection(within, total)] + [Collection(child, by_child[child.pk]) for child in children]


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
