"""The figures of org building, each defined once: a name, the records behind it, and their count.

"今年以来共有21个党支部完成换届选举,新成立党支部9个,更名2个,成立临时党支部24个,撤销4个,调整班子32名" is
``event_counts`` over a subtree and a period; every count links to the event list filtered by the same
indicator (``EventIndicator.key``), which uses the same ``q`` — so a figure and its list cannot disagree.
The statistics module will read these definitions into its indicator registry.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from dangjian.core.access import subtree_q
from dangjian.orgs.models import (
    Org,
    OrgEvent,
    OrgEventKind,
    OrgKind,
    Pairing,
    PairingActivity,
    PairingOrg,
    Place,
    PlaceKind,
    Sector,
    Unit,
    WeakFlag,
)

TEMPORARY = OrgKind.TEMPORARY_BRANCH


@dataclass(frozen=True)
class EventIndicator:
    key: str
    label: str
    q: Q


EVENT_INDICATORS = [
    EventIndicator("re_elected", "完成换届选举", Q(kind=OrgEventKind.RE_ELECTED)),
    EventIndicator("founded", "新成立党组织", Q(kind=OrgEventKind.FOUNDED) & ~Q(org__kind=TEMPORARY)),
    EventIndicator("temporary_founded", "成立临时党支部", Q(kind=OrgEventKind.FOUNDED, org__kind=TEMPORARY)),
    EventIndicator("renamed", "更名", Q(kind=OrgEventKind.RENAMED)),
    EventIndicator("merged", "合并", Q(kind=OrgEventKind.MERGED)),
    EventIndicator("dissolved", "撤销党组织", Q(kind=OrgEventKind.DISSOLVED) & ~Q(org__kind=TEMPORARY)),
    EventIndicator(
        "temporary_dissolved", "撤销临时党支部", Q(kind=OrgEventKind.DISSOLVED, org__kind=TEMPORARY)
    ),
    EventIndicator("committee_changed", "调整班子成员", Q(kind=OrgEventKind.COMMITTEE_CHANGED)),
    EventIndicator("moved", "调整隶属关系", Q(kind=OrgEventKind.MOVED)),
]
INDICATORS_BY_KEY = {indicator.key: indicator for indicator in EVENT_INDICATORS}


@dataclass(frozen=True)
class Period:
    """From and to, both included; either may be open."""

    start: date | None = None
    end: date | None = None

    def q(self, lookup: str) -> Q:
        condition = Q()
        if self.start:
            condition &= Q(**{f"{lookup}__gte": self.start})
        if self.end:
            condition &= Q(**{f"{lookup}__lte": self.end})
        return condition

    @classmethod
    def year_to_date(cls, today: date) -> "Period":
        return cls(date(today.year, 1, 1), today)


def events_in(user, within: Org, period: Period) -> QuerySet:
    """The events of the subtree at ``within`` in the period that ``user`` may see."""
    return (
        OrgEvent.objects.visible_to(user)
        .filter(subtree_q("org__path", within.path))
        .filter(period.q("occurred_on"))
    )


def event_counts(events: QuerySet) -> list[tuple[EventIndicator, int]]:
    """Each indicator's count over ``events``, in one query."""
    totals = events.order_by().aggregate(
        **{indicator.key: Count("pk", filter=indicator.q) for indicator in EVENT_INDICATORS}
    )
    return [(indicator, totals[indicator.key] or 0) for indicator in EVENT_INDICATORS]


# --- coverage -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    label: str
    total: int
    covered: int

    @property
    def share(self) -> float | None:
        """Covered units as a percentage; None when there are no units (nothing to cover)."""
        return None if self.total == 0 else round(100 * self.covered / self.total, 1)


def units_in(user, within: Org) -> QuerySet:
    """Open units of the subtree: kept by an org in it, or covered by one."""
    return Unit.objects.visible_to(user).within(within).open()


COVERED = Q(org__isnull=False, org__status="active")


def coverage_by_sector(user, within: Org) -> list[Coverage]:
    """Per sector: how many units there are and how many have an active party org set up in them."""
    rows = (
        units_in(user, within)
        .order_by()
        .values("sector")
        .annotate(total=Count("pk"), covered=Count("pk", filter=COVERED))
    )
    found = {row["sector"]: row for row in rows}
    return [
        Coverage(sector.label, found[sector]["total"], found[sector]["covered"])
        for sector in Sector
        if sector in found
    ]


def new_sector_measures(user, within: Org) -> list[Coverage]:
    """For 两新组织: an org set up, 党建入章, 双向进入交叉任职, secretary is the unit's head."""
    totals = (
        units_in(user, within)
        .filter(is_new_sector=True)
        .aggregate(
            total=Count("pk"),
            covered=Count("pk", filter=COVERED),
            charter=Count("pk", filter=Q(charter_includes_party_building=True)),
            cross=Count("pk", filter=Q(cross_appointment=True)),
            head=Count("pk", filter=Q(secretary_is_head=True)),
        )
    )
    total = totals["total"]
    return [
        Coverage("建立党组织", total, totals["covered"]),
        Coverage("党建入章", total, totals["charter"]),
        Coverage("双向进入、交叉任职", total, totals["cross"]),
        Coverage("书记由单位负责人担任", total, totals["head"]),
    ]


# --- places, pairings, weak-and-lax orgs ----------------------------------------------------------------


def place_counts(user, within: Org) -> list[tuple[str, str, int]]:
    """Places in use by kind: (kind, label, count), every kind listed."""
    rows = (
        Place.objects.visible_to(user)
        .filter(subtree_q("org__path", within.path), closed_on__isnull=True)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    found = dict(rows)
    return [(kind.value, kind.label, found.get(kind.value, 0)) for kind in PlaceKind]


def pairings_in(user, within: Org, period: Period) -> QuerySet:
    """Pairings with an org in the subtree that ran during the period."""
    running = Q()
    if period.end:
        running &= Q(started_on__lte=period.end)
    if period.start:
        running &= Q(ended_on__isnull=True) | Q(ended_on__gte=period.start)
    return Pairing.objects.visible_to(user).involving(within).filter(running)


def pairing_figures(user, within: Org, period: Period) -> dict:
    """ "172个党组织结对共建,开展活动586次": orgs of the subtree in running pairings, and the activities."""
    pairings = pairings_in(user, within, period)
    orgs = (
        PairingOrg.objects.filter(pairing__in=pairings.values("pk"))
        .filter(subtree_q("org__path", within.path))
        .values("org_id")
        .distinct()
        .count()
    )
    activities = PairingActivity.objects.filter(
        pairing__in=Pairing.objects.visible_to(user).involving(within).values("pk")
    ).filter(period.q("held_on"))
    return {"pairings": pairings.count(), "orgs": orgs, "activities": activities.count()}


def weak_figures(user, within: Org, period: Period) -> dict:
    flags = WeakFlag.objects.visible_to(user).filter(subtree_q("org__path", within.path))
    return {
        "flagged": flags.filter(period.q("flagged_on")).count(),
        "closed": flags.filter(closed_on__isnull=False).filter(period.q("closed_on")).count(),
        "open": flags.filter(closed_on__isnull=True).count(),
    }
