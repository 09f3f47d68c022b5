"""Reading activities: the list filters, compliance of a subtree, study hours and the year-end figures.

Everything starts from a user's scope; nothing here writes.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from dangjian.activities import rules
from dangjian.activities.models import (
    Activity,
    ActivityKind,
    ActivityOrg,
    ActivityStatus,
    AppliesTo,
    Attendance,
    AttendanceStatus,
    ComplianceRule,
    Trainee,
)
from dangjian.core.access import subtree_q
from dangjian.members.models import PARTY_MEMBER_CATEGORIES, Member
from dangjian.orgs.models import BRANCH_KINDS, Committee, CommitteeMember, Group, Org, OrgKind, OrgStatus
from dangjian.reports import registry
from dangjian.reports.registry import Figure, Period

BRANCH_LIKE = BRANCH_KINDS | {OrgKind.GENERAL_BRANCH}
COMMITTEE_LIKE = frozenset({OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE})


@dataclass
class ActivityFilters:
    """The filters of the activity lists; pages, figures' links and the API fill it alike."""

    kind: str = ""
    category: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    secretary_lecture: bool = False


def activities_within(user, org: Org) -> QuerySet:
    """Activities the user sees that any org of the subtree took part in (a joint one once)."""
    parties = ActivityOrg.objects.filter(subtree_q("org__path", org.path)).values("activity_id")
    return Activity.objects.visible_to(user).filter(pk__in=parties)


def filter_activities(queryset: QuerySet, filters: ActivityFilters) -> QuerySet:
    if filters.kind:
        queryset = queryset.filter(kind__code=filters.kind)
    if filters.category:
        queryset = queryset.filter(kind__category=filters.category)
    if filters.status in ActivityStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.date_from:
        queryset = queryset.filter(held_on__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(held_on__lte=filters.date_to)
    if filters.q:
        queryset = queryset.filter(topic__contains=filters.q.strip())
    if filters.secretary_lecture:
        queryset = queryset.filter(lecturer_is_secretary=True)
    return queryset


def for_listing(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("org", "kind", "group").order_by("-held_on", "-starts_at", "-pk")


def with_counts(activities) -> list[Activity]:
    """The activities of one page with their 应到 and 实到 and the number of orgs taking part, counted for
    these rows only: annotating the whole list counted every attendance row of a city's activities before
    cutting the page (1.9 s at the demo city's root)."""
    activities = list(activities)
    ids = [activity.pk for activity in activities]
    attendance = {
        row["activity_id"]: row
        for row in Attendance.objects.filter(activity_id__in=ids)
        .order_by()
        .values("activity_id")
        .annotate(expected=Count("pk"), present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)))
    }
    parties = dict(
        ActivityOrg.objects.filter(activity_id__in=ids)
        .order_by()
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values_list("activity_id", "n")
    )
    for activity in activities:
        counts = attendance.get(activity.pk, {})
        activity.expected = counts.get("expected", 0)
        activity.present = counts.get("present", 0)
        activity.joint_count = parties.get(activity.pk, 0)
    return activities


# --- compliance -----------------------------------------------------------------------------------------


def rules_in_force(on: date) -> list[ComplianceRule]:
    return [
        r
        for r in ComplianceRule.objects.select_related("kind").order_by("kind__sort_order", "pk")
        if rules.rule_in_force(r.effective_from, r.effective_until, on)
    ]


def _applies(rule: ComplianceRule, org: Org, with_committee: set[int]) -> bool:
    if rule.applies_to == AppliesTo.COMMITTEE_ORG:
        return org.kind in COMMITTEE_LIKE
    if org.kind not in BRANCH_LIKE:
        return False
    if rule.applies_to == AppliesTo.BRANCH_WITH_COMMITTEE:
        return org.pk in with_committee
    return True


