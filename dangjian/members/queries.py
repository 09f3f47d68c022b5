"""Reading member records: one filter definition for the list page, the export and the API, plus reminders.

Everything starts from ``Member.objects.visible_to(user)``; nothing here writes.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from dangjian.core.rules import Finding
from dangjian.members import rules, services
from dangjian.members.models import (
    Category,
    Education,
    Member,
    MemberTag,
    Mobility,
    Status,
    Transfer,
    TransferStatus,
)

INITIALS = re.compile(r"^[A-Za-z]{1,20}$")
SORTS = {
    "name": ("name_initials", "name", "pk"),
    # Members without the date (applicants) last either way, on SQLite and PostgreSQL alike.
    "-joined_on": (F("joined_on").desc(nulls_last=True), "pk"),
    "joined_on": (F("joined_on").asc(nulls_last=True), "pk"),
    "birth_date": ("birth_date", "pk"),
    "-birth_date": ("-birth_date", "pk"),
    "org": ("org__path", "name_initials", "pk"),
    "category": ("category", "name_initials", "pk"),
}
DEFAULT_SORT = "org"
ROLL_CHOICES = (("on", "在册"), ("off", "已离册(出党、转出)"), ("all", "全部"))


@dataclass
class MemberFilters:
    """The filters of the member lists; every field optional. Pages, export and API fill it alike."""

    q: str = ""
    id_number: str = ""
    category: str = ""
    status: str = ""
    tag: str = ""
    age_band: int | None = None
    education: str = ""
    joined_from: date | None = None
    joined_to: date | None = None
    roll: str = "on"
    sort: str = DEFAULT_SORT


def in_transit():
    return Exists(Transfer.objects.filter(member=OuterRef("pk"), status=TransferStatus.IN_TRANSIT))


def filter_members(queryset: QuerySet, filters: MemberFilters, today: date) -> QuerySet:
    """Apply the filters to a scoped queryset of members; the caller picks the subtree first."""
    q = (filters.q or "").strip()
    if q:
        # Latin letters are pinyin initials (zsf finds 张三丰); anything else is part of the name.
        queryset = (
            queryset.filter(name_initials__startswith=q.lower())
            if INITIALS.match(q)
            else queryset.filter(name__contains=q)
        )
    if (filters.id_number or "").strip():
        queryset = services.find_by_id_number(queryset, filters.id_number)
    if filters.category in Category.values:
        queryset = queryset.filter(category=filters.category)
    if filters.status in Status.values:
        queryset = queryset.filter(status=filters.status)
    if filters.tag:
        queryset = queryset.filter(tags__code=filters.tag)
    if filters.age_band is not None and 0 <= filters.age_band < len(rules.AGE_BANDS):
        earliest, latest = rules.birth_range_for_band(filters.age_band, today.year)
        queryset = queryset.filter(birth_date__range=(earliest, latest))
    if filters.education in Education.values:
        queryset = queryset.filter(education=filters.education)
    if filters.joined_from:
        queryset = queryset.filter(joined_on__gte=filters.joined_from)
    if filters.joined_to:
        queryset = queryset.filter(joined_on__lte=filters.joined_to)
    if filters.roll == "on":
        queryset = queryset.filter(on_roll=True)
    elif filters.roll == "off":
        queryset = queryset.filter(on_roll=False)
    return queryset.order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))


def members_within(user, org) -> QuerySet:
    return Member.objects.visible_to(user).filter(org__path__startswith=org.path)


def for_listing(queryset: QuerySet) -> QuerySet:
    """What a list row shows, in the same query: the org and whether a letter is in transit."""
    return queryset.select_related("org").annotate(in_transit=in_transit())


def ledger_counts(user, org) -> list[tuple[MemberTag, int]]:
    """Each ledger with the number of members on the roll in the org's subtree: one query."""
    counts = dict(
        members_within(user, org)
        .on_roll()
        .filter(tags__isnull=False)
        .values_list("tags")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    return [(tag, counts.get(tag.pk, 0)) for tag in MemberTag.objects.all()]


# --- reminders (the to-do list of member records) -------------------------------------------------------


@dataclass
class Reminder:
    member: Member
    finding: Finding
    due: date | None = None


def reminders(user, org, today: date) -> list[Reminder]:
    """Mobile members to transfer, lost contacts to review, conversions due, letters expiring: oldest first."""
    members = members_within(user, org).on_roll().select_related("org")
    found: list[Reminder] = []
    cutoff = rules.add_months(today, -rules.MOBILE_TRANSFER_MONTHS)
    away = Mobility.objects.filter(
        member__in=members.filter(status=Status.MOBILE),
        ended_on__isnull=True,
        fixed_place=True,
        started_on__lte=cutoff,
    ).select_related("member", "member__org")
    for mobility in away:
        finding = rules.mobile_transfer_reminder(mobility.started_on, mobility.fixed_place, today)
        if finding:
            found.append(Reminder(mobility.member, finding, mobility.started_on))
    lost_cutoff = rules.add_months(today, -rules.LOST_CONTACT_REVIEW_MONTHS)
    for member in members.filter(status=Status.LOST_CONTACT, status_since__lte=lost_cutoff):
        found.append(
            Reminder(member, rules.lost_contact_reminder(member.status_since, today), member.status_since)
        )
    soon = today - timedelta(days=365 - rules.CONVERSION_NOTICE_DAYS)
    for member in members.filter(category=Category.PROBATIONARY, joined_on__lte=soon):
        finding = rules.conversion_reminder(member.joined_on, member.probation_extended_months, today)
        if finding:
            found.append(
                Reminder(
                    member, finding, rules.probation_end(member.joined_on, member.probation_extended_months)
                )
            )
    horizon = today + timedelta(days=rules.TRANSFER_EXPIRY_NOTICE_DAYS)
    letters = (
        Transfer.objects.visible_to(user)
        .filter(status=TransferStatus.IN_TRANSIT, expires_on__lte=horizon)
        .filter(Q(from_org__path__startswith=org.path) | Q(to_org__path__startswith=org.path))
        .select_related("member", "member__org")
    )
    for transfer in letters:
        found.append(
            Reminder(
                transfer.member,
                rules.transfer_expiry_reminder(transfer.expires_on, today),
                transfer.expires_on,
            )
        )
    return sorted(found, key=lambda r: (r.due or today, r.member.pk))
