"""Roll-ups of the member and org indicators: kept, read, rebuilt, verified.

Members, two tables (reports.models): ``MemberRollup``, the counts of the members kept DIRECTLY at each
org, and ``SubtreeRollup``, the counts of each org's whole subtree. A change of an org's direct row is
added, as a delta, to the subtree rows of the org and of every ancestor (the prefixes of its path) in
the same transaction, by one upsert (``INSERT … ON CONFLICT DO UPDATE``: concurrent writers creating
the same ancestor's first row wait for each other instead of failing); an org moved with its subtree
takes its subtree totals from the old ancestors to the new ones (``orgs.services.register_move_hook``).
A figure for an org is then one row, whatever its level.

Orgs, one table: ``OrgSubtreeRollup``, the orgs existing in each org's subtree by kind and sector. An
org's own count is its own row of ``orgs_org``; every org service that changes what it counts (founded,
sector or dates changed, dissolved, merged away, a date corrected, an import taken back) calls the
change hook (``orgs.services.register_change_hook``) and ``on_org_changed`` adds the difference up the
tree the same way.

Kept: the member services call ``recount(org_ids)`` (through ``members.services.register_change_hook``,
registered in ReportsConfig.ready) inside the same transaction as every change of a member record —
created, bulk-imported, edited, an event that changes category or roll, a transfer accepted or closed,
a merge, an import undone. Recounting an org is the registry's own aggregate over that org's members
(an indexed range of a few dozen rows), so a roll-up row is by construction what the live query says.

Read: ``registry.compute`` asks ``totals``/``by_child`` first for the members source (``OrgCounts`` for
the orgs source). They answer for a period ending on 31 December of a year whose roll-ups are built
(``RollupYear``: this year and the nine before by default), and only for the indicators kept —
otherwise None, and the live query runs. When the user sees the org's whole subtree (a subtree role at
or above it) the answer is the org's subtree row (and for the breakdown the children's subtree rows
plus the org's direct row); otherwise the visible direct member rows are summed (orgs: counted live).
A row of a past year stays exact because every write that can change any year's count (a record
entered late with an old admission date, a correction of a birth date) recounts the org for every kept
year.
"""

import functools
import json
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.core.access import subtree_q
from dangjian.core.audit import Actor, record
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.reports import registry
from dangjian.reports.indicators import on_roll_on
from dangjian.reports.models import (
    ORG_KEYS,
    ROLLUP_KEYS,
    MemberRollup,
    OrgSubtreeRollup,
    RollupYear,
    SubtreeRollup,
    column,
    org_column,
)
from dangjian.reports.registry import STEPLEN, Period
from dangjian.reports.subtrees import (
    BATCH,
    add_to_subtrees_by_year,
    adding,
    kept_years,
    move_subtree,
    replacing,
    sees_whole_subtree,
    subtree_differences,
    write_rows,
)

# Years kept by default: this one and the nine before, so the dashboard's ten-year trend is read from the
# subtree rows too (upkeep cost of ten years against one: bench/README.md, ## Statistics).
YEARS = 10


NAMES = [column(key) for key in ROLLUP_KEYS]


def _counts(members, year: int):
    """The roll-up rows of ``members`` (a Member queryset) for ``year``: one dict per org."""
    period = Period.year(year)
    return (
        members.filter(on_roll_on(period))
        .order_by()
        .values("org_id")
        .annotate(**{column(key): Count("pk", filter=registry.get(key).q(period)) for key in ROLLUP_KEYS})
    )


# A list of ids as ONE parameter (a JSON array on SQLite, an array on PostgreSQL): the statement's text
# then does not depend on the list, so ``_counts`` of a year is compiled by the ORM once per process
# (compiling its 36 filtered counts took ~10 ms, several times the ~1-4 ms of running it on a chunk).
LISTED = {
    "sqlite": "SELECT value FROM json_each(%s)",
    "postgresql": "SELECT unnest(%s::bigint[])",
}
_LIST = object()  # marks the list's place among the compiled statement's parameters