def compliance(orgs: list[Org], reporting: rules.Period) -> dict[int, rules.OrgCompliance]:
    """Expected vs held for each org over the reporting period (a quarter or a year), rule by rule.

    An org is judged for a rule period only if it existed then (founded before its end, not dissolved
    before its start); committee meetings only where the branch had a committee in that period;
    group meetings per group that existed in it. A joint activity counts once for each org taking part.
    """
    result = {org.pk: rules.OrgCompliance(org.pk) for org in orgs}
    if not orgs:
        return result
    in_force = rules_in_force(reporting.start)
    if not in_force:
        return result
    ids = [o.pk for o in orgs]
    year_start = date(reporting.start.year, 1, 1)
    widest = rules.Period(
        min(year_start, reporting.start), max(date(reporting.end.year, 12, 31), reporting.end), "year"
    )
    with_committee = set(
        Committee.objects.filter(org_id__in=ids, started_on__lte=reporting.end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=reporting.start))
        .values_list("org_id", flat=True)
    )
    groups = defaultdict(list)
    for group in Group.objects.filter(org_id__in=ids).filter(
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=reporting.start)
    ):
        groups[group.org_id].append(group)
    # (org, kind, group or None, secretary lecture) -> held/planned dates
    held, planned = defaultdict(list), defaultdict(list)
    rows = ActivityOrg.objects.filter(
        org_id__in=ids,
        activity__held_on__range=(widest.start, widest.end),
        activity__status__in=(ActivityStatus.HELD, ActivityStatus.PLANNED),
    ).values_list(
        "org_id",
        "activity__kind__code",
        "activity__group_id",
        "activity__org_id",
        "activity__held_on",
        "activity__status",
        "activity__lecturer_is_secretary",
    )
    for org_id, kind, group_id, host_id, held_on, status, by_secretary in rows:
        target = held if status == ActivityStatus.HELD else planned
        # A group meeting counts for its group (of the host org), not for a partner org.
        group_key = group_id if host_id == org_id else None
        target[(org_id, kind, group_key)].append((held_on, by_secretary))
        if group_key is not None:
            target[(org_id, kind, None)].append((held_on, by_secretary))

    talks, seats, roster = (
        heart_talk_facts(ids, widest)
        if any(r.kind.code == rules.HEART_TALK for r in in_force)
        else ({}, {}, {})
    )

    def count(store, org_id, kind, group_id, period, secretary_only):
        return sum(
            1
            for day, by_sec in store.get((org_id, kind, group_id), ())
            if period.contains(day) and (by_sec or not secretary_only)
        )

    for org in orgs:
        for rule in in_force:
            if not _applies(rule, org, with_committee):
                continue
            for period in rules.periods_within(reporting, rule.frequency):
                if (org.founded_on and org.founded_on > period.end) or (
                    org.dissolved_on and org.dissolved_on < period.start
                ):
                    continue
                if rule.kind.code == rules.HEART_TALK:
                    pairs = heart_talk_requirement(rule, period, talks, seats, roster, org.pk)
                    if pairs is not None:
                        result[org.pk].requirements.append(pairs)
                        continue
                targets = [(None, "")]
                if rule.applies_to == AppliesTo.GROUP:
                    targets = [
                        (g.pk, g.name)
                        for g in groups.get(org.pk, [])
                        if (g.founded_on is None or g.founded_on <= period.end)
                        and (g.dissolved_on is None or g.dissolved_on >= period.start)
                    ]
                for group_id, group_name in targets:
                    result[org.pk].requirements.append(
                        rules.Requirement(
                            rule_id=rule.pk,
                            label=rule.label,
                            kind_code=rule.kind.code,
                            kind_name=rule.kind.name,
                            period=period,
                            expected=rule.times,
                            held=count(
                                held, org.pk, rule.kind.code, group_id, period, rule.secretary_lecturer
                            ),
                            planned=count(
                                planned, org.pk, rule.kind.code, group_id, period, rule.secretary_lecturer
                            ),
                            source=rule.source,
                            group_name=group_name,
                        )
                    )
    return result


def with_ids(queryset: QuerySet, lookup: str, ids: list[int]) -> QuerySet:
    """``queryset.filter(<lookup>__in=ids)``. On SQLite a long list meeting another condition on the same
    index is probed value by value for each row (the heart talks of a city's 3,040 orgs: 2,299 talks ×
    3,040 ids, 0.57 s); there the list is one JSON parameter read as a table and the column is compared
    through ``+ 0`` so that no index is probed with it (5 ms). PostgreSQL hashes a long list by itself."""
    if connection.vendor != "sqlite" or len(ids) < LONG_LIST:
        return queryset.filter(**{f"{lookup}__in": ids})
    listed = RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(ids)),))
    return queryset.alias(_listed=F(lookup) + Value(0)).filter(_listed__in=listed)


