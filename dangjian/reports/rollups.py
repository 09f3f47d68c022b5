"""Per-org roll-ups of the member indicators (reports.models.MemberRollup): kept, read, rebuilt, verified.

Kept: the member services call ``recount(org_ids)`` (through ``members.services.register_change_hook``,
registered in ReportsConfig.ready) inside the same transaction as every change of a member record —
created, bulk-imported, edited, an event that changes category or roll, a transfer accepted or closed,
a merge, an import undone. Recounting an org is the registry's own aggregate over that org's members
(an indexed range of a few dozen rows), so a roll-up row is by construction what the live query says.

Read: ``registry.compute`` asks ``totals``/``by_child`` first for the members source. They answer for a
period ending on 31 December of a year whose roll-ups are built (``RollupYear``: this year and the nine
before), and only for the indicators kept — otherwise None, and the live query runs. A row of a past
year stays exact because every write that can change any year's count (a record entered late with an
old admission date, a correction of a birth date) recounts the org for every kept year.
"""

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.core.access import subtree_q
from dangjian.core.audit import Actor, record
from dangjian.members.models import Member
from dangjian.reports import registry
from dangjian.reports.indicators import on_roll_on
from dangjian.reports.models import ROLLUP_KEYS, MemberRollup, RollupYear, column
from dangjian.reports.registry import Period

BATCH = 5000  # rows read at a time when verifying
YEARS = 1  # years kept by default: this one (rebuild_rollups --years 10 also keeps the trend's nine before)


def kept_years() -> set[int]:
    return set(RollupYear.objects.values_list("year", flat=True))


def _counts(members, year: int):
    """The roll-up rows of ``members`` (a Member queryset) for ``year``: one dict per org."""
    period = Period.year(year)
    return (
        members.filter(on_roll_on(period))
        .order_by()
        .values("org_id")
        .annotate(**{column(key): Count("pk", filter=registry.get(key).q(period)) for key in ROLLUP_KEYS})
    )


def recount(org_ids) -> None:
    """Bring the rows of these orgs up to date for every kept year (inside the caller's transaction)."""
    org_ids = sorted({pk for pk in org_ids if pk})
    if not org_ids:
        return
    for year in kept_years():
        rows = list(_counts(Member.objects.filter(org_id__in=org_ids), year))
        MemberRollup.objects.filter(year=year, org_id__in=org_ids).delete()
        MemberRollup.objects.bulk_create(MemberRollup(year=year, **row) for row in rows)


def apply_bulk(member_ids: list[int]) -> None:
    """The roll-up upkeep of a bulk creation: the new records' counts, added to their orgs' rows (the
    rows of the other records stay as they are). members.services calls it from ``create_members_bulk``;
    call it after any other bulk INSERT of member rows, inside the same transaction."""
    years = kept_years()
    if not member_ids or not years:
        return
    names = [column(key) for key in ROLLUP_KEYS]
    # One statement with many parameter rows: plain additions, no per-row expression building.
    add = (
        f"UPDATE {MemberRollup._meta.db_table} SET "
        + ", ".join(f"{name} = {name} + %s" for name in names)
        + " WHERE year = %s AND org_id = %s"
    )
    for year in years:
        added = {row.pop("org_id"): row for row in _counts(Member.objects.filter(pk__in=member_ids), year)}
        present = set(
            MemberRollup.objects.filter(year=year, org_id__in=list(added)).values_list("org_id", flat=True)
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                add, [[*(added[org_id][name] for name in names), year, org_id] for org_id in sorted(present)]
            )
        MemberRollup.objects.bulk_create(
            MemberRollup(org_id=org_id, year=year, **counts)
            for org_id, counts in added.items()
            if org_id not in present
        )


def on_members_changed(org_ids: set[int], new_member_ids: list[int] | None = None) -> None:
    if new_member_ids is not None:
        apply_bulk(new_member_ids)
    else:
        recount(org_ids)