@functools.cache
def _counts_sql(year: int, lookup: str, vendor: str) -> tuple[str, tuple, int]:
    listed = RawSQL(LISTED[vendor], (_LIST,))
    sql, params = _counts(Member.objects.filter(**{f"{lookup}__in": listed}), year).query.sql_with_params()
    return sql, params, next(at for at, param in enumerate(params) if param is _LIST)


def _counts_by_year(lookup: str, values, years) -> dict[int, dict[int, list[int]]]:
    """Each year's roll-up counts of the members whose ``lookup`` ("pk" or "org_id") is in ``values``:
    {year: {org id: one number per NAMES}}, the registry's own aggregate (``_counts``) year by year."""
    values = sorted(values)
    vendor = connection.vendor
    found: dict[int, dict[int, list[int]]] = {}
    for year in sorted(years):
        if vendor not in LISTED:
            rows = _counts(Member.objects.filter(**{f"{lookup}__in": values}), year)
            found[year] = {row.pop("org_id"): [row[name] for name in NAMES] for row in rows}
            continue
        sql, params, at = _counts_sql(year, lookup, vendor)
        params = list(params)
        params[at] = json.dumps(values) if vendor == "sqlite" else values
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            where = {description[0]: index for index, description in enumerate(cursor.description)}
            found[year] = {row[where["org_id"]]: [row[where[name]] for name in NAMES] for row in cursor}
    return found


def recount(org_ids) -> None:
    """Bring the rows of these orgs up to date for every kept year (inside the caller's transaction)."""
    org_ids = sorted({pk for pk in org_ids if pk})
    if not org_ids:
        return
    years = sorted(kept_years())
    if not years:
        return
    keys = [(year, pk) for year in years for pk in org_ids]
    zero = [0] * len(NAMES)
    # Make sure every row exists, then lock it: a concurrent recount of the same org waits here for
    # this one to commit and then reads its rows and its members (no lost update, no unique error).
    write_rows(MemberRollup, ("year", "org_id"), NAMES, "DO NOTHING", [[*key, *zero] for key in keys])
    old = {
        (year, pk): values
        for year, pk, *values in MemberRollup.objects.select_for_update()
        .filter(year__in=years, org_id__in=org_ids)
        .values_list("year", "org_id", *NAMES)
    }
    new = _counts_by_year("org_id", org_ids, years)
    write_rows(
        MemberRollup,
        ("org_id", "year"),
        NAMES,
        replacing(NAMES),
        [[pk, year, *new[year].get(pk, zero)] for year, pk in keys],
    )
    MemberRollup.objects.filter(year__in=years, org_id__in=org_ids, total=0).delete()
    paths = dict(Org.objects.filter(pk__in=org_ids).values_list("pk", "path"))
    changes = {}
    for year, pk in keys:
        before, after = old.get((year, pk), zero), new[year].get(pk, zero)
        changes[year] = changes.get(year, {})
        changes[year][paths[pk]] = [a - b for a, b in zip(after, before, strict=True)]
    add_to_subtrees_by_year(changes, SubtreeRollup, NAMES)


def apply_bulk(member_ids: list[int]) -> None:
    """The roll-up upkeep of a bulk creation: the new records' counts, added to their orgs' rows (the
    rows of the other records stay as they are). members.services calls it from ``create_members_bulk``;
    call it after any other bulk INSERT of member rows, inside the same transaction."""
    years = kept_years()
    if not member_ids or not years:
        return
    added = _counts_by_year("pk", member_ids, years)
    if not any(added.values()):
        return  # nobody on the roll (e.g. applicants): nothing to add
    # One upsert with a parameter row per org and year: plain additions, no per-row expression
    # building, and no unique error when a concurrent import creates the same org's first row.
    write_rows(
        MemberRollup,
        ("org_id", "year"),
        NAMES,
        adding(MemberRollup, NAMES),
        [[pk, year, *values] for year, rows in sorted(added.items()) for pk, values in sorted(rows.items())],
    )
    org_ids = {pk for rows in added.values() for pk in rows}
    paths = dict(Org.objects.filter(pk__in=org_ids).values_list("pk", "path"))
    add_to_subtrees_by_year(
        {year: {paths[pk]: values for pk, values in rows.items()} for year, rows in added.items()},
        SubtreeRollup,
        NAMES,
    )