LONG_LIST = 100


def heart_talk_facts(ids: list[int], widest: rules.Period) -> tuple[dict, dict, dict]:
    """For the heart-talk rule: each org's talks (date, who was present), its committee seats held by
    members of record, and its members on the roll (id → name)."""
    talks, seats, roster = defaultdict(list), defaultdict(list), defaultdict(dict)
    rows = list(
        with_ids(ActivityOrg.objects, "org_id", ids)
        .filter(
            activity__kind__code=rules.HEART_TALK,
            activity__status=ActivityStatus.HELD,
            activity__held_on__range=(widest.start, widest.end),
        )
        .values_list("org_id", "activity_id", "activity__held_on")
    )
    present = defaultdict(set)
    for activity_id, member_id in (
        Attendance.objects.filter(activity_id__in={a for _, a, _ in rows}, status=AttendanceStatus.PRESENT)
        .order_by()
        .values_list("activity_id", "member_id")
    ):
        present[activity_id].add(member_id)
    for org_id, activity_id, day in rows:
        talks[org_id].append((day, present[activity_id]))
    for row in CommitteeMember.objects.filter(committee__org_id__in=ids, member__isnull=False).values_list(
        "committee__org_id",
        "member_id",
        "name",
        "started_on",
        "ended_on",
        "committee__started_on",
        "committee__ended_on",
    ):
        seats[row[0]].append(row[1:])
    for pk, name, org_id in Member.objects.filter(
        org_id__in=ids, on_roll=True, category__in=PARTY_MEMBER_CATEGORIES
    ).values_list("pk", "name", "org_id"):
        roster[org_id][pk] = name
    return talks, seats, roster


def heart_talk_requirement(
    rule: ComplianceRule, period: rules.Period, talks: dict, seats: dict, roster: dict, org_id: int
) -> rules.Requirement | None:
    """The heart-talk requirement of one org for one period, counted in pairs (``rules.heart_talk_pairs``);
    None when the org had no committee member of record in the period (then talks are simply counted)."""

    def overlaps(start, end):
        return (start is None or start <= period.end) and (end is None or end >= period.start)

    names = dict(roster.get(org_id, {}))
    committee = set()
    for member_id, name, started, ended, committee_started, committee_ended in seats.get(org_id, ()):
        if overlaps(started, ended) and overlaps(committee_started, committee_ended):
            committee.add(member_id)
            names.setdefault(member_id, name)
    if not committee:
        return None
    held = [people for day, people in talks.get(org_id, ()) if period.contains(day)]
    owed, done = rules.heart_talk_pairs(committee, roster.get(org_id, {}).keys(), held)
    if not owed:
        return None

    def label(pair):
        a, b = sorted(pair, key=lambda pk: (pk not in committee, names.get(pk, ""), pk))
        return f"{names.get(a, a)}—{names.get(b, b)}"

    missing = sorted(label(p) for p in owed - done)
    return rules.Requirement(
        rule_id=rule.pk,
        label=rule.label,
        kind_code=rule.kind.code,
        kind_name=rule.kind.name,
        period=period,
        expected=len(owed),
        held=len(done),
        planned=0,
        source=rules.SOURCE_HEART_TALK,
        per_pair=True,
        missing_pairs=tuple(missing),
    )


def unplanned_for(org: Org, today: date) -> list[rules.Requirement]:
    """The requirements of the current quarter (and the months and year it lies in) that are not over and
    have too few activities held or planned: what the secretary still has to plan."""
    if org.status != OrgStatus.ACTIVE or org.kind not in BRANCH_LIKE | COMMITTEE_LIKE:
        return []
    return compliance([org], rules.period_of(today, "quarter"))[org.pk].unplanned(today)