# --- reading ---------------------------------------------------------------------------------------------


def _year_of(period: Period, indicators) -> int | None:
    end = period.end
    if (end.month, end.day) != (12, 31):
        return None
    if any(ind.key not in ROLLUP_KEYS for ind in indicators):
        return None
    return end.year if end.year in kept_years() else None


def _rows(user, org, year: int):
    return (
        MemberRollup.objects.visible_to(user).filter(subtree_q("org__path", org.path), year=year).order_by()
    )


def totals(user, org, period: Period, indicators) -> dict | None:
    year = _year_of(period, indicators)
    if year is None:
        return None
    found = _rows(user, org, year).aggregate(**{ind.key: Sum(column(ind.key)) for ind in indicators})
    return {key: value or 0 for key, value in found.items()}


def by_child(user, org, period: Period, indicators, width: int) -> dict | None:
    year = _year_of(period, indicators)
    if year is None:
        return None
    rows = (
        _rows(user, org, year)
        .annotate(_branch=Substr("org__path", 1, width))
        .values("_branch")
        .annotate(**{ind.key: Sum(column(ind.key)) for ind in indicators})
    )
    return {row.pop("_branch"): {k: v or 0 for k, v in row.items()} for row in rows}


# --- rebuilding and verifying ---------------------------------------------------------------------------


@transaction.atomic
def rebuild(actor: Actor, year: int | None = None, years: int = YEARS) -> int:
    """Recompute every row of the ``years`` years up to ``year`` (this year by default) from the members;
    answers the rows written. Years before them are computed live from the records' dates."""
    year = year or timezone.localdate().year
    MemberRollup.objects.all().delete()
    RollupYear.objects.all().delete()
    written = sum(_insert_year(kept) for kept in range(year - years + 1, year + 1))
    record(
        actor,
        "reports.rebuild_rollups",
        RollupYear.objects.get(year=year),
        after={"year": year, "rows": written},
    )
    return written


def _insert_year(year: int) -> int:
    # One INSERT … SELECT of the registry's own aggregate: the rows never travel through Python.
    sql, params = _counts(Member.objects.all(), year).query.sql_with_params()
    columns = ", ".join(["org_id", *(column(key) for key in ROLLUP_KEYS), "year"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MemberRollup._meta.db_table} ({columns}) SELECT counted.*, %s FROM ({sql}) counted",
            (year, *params),
        )
        written = cursor.rowcount
    RollupYear.objects.create(year=year, built_at=timezone.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reports_memberrollup")
    return written


def trend(user, org, years: list[int]) -> dict[int, int] | None:
    """members.total on 31 December of each year from the roll-ups (one query), or None if one is missing."""
    if not set(years) <= kept_years():
        return None
    rows = (
        MemberRollup.objects.visible_to(user)
        .filter(subtree_q("org__path", org.path), year__in=years)
        .order_by()
        .values_list("year")
        .annotate(n=Sum(column("members.total")))
    )
    found = dict(rows)
    return {year: found.get(year, 0) for year in years}


def differences(year: int) -> list[str]:
    """Where the kept rows of ``year`` disagree with the live count: a Chinese line per org and column."""
    live = {row.pop("org_id"): row for row in _counts(Member.objects.all(), year).iterator(chunk_size=BATCH)}
    fields = ["org_id", *(column(key) for key in ROLLUP_KEYS)]
    kept = {
        values[0]: dict(zip(fields[1:], values[1:], strict=True))
        for values in MemberRollup.objects.filter(year=year).values_list(*fields).iterator(chunk_size=BATCH)
    }
    found = []
    for org_id in sorted(set(live) | set(kept)):
        have, want = kept.get(org_id, {}), live.get(org_id, {})
        for name in fields[1:]:
            if have.get(name, 0) != want.get(name, 0):
                found.append(f"党组织 {org_id} 的 {name}:汇总 {have.get(name, 0)},实际 {want.get(name, 0)}")
    return found