def on_org_moved(actor: Actor, org: Org, old_path: str) -> None:
    """An org moved with its subtree (orgs.services' move hook): its member subtree rows follow it."""
    move_subtree(SubtreeRollup, NAMES, org, old_path)


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


def _values(row: dict | None, indicators) -> dict:
    row = row or {}
    return {ind.key: row.get(column(ind.key)) or 0 for ind in indicators}


def totals(user, org, period: Period, indicators) -> dict | None:
    year = _year_of(period, indicators)
    if year is None:
        return None
    if sees_whole_subtree(user, org):
        names = [column(ind.key) for ind in indicators]
        return _values(
            SubtreeRollup.objects.filter(year=year, org_id=org.pk).values(*names).first(), indicators
        )
    found = _rows(user, org, year).aggregate(**{ind.key: Sum(column(ind.key)) for ind in indicators})
    return {key: value or 0 for key, value in found.items()}


def by_child(user, org, period: Period, indicators, width: int) -> dict | None:
    year = _year_of(period, indicators)
    if year is None:
        return None
    if sees_whole_subtree(user, org):
        # The children's subtree rows (one index range of the next depth) and the org's own direct row.
        names = [column(ind.key) for ind in indicators]
        children = (
            SubtreeRollup.objects.filter(subtree_q("path", org.path), year=year, depth=org.depth + 1)
            .order_by()
            .values("path", *names)
        )
        found = {row["path"]: _values(row, indicators) for row in children}
        own = MemberRollup.objects.filter(year=year, org_id=org.pk).values(*names).first()
        if own is not None:
            found[org.path] = _values(own, indicators)
        # A subtree whose members all left keeps a row of zeros; the live query has no row for it.
        return {path: values for path, values in found.items() if any(values.values())}
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
    SubtreeRollup.objects.all().delete()
    OrgSubtreeRollup.objects.all().delete()
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
    written += _insert_subtrees(year)
    written += _insert_org_subtrees(year)
    RollupYear.objects.create(year=year, built_at=timezone.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {MemberRollup._meta.db_table}")
            cursor.execute(f"ANALYZE {SubtreeRollup._meta.db_table}")
            cursor.execute(f"ANALYZE {OrgSubtreeRollup._meta.db_table}")
    return written


def _subtree_sums(depth: int) -> str:
    """SQL (parameters: year, depth) summing the year's direct rows by their ancestor at ``depth``."""
    org = Org._meta.db_table
    sums = ", ".join(f"SUM(r.{name}) AS {name}" for name in NAMES)
    return (
        f"SELECT SUBSTR(o.path, 1, {depth * STEPLEN}) AS ancestor, {sums} "
        f"FROM {MemberRollup._meta.db_table} r JOIN {org} o ON o.id = r.org_id "
        f"WHERE r.year = %s AND o.depth >= %s GROUP BY SUBSTR(o.path, 1, {depth * STEPLEN})"
    )


def _insert_subtrees(year: int) -> int:
    """The year's subtree rows from its direct rows: one INSERT … SELECT per depth (the direct rows
    summed by their ancestor at that depth), so the rows never travel through Python."""
    deepest = Org.objects.aggregate(deepest=Max("depth"))["deepest"] or 0
    columns = ", ".join(NAMES)
    written = 0
    with connection.cursor() as cursor:
        for depth in range(deepest, 0, -1):
            cursor.execute(
                f"INSERT INTO {SubtreeRollup._meta.db_table} (org_id, year, path, depth, {columns}) "
                f"SELECT o.id, %s, o.path, o.depth, {', '.join(f's.{name}' for name in NAMES)} "
                f"FROM ({_subtree_sums(depth)}) s JOIN {Org._meta.db_table} o ON o.path = s.ancestor",
                (year, year, depth),
            )
            written += cursor.rowcount
    return written


def trend(user, org, years: list[int]) -> dict[int, int]:
    """members.total on 31 December of each of ``years`` that is kept, from the roll-ups (one query);
    the years not kept are left out (the caller counts them live)."""
    years = sorted(set(years) & kept_years())
    if not years:
        return {}
    if sees_whole_subtree(user, org):
        found = dict(
            SubtreeRollup.objects.filter(org_id=org.pk, year__in=years).values_list(
                "year", column("members.total")
            )
        )
        return {year: found.get(year, 0) for year in years}
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
    return found + subtree_differences(year, live, SubtreeRollup, NAMES, "子树") + org_differences(year)


# --- the org counts -------------------------------------------------------------------------------------
#
# An org counts for itself (orgs.total, its kind, its sector) on 31 December of a year when it exists on
# that day (registry ``orgs`` source: founded by then, not dissolved by then). Its own (direct) count is
# its own row of orgs_org, so only the subtree totals are kept (``OrgSubtreeRollup``): the org services
# hand every change of a counted field to ``on_org_changed`` (orgs.services.register_change_hook), which
# adds the difference of the org's own counts before and after to the subtree rows of the org and its
# ancestors, like a member row's delta. Moves use the same ``move_subtree`` as the member rows.

ORG_NAMES = [org_column(key) for key in ORG_KEYS]


def _exists_on(state: dict, day: date) -> bool:
    """The registry's ``org_exists_on`` for one org's state (tested to agree with the live count)."""
    founded, dissolved = state["founded_on"], state["dissolved_on"]
    return (founded is None or founded <= day) and (dissolved is None or dissolved > day)


def _counts_itself(key: str, state: dict) -> bool:
    if key == "orgs.total":
        return True
    _, field, value = key.split(".")  # orgs.kind.branch, orgs.sector.village
    return state[field] == value


def own_counts(state: dict | None, year: int) -> list[int]:
    """The org's own contribution to each kept org indicator on 31 December of ``year`` (0 or 1)."""
    if state is None or not _exists_on(state, date(year, 12, 31)):
        return [0] * len(ORG_KEYS)
    return [int(_counts_itself(key, state)) for key in ORG_KEYS]


def state_of(org: Org) -> dict:
    return {name: getattr(org, name) for name in ("kind", "sector", "founded_on", "dissolved_on")}


def on_org_changed(actor: Actor, org: Org, before: dict | None, after: dict | None) -> None:
    """orgs.services' change hook: the org's own counts changed from ``before`` to ``after``; the
    differences of every kept year go up the tree in one statement."""
    years = sorted(kept_years())
    if not years:
        return
    if after is None:
        # Removed with whatever is below it: its subtree totals leave its ancestors (its rows cascade).
        rows = OrgSubtreeRollup.objects.filter(year__in=years, org_id=org.pk).values_list("year", *ORG_NAMES)
        deltas = {year: {org.path[:-STEPLEN]: [-value for value in row]} for year, *row in rows}
    else:
        deltas = {
            year: {
                org.path: [
                    new - old
                    for new, old in zip(own_counts(after, year), own_counts(before, year), strict=True)
                ]
            }
            for year in years
        }
    add_to_subtrees_by_year(deltas, OrgSubtreeRollup, ORG_NAMES)


def on_org_moved_orgs(actor: Actor, org: Org, old_path: str) -> None:
    """orgs.services' move hook for the org counts: the moved subtree's rows and totals follow it."""
    move_subtree(OrgSubtreeRollup, ORG_NAMES, org, old_path)


class OrgCounts:
    """The accelerator of the ``orgs`` source (registry.accelerators): kept org counts, or None."""

    @staticmethod
    def _year(user, org: Org, period: Period, indicators) -> int | None:
        end = period.end
        if (end.month, end.day) != (12, 31) or any(ind.key not in ORG_KEYS for ind in indicators):
            return None
        if end.year not in kept_years() or not sees_whole_subtree(user, org):
            return None  # a partial scope counts its few orgs live
        return end.year

    @classmethod
    def totals(cls, user, org: Org, period: Period, indicators) -> dict | None:
        year = cls._year(user, org, period, indicators)
        if year is None:
            return None
        names = [org_column(ind.key) for ind in indicators]
        row = OrgSubtreeRollup.objects.filter(year=year, org_id=org.pk).values(*names).first() or {}
        return {ind.key: row.get(org_column(ind.key)) or 0 for ind in indicators}

    @classmethod
    def by_child(cls, user, org: Org, period: Period, indicators, width: int) -> dict | None:
        year = cls._year(user, org, period, indicators)
        if year is None:
            return None
        names = [org_column(ind.key) for ind in indicators]
        children = (
            OrgSubtreeRollup.objects.filter(subtree_q("path", org.path), year=year, depth=org.depth + 1)
            .order_by()
            .values("path", *names)
        )
        found = {
            row.pop("path"): {ind.key: row[org_column(ind.key)] for ind in indicators} for row in children
        }
        own = dict(zip(ORG_KEYS, own_counts(state_of(org), year), strict=True))
        found[org.path] = {ind.key: own[ind.key] for ind in indicators}
        # A subtree with no org left on the day has no live row: drop its row of zeros.
        return {path: values for path, values in found.items() if any(values.values())}


def _org_counts(orgs, period: Period):
    """The registry's own aggregate of every kept org indicator over ``orgs`` (grouped by the caller)."""
    base = registry.get("orgs.total").source.base(period)
    return orgs.filter(base).order_by(), {
        org_column(key): registry.get(key).aggregate(registry.get(key).q(period)) for key in ORG_KEYS
    }


def _insert_org_subtrees(year: int) -> int:
    """The year's org subtree rows: one INSERT … SELECT per depth (the orgs existing on 31 December
    counted by their ancestor at that depth)."""
    period = Period.year(year)
    deepest = Org.objects.aggregate(deepest=Max("depth"))["deepest"] or 0
    table, org_table = OrgSubtreeRollup._meta.db_table, Org._meta.db_table
    written = 0
    with connection.cursor() as cursor:
        for depth in range(deepest, 0, -1):
            orgs, aggregates = _org_counts(Org.objects.filter(depth__gte=depth), period)
            counted = orgs.annotate(_ancestor=Substr("path", 1, depth * STEPLEN)).values("_ancestor")
            sql, params = counted.annotate(**aggregates).query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {table} (org_id, year, path, depth, {', '.join(ORG_NAMES)}) "
                f"SELECT o.id, %s, o.path, o.depth, {', '.join(f's.{name}' for name in ORG_NAMES)} "
                f"FROM ({sql}) s JOIN {org_table} o ON o.path = s._ancestor",
                (year, *params),
            )
            written += cursor.rowcount
    return written


def org_differences(year: int) -> list[str]:
    """Where the kept org subtree rows of ``year`` disagree with the live counts of each org itself."""
    orgs, aggregates = _org_counts(Org.objects.all(), Period.year(year))
    live = {row.pop("pk"): row for row in orgs.values("pk").annotate(**aggregates).iterator(chunk_size=BATCH)}
    return subtree_differences(year, live, OrgSubtreeRollup, ORG_NAMES, "党组织子树")