def workbench_unplanned(user, org: Org) -> dict | None:
    """The workbench block (registered in apps.py): required activities of the user's current org not yet
    held or planned for the current period, each linking to the form that plans it."""
    if not Org.objects.visible_to(user).filter(pk=org.pk).exists():
        return None
    today = timezone.localdate()
    items = unplanned_for(org, today)
    if not items:
        return None
    return {
        "template": "activities/_workbench_unplanned.html",
        "org": org,
        "today": today,
        "items": [
            {
                "text": (
                    f"{r.period.label}{r.label}尚有{r.expected - r.held}对未谈"
                    if r.per_pair
                    else f"{r.period.label}{r.group_name}{r.label}:要求{r.expected}次,"
                    f"已开展{r.held}次、已计划{r.planned}次"
                ),
                "kind_code": r.kind_code,
                "period_end": r.period.end,
            }
            for r in items
        ],
    }


def judged_orgs_query(user, within: Org):
    return (
        Org.objects.visible_to(user)
        .filter(subtree_q("path", within.path), status=OrgStatus.ACTIVE)
        .filter(kind__in=sorted(BRANCH_LIKE | COMMITTEE_LIKE))
    )


def judged_count(user, within: Org, today: date) -> int:
    """How many orgs of the subtree the rules judge, before any is loaded (a province's root has hundreds
    of thousands): the registry's org counts by kind at the end of this year — the kept roll-ups where
    they are kept (milliseconds), else the same count live."""
    indicators = [registry.get(f"orgs.kind.{kind}") for kind in sorted(BRANCH_LIKE | COMMITTEE_LIKE)]
    if None in indicators:
        return judged_orgs_query(user, within).count()
    return sum(registry.compute(user, within, registry.Period.year(today.year), indicators).values())


def judged_orgs(user, within: Org) -> list[Org]:
    """The orgs of the subtree that organizational-life rules apply to, in tree order."""
    return list(judged_orgs_query(user, within).order_by("path"))


def subtree_compliance(user, within: Org, reporting: rules.Period) -> list[tuple[Org, rules.OrgCompliance]]:
    orgs = judged_orgs(user, within)
    results = compliance(orgs, reporting)
    return [(org, results[org.pk]) for org in orgs if results[org.pk].requirements]


# Up to this many judged orgs the dashboard computes the colours with the page (the compliance takes about
# 0.25 s for 400 orgs, 2.3 s for a city's 3,000); above it the page comes at once and the panel's figures
# follow from their own request (``full``), up to WIDE_LIMIT; beyond that (a province) only the links.
DASHBOARD_ORG_LIMIT = 1500
DASHBOARD_WIDE_LIMIT = 20_000
COLOUR_SHADES = {rules.RED: "#C8102E", rules.AMBER: "#E8A317", rules.GREEN: "#3BA272"}


