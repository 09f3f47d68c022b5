"""Reading member records: one filter definition for the list page, the export and the API, plus reminders.

Everything starts from ``Member.objects.visible_to(user)``; nothing here writes.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from dangjian.core.access import subtree_q
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
from dangjian.orgs.models import Org

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
    # The range beside the prefix lets the database walk the org path index (core.access.subtree_q).
    return Member.objects.visible_to(user).filter(subtree_q("org__path", org.path))


def for_listing(queryset: QuerySet) -> QuerySet:
    """What a list row shows, in the same query: the org and whether a letter is in transit."""
    return queryset.select_related("org").annotate(in_transit=in_transit())


# What a list row never shows: the ciphertexts (long) and the keys; left unread by the list queries.
UNLISTED_FIELDS = ("id_number_enc", "phone_enc", "address_enc", "id_number_index", "row_key")


@dataclass
class Listing:
    """A member list: its rows (scoped, filtered, ordered) and their exact number.

    ``count`` gives the same number as ``rows.count()``, added up org by org (bench/README.md): the
    members matching the filters in each org the user sees in the subtree. Each org's share is a range
    count on the narrow index of on-roll members per org, which the database answers from the index
    alone; a COUNT over the join with the org table probes a hash for every member instead (65–88 ms
    against 45–70 ms at 1,000,000 members in 1,000 branches).
    """

    rows: QuerySet
    matching: QuerySet  # the same filters, before the scope: counted only inside ``orgs``
    orgs: QuerySet  # the orgs in the user's scope (and the subtree), which hold every row

    def count(self) -> int:
        # COUNT(*) as a plain function: no GROUP BY, which the per-org subquery does not need.
        count = Func(template="COUNT(*)", output_field=IntegerField())
        per_org = self.matching.filter(org=OuterRef("pk")).order_by().annotate(n=count).values("n")
        return self.orgs.order_by().aggregate(n=Coalesce(Sum(Subquery(per_org)), 0))["n"]


def listing(user, within, filters: MemberFilters, today: date) -> Listing:
    """The members the user sees in ``within``'s subtree (everywhere in scope when None), filtered.

    A member is visible exactly when its org is (both scopes read the org path), so counting the
    unscoped matches org by org over the visible orgs counts the same rows as ``rows``.
    """
    members = Member.objects.visible_to(user)
    orgs = Org.objects.visible_to(user)
    if within is not None:
        members = members.filter(subtree_q("org__path", within.path))
        orgs = orgs.filter(subtree_q("path", within.path))
    return Listing(
        rows=filter_members(members, filters, today),
        matching=filter_members(Member.objects.all(), filters, today),
        orgs=orgs,
    )


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