def dashboard_compliance(
    user, org: Org, today: date, full: bool = False, limit: int | None = None
) -> dict | None:
    """The dashboard panel (registered in apps.py): how many orgs of the subtree are red, amber and green
    for the current quarter, each colour linking to the compliance list filtered by it.

    With the page (``full`` false) the colours are counted only up to ``limit`` orgs; a larger subtree
    gets ``later`` set and the dashboard asks for the panel again with ``full``, after the page is shown."""
    period = rules.period_of(today, "quarter")
    judged = judged_count(user, org, today)
    if not judged:
        return None
    query = {"within": org.pk, "year": period.start.year, "quarter": (period.start.month - 1) // 3 + 1}
    page = reverse("activities:compliance")
    counts, later = None, False
    limit = DASHBOARD_ORG_LIMIT if limit is None else limit
    if judged <= (DASHBOARD_WIDE_LIMIT if full else limit):
        results = compliance(judged_orgs(user, org), period)
        counts = rules.count_by_colour((c for c in results.values() if c.requirements), today)
    else:
        later = not full and judged <= DASHBOARD_WIDE_LIMIT
    if counts is not None:
        note = None
    elif later:
        note = f"范围内党组织较多({judged}个),正在统计…"
    else:
        note = f"范围内党组织较多({judged}个),请点击各颜色查看。"
    return {
        "key": "compliance",
        "title": f"组织生活落实情况({period.label})",
        "url": f"{page}?{urlencode(query)}",
        "note": note,
        "later": later,
        "items": [
            {
                "label": label,
                "value": None if counts is None else counts[colour],
                "colour": COLOUR_SHADES[colour],
                "url": f"{page}?{urlencode({**query, 'colour': colour})}",
            }
            for colour, label in (
                (rules.RED, "未落实(红)"),
                (rules.AMBER, "待落实(黄)"),
                (rules.GREEN, "已落实(绿)"),
            )
        ],
    }


# --- study hours ----------------------------------------------------------------------------------------


@dataclass
class StudyHours:
    member: Member
    from_activities: Decimal
    from_classes: Decimal
    is_leader: bool

    @property
    def total(self) -> Decimal:
        return self.from_activities + self.from_classes

    @property
    def minimum(self) -> Decimal:
        return rules.study_hours_minimum(self.is_leader)

    @property
    def below(self) -> bool:
        return self.total < self.minimum


def study_hours(user, within: Org, year: int) -> list[StudyHours]:
    """Each on-roll member of the subtree: hours from activities attended and classes in ``year``."""
    members = list(
        Member.objects.visible_to(user)
        .filter(subtree_q("org__path", within.path), on_roll=True, category__in=PARTY_MEMBER_CATEGORIES)
        .select_related("org")
        .only("pk", "name", "org__name", "org__path", "category", "name_initials")
        .order_by("org__path", "name_initials", "pk")
    )
    ids = [m.pk for m in members]
    start, end = date(year, 1, 1), date(year, 12, 31)
    from_activities = dict(
        Attendance.objects.filter(
            member_id__in=ids,
            status=AttendanceStatus.PRESENT,
            activity__status=ActivityStatus.HELD,
            activity__held_on__range=(start, end),
        )
        .values("member_id")
        .annotate(hours=Sum("activity__study_hours"))
        .values_list("member_id", "hours")
    )
    from_classes = dict(
        Trainee.objects.filter(member_id__in=ids, training_class__ended_on__range=(start, end))
        .values("member_id")
        .annotate(hours=Sum("hours"))
        .values_list("member_id", "hours")
    )
    leaders = set(
        CommitteeMember.objects.filter(member_id__in=ids, started_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .values_list("member_id", flat=True)
    )
    zero = Decimal("0.0")
    return [
        StudyHours(m, from_activities.get(m.pk) or zero, from_classes.get(m.pk) or zero, m.pk in leaders)
        for m in members
    ]


# --- figures --------------------------------------------------------------------------------------------


@dataclass
class KindFigure:
    code: str
    name: str
    category: str
    activities: Figure
    attendances: Figure


FIGURE_KEYS = (
    "activities.held",
    "activities.present",
    "activities.study_hours",
    "activities.secretary_lectures",
    "activities.training_classes",
    "activities.trainees",
    "activities.trainee_hours",
)


def figures(user, within: Org, start: date, end: date) -> dict:
    """The year-end sentences: activities held by kind with their 人次, lectures by secretaries, classes and
    trainees — each an indicator of the registry (``activities.*``) with the link to its records."""
    period = Period(start, end)
    kinds = list(ActivityKind.objects.order_by("sort_order", "code"))
    keys = [f"activities.{what}.{kind.code}" for kind in kinds for what in ("kind", "present")]
    found = registry.figures(user, within, period, [*keys, *FIGURE_KEYS])
    rows = [
        KindFigure(
            kind.code,
            kind.name,
            kind.category,
            found[f"activities.kind.{kind.code}"],
            found[f"activities.present.{kind.code}"],
        )
        for kind in kinds
    ]
    return {
        "kinds": [row for row in rows if row.activities.value or row.attendances.value],
        **{key.removeprefix("activities."): found[key] for key in FIGURE_KEYS},
    }


def is_leader(member: Member, year: int) -> bool:
    """Secretaries and committee members (any post in a committee during the year) need 56 hours."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    return (
        CommitteeMember.objects.filter(member=member, started_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .exists()
    )


def member_hours(member: Member, year: int) -> Decimal:
    start, end = date(year, 1, 1), date(year, 12, 31)
    from_activities = Attendance.objects.filter(
        member=member,
        status=AttendanceStatus.PRESENT,
        activity__status=ActivityStatus.HELD,
        activity__held_on__range=(start, end),
    ).aggregate(h=Sum("activity__study_hours"))["h"]
    from_classes = Trainee.objects.filter(
        member=member, training_class__ended_on__range=(start, end)
    ).aggregate(h=Sum("hours"))["h"]
    return (from_activities or Decimal(0)) + (from_classes or Decimal(0))
