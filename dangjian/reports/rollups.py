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
(``RollupYear``: this year and the last by default), and only for the indicators kept (members.total
alone also for the nine years before the latest, from its ``earlier_total`` columns) —
otherwise None, and the live query runs. When the user sees the org's whole subtree (a subtree role at
or above it) the answer is the org's subtree row (and for the breakdown the children's subtree rows
plus the org's direct row); otherwise the visible direct member rows are summed (orgs: counted live).
A row of a past year stays exact because every write that can change any year's count (a record
entered late with an old admission date, a correction of a birth date) recounts the org for every kept
year.
"""

import functools
import json
import operator
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    EARLIER,
    ORG_KEYS,
    ROLLUP_KEYS,
    MemberRollup,
    OrgSubtreeRollup,
    RollupYear,
    SubtreeRollup,
    column,
    earlier_column,
    org_column,
)
from dangjian.reports.registry import STEPLEN, Period
from dangjian.reports.subtrees import (
    BATCH,
    LISTED,
    add_to_subtrees_by_year,
    adding,
    kept_years,
    move_subtree,
    rebuilding,
    replacing,
    sees_whole_subtree,
    subtree_differences,
    write_rows,
)

# Years kept by default: this one and the last, every column (the tables of last year are compiled in
# its first months). Each row also holds the total of the nine years before its own (``EARLIER``), so
# the dashboard's ten-year trend is read from the latest kept year's rows (bench/README.md, ## Statistics).
YEARS = 2


STOCK_NAMES = [column(key) for key in ROLLUP_KEYS]
EARLIER_NAMES = [earlier_column(back) for back in range(1, EARLIER + 1)]
NAMES = STOCK_NAMES + EARLIER_NAMES
POSITION = {name: at for at, name in enumerate(NAMES)}


def _counts(members, year: int):
    """The roll-up stocks of ``members`` (a Member queryset) for ``year``: one dict per org with members
    on the roll on 31 December, the registry's own aggregate of every kept indicator."""
    period = Period.year(year)
    return (
        members.filter(on_roll_on(period))
        .order_by()
        .values("org_id")
        .annotate(**{column(key): Count("pk", filter=registry.get(key).q(period)) for key in ROLLUP_KEYS})
    )


def _earlier_counts(members, year: int):
    """members.total of ``members`` on 31 December of each of the ``EARLIER`` years before ``year``: one
    dict per org with a member on the roll in any of them (a query of its own: folding these counts into
    ``_counts`` puts the on-roll test of ``year`` into each of its 36 filters, 4x slower on a province)."""
    earlier = {back: on_roll_on(Period.year(year - back)) for back in range(1, EARLIER + 1)}
    return (
        members.filter(functools.reduce(operator.or_, earlier.values()))
        .order_by()
        .values("org_id")
        .annotate(**{earlier_column(back): Count("pk", filter=q) for back, q in earlier.items()})
    )


# Each kept year's row is these two aggregates side by side: (function, the columns it fills).
PARTS = ((_counts, STOCK_NAMES), (_earlier_counts, EARLIER_NAMES))


def _rows_by_org(results) -> dict[int, list[int]]:
    """{org id: one number per NAMES} from the rows of each part (dicts with org_id and its columns)."""
    found: dict[int, list[int]] = {}
    for (_, names), rows in zip(PARTS, results, strict=True):
        for row in rows:
            values = found.setdefault(row["org_id"], [0] * len(NAMES))
            for name in names:
                values[POSITION[name]] = row[name]
    return found


# A list of ids as ONE parameter (a JSON array on SQLite, an array on PostgreSQL): the statement's text
# then does not depend on the list, so each part of a year is compiled by the ORM once per process
# (compiling its 36 filtered counts took ~10 ms, several times the ~1-4 ms of running it on a chunk).
_LIST = object()  # marks the list's place among the compiled statement's parameters


@functools.cache
def _counts_sql(part: int, year: int, lookup: str, vendor: str) -> tuple[str, tuple, int]:
    listed = RawSQL(LISTED[vendor], (_LIST,))
    counts, _ = PARTS[part]
    sql, params = counts(Member.objects.filter(**{f"{lookup}__in": listed}), year).query.sql_with_params()
    return sql, params, next(at for at, param in enumerate(params) if param is _LIST)


def _part_rows(part: int, year: int, lookup: str, values: list) -> list[dict]:
    vendor = connection.vendor
    if vendor not in LISTED:
        counts, _ = PARTS[part]
        return list(counts(Member.objects.filter(**{f"{lookup}__in": values}), year))
    sql, params, at = _counts_sql(part, year, lookup, vendor)
    params = list(params)
    params[at] = json.dumps(values) if vendor == "sqlite" else values
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [description[0] for description in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


def _counts_by_year(lookup: str, values, years) -> dict[int, dict[int, list[int]]]:
    """Each year's roll-up counts of the members whose ``lookup`` ("pk" or "org_id") is in ``values``:
    {year: {org id: one number per NAMES}}, the registry's own aggregates (``PARTS``) year by year."""
    values = sorted(values)
    return {
        year: _rows_by_org([_part_rows(part, year, lookup, values) for part in range(len(PARTS))])
        for year in sorted(years)
    }


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
    MemberRollup.objects.filter(year__in=years, org_id__in=org_ids, **dict.fromkeys(NAMES, 0)).delete()
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


def _kept_columns(period: Period, indicators) -> tuple[int, dict[str, str]] | None:
    """Which kept year's rows answer these indicators for ``period``, and each indicator's column in them:
    a kept year's own columns; or, for members.total alone, the ``earlier_total_k`` column of the latest
    kept year's rows (k years before it). None when no kept row answers (the live query runs)."""
    end = period.end
    if (end.month, end.day) != (12, 31):
        return None
    kept = kept_years()
    if end.year in kept and all(ind.key in ROLLUP_KEYS for ind in indicators):
        return end.year, {ind.key: column(ind.key) for ind in indicators}
    latest = max(kept, default=None)
    total = _total_column(latest, end.year) if latest is not None else None
    if total is not None and all(ind.key == "members.total" for ind in indicators):
        return latest, {"members.total": total}
    return None


def _total_column(latest: int, year: int) -> str | None:
    """The column of the ``latest`` kept year's rows holding members.total on 31 December of ``year``:
    its own total, or the earlier total of ``year``; None when the rows do not reach back to it."""
    if year == latest:
        return column("members.total")
    return earlier_column(latest - year) if 0 < latest - year <= EARLIER else None


def _rows(user, org, year: int):
    return (
        MemberRollup.objects.visible_to(user).filter(subtree_q("org__path", org.path), year=year).order_by()
    )


def _values(row: dict | None, columns: dict[str, str]) -> dict:
    row = row or {}
    return {key: row.get(name) or 0 for key, name in columns.items()}


def totals(user, org, period: Period, indicators) -> dict | None:
    kept = _kept_columns(period, indicators)
    if kept is None:
        return None
    year, columns = kept
    if sees_whole_subtree(user, org):
        row = SubtreeRollup.objects.filter(year=year, org_id=org.pk).values(*columns.values()).first()
        return _values(row, columns)
    found = _rows(user, org, year).aggregate(**{key: Sum(name) for key, name in columns.items()})
    return {key: value or 0 for key, value in found.items()}


def by_child(user, org, period: Period, indicators, width: int) -> dict | None:
    kept = _kept_columns(period, indicators)
    if kept is None:
        return None
    year, columns = kept
    if sees_whole_subtree(user, org):
        # The children's subtree rows (one index range of the next depth) and the org's own direct row.
        children = (
            SubtreeRollup.objects.filter(subtree_q("path", org.path), year=year, depth=org.depth + 1)
            .order_by()
            .values("path", *columns.values())
        )
        found = {row["path"]: _values(row, columns) for row in children}
        own = MemberRollup.objects.filter(year=year, org_id=org.pk).values(*columns.values()).first()
        if own is not None:
            found[org.path] = _values(own, columns)
        # A subtree whose members all left keeps a row of zeros; the live query has no row for it.
        return {path: values for path, values in found.items() if any(values.values())}
    rows = (
        _rows(user, org, year)
        .annotate(_branch=Substr("org__path", 1, width))
        .values("_branch")
        .annotate(**{key: Sum(name) for key, name in columns.items()})
    )
    found = {row.pop("_branch"): {k: v or 0 for k, v in row.items()} for row in rows}
    return {path: values for path, values in found.items() if any(values.values())}


# --- rebuilding and verifying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """Roll-ups another app keeps for its own indicators (reports cannot import it): ``rebuild()`` writes
    them all again from the app's records and answers the rows written; ``differences()`` answers a
    Chinese line for each row that disagrees with them. ``rebuild`` and ``rebuild_rollups`` run them."""

    name: str
    rebuild: Callable[[], int]
    differences: Callable[[], list[str]]


others: list[Kept] = []


def register_kept(kept: Kept) -> None:
    """Rebuild and verify ``kept`` with the member and org roll-ups (from the app's AppConfig.ready)."""
    if kept not in others:
        others.append(kept)


def kept_names() -> str:
    """What ``rebuild`` writes, in Chinese: 党员和党组织统计汇总 and each other app's (for messages)."""
    return f"{MEMBERS_PART}汇总" + "".join(f"、{kept.name}汇总" for kept in others)


def other_differences() -> list[str]:
    return [line for kept in others for line in kept.differences()]


# Memory for each sort and hash of the rebuild's statements (PostgreSQL, this transaction only): the
# per-org counts of a province's 10,000,000 members, grouped in 4 MB (the server's default), spilled to
# disk and took 34 s a year; in memory 19 s (bench/README.md).
REBUILD_WORK_MEM = "256MB"


def memory_for_rebuilding() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'")


# The rebuild's parts run side by side, each in its own transaction and database connection, this many at
# a time by default (PostgreSQL, outside a caller's transaction): most of their statements (INSERT …
# SELECT, index builds, ANALYZE) run on one core of the server, and the parts share no table they write.
# Two for the two cores of the machines measured (bench/README.md); ``rebuild_rollups --workers`` for more.
REBUILD_WORKERS = 2
MEMBERS_PART = "党员和党组织统计"


def rebuild(actor: Actor, year: int | None = None, years: int = YEARS, workers: int = REBUILD_WORKERS) -> int:
    """Recompute every row of the ``years`` years up to ``year`` (this year by default) from the members
    and the orgs, and the roll-ups other apps keep (``others``, all of them); answers the rows written.
    Years before them are computed live from the records' dates (members.total of the nine before the
    latest is on its rows).

    On PostgreSQL the tables are emptied with TRUNCATE: readers and writers of the roll-ups wait for the
    rebuild to commit (74–97 s for a province: bench/README.md) instead of it deleting millions of rows
    one by one. Called outside a transaction there, the parts (the member and org roll-ups, each
    other app's) run side by side, each rebuilt whole in its own transaction: one that fails leaves its
    tables as they were and the error is raised once the others are done. Otherwise (SQLite, a caller's
    transaction) they run one after the other in one transaction."""
    year = year or timezone.localdate().year
    parts = {MEMBERS_PART: functools.partial(_rebuild_members, year, years)}
    parts.update((kept.name, kept.rebuild) for kept in others)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic():
            memory_for_rebuilding()
            written = {name: build() for name, build in parts.items()}
            _record_rebuild(actor, year, written)
        return sum(written.values())
    written, failed = _side_by_side(parts, workers)
    with transaction.atomic():  # what was rebuilt is audited, whether or not a part failed
        _record_rebuild(actor, year, written, failed)
    if failed:
        name, error = next(iter(failed.items()))
        done = "、".join(f"{other}汇总" for other in written) or "其余部分均未"
        raise PartFailed(f"{name}汇总重建失败,保持重建前的状态({done}已重建):{error}") from error
    return sum(written.values())


def _side_by_side(parts: dict[str, Callable[[], int]], workers: int) -> tuple[dict, dict[str, Exception]]:
    """Run each part in its own transaction, ``workers`` at a time, in the order given (the
    longest first: the member part); answers the rows each part wrote and the error of each that failed,
    once all have ended."""

    def run(build: Callable[[], int]) -> int:
        try:
            with transaction.atomic():
                memory_for_rebuilding()
                return build()
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        running = {name: pool.submit(run, build) for name, build in parts.items()}
    failed = {name: future.exception() for name, future in running.items() if future.exception()}
    return {name: future.result() for name, future in running.items() if name not in failed}, failed


class PartFailed(Exception):
    """A part of a side-by-side rebuild failed: its tables are as they were, the other parts' rebuilt."""


def _record_rebuild(actor: Actor, year: int, written: dict[str, int], failed: dict | None = None) -> None:
    """One audit entry for the rebuild: the rows of each part rebuilt, and the part that failed if any
    (the year's ``RollupYear``, unsaved when the member part has never been built)."""
    by_app = {name: rows for name, rows in written.items() if name != MEMBERS_PART}
    after = {"year": year, "rows": written.get(MEMBERS_PART, 0), **({"others": by_app} if by_app else {})}
    if failed:
        after["failed"] = {name: str(error) for name, error in failed.items()}
    record(
        actor,
        "reports.rebuild_rollups",
        RollupYear.objects.filter(year=year).first() or RollupYear(year=year),
        after=after,
    )


def _rebuild_members(year: int, years: int) -> int:
    """The member and org roll-ups of the ``years`` years up to ``year``, from scratch."""
    tables = [model._meta.db_table for model in (MemberRollup, SubtreeRollup, OrgSubtreeRollup)]
    RollupYear.objects.all().delete()
    written = 0
    with rebuilding(tables):
        for kept in range(year - years + 1, year + 1):
            written += _insert_direct(kept) + _insert_subtrees(kept) + _insert_org_subtrees(kept)
            RollupYear.objects.create(year=kept, built_at=timezone.now())
    return written


def _insert_direct(year: int) -> int:
    """The year's direct rows: each of ``PARTS`` (the registry's own aggregates) into a temporary table
    first — PostgreSQL runs CREATE TABLE … AS with parallel workers, not INSERT … SELECT (10 s against
    ~20 s for a province's 36 counts) — then side by side by org into the rows, never through Python."""
    (stock_sql, stock_params), (earlier_sql, earlier_params) = (
        counts(Member.objects.all(), year).query.sql_with_params() for counts, _ in PARTS
    )
    table = MemberRollup._meta.db_table
    stocks = ", ".join(f"s.{name}" for name in STOCK_NAMES)
    earlier = ", ".join(f"COALESCE(e.{name}, 0)" for name in EARLIER_NAMES)
    with connection.cursor() as cursor:
        for temp, sql, params in (
            ("stock", stock_sql, stock_params),
            ("earlier", earlier_sql, earlier_params),
        ):
            cursor.execute(f"DROP TABLE IF EXISTS reports_rebuild_{temp}")
            cursor.execute(f"CREATE TEMPORARY TABLE reports_rebuild_{temp} AS {sql}", params)
        # Orgs with members on the roll this year (and their earlier totals), then orgs whose members
        # were all on the roll only in earlier years.
        cursor.execute(
            f"INSERT INTO {table} (org_id, year, {', '.join(NAMES)}) "
            f"SELECT s.org_id, %s, {stocks}, {earlier} FROM reports_rebuild_stock s "
            "LEFT JOIN reports_rebuild_earlier e ON e.org_id = s.org_id",
            (year,),
        )
        written = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {table} (org_id, year, {', '.join(NAMES)}) "
            f"SELECT e.org_id, %s, {', '.join('0' for _ in STOCK_NAMES)}, "
            f"{', '.join(f'e.{name}' for name in EARLIER_NAMES)} "
            "FROM reports_rebuild_earlier e "
            "WHERE NOT EXISTS (SELECT 1 FROM reports_rebuild_stock s WHERE s.org_id = e.org_id)",
            (year,),
        )
        written += cursor.rowcount
        cursor.execute("DROP TABLE reports_rebuild_stock")
        cursor.execute("DROP TABLE reports_rebuild_earlier")
    return written


def _insert_bottom_up(model, names: list[str], year: int, own_rows) -> int:
    """The year's subtree rows of ``model``, deepest orgs first: an org's row is its own counts plus the
    sums of its children's rows written just before, one INSERT … SELECT per depth, so every count is
    added once (summing all direct rows again for each depth cost 24 s per year on a province).

    ``own_rows(depth)`` answers the SQL and parameters of the own counts of the orgs at ``depth``: one
    row per org with its ``path`` and a column per ``names``."""
    deepest = Org.objects.aggregate(deepest=Max("depth"))["deepest"] or 0
    table, orgs = model._meta.db_table, Org._meta.db_table
    added = ", ".join(f"COALESCE(own.{name}, 0) + COALESCE(kids.{name}, 0)" for name in names)
    written = 0
    with connection.cursor() as cursor:
        for depth in range(deepest, 0, -1):
            own, params = own_rows(depth)
            parent = f"SUBSTR(child.path, 1, {depth * STEPLEN})"
            cursor.execute(
                f"INSERT INTO {table} (org_id, year, path, depth, {', '.join(names)}) "
                f"SELECT o.id, %s, o.path, o.depth, {added} FROM {orgs} o "
                f"LEFT JOIN ({own}) own ON own.path = o.path "
                f"LEFT JOIN (SELECT {parent} AS path, {', '.join(f'SUM(child.{n}) AS {n}' for n in names)} "
                f"FROM {table} child WHERE child.year = %s AND child.depth = %s GROUP BY {parent}) kids "
                "ON kids.path = o.path "
                "WHERE o.depth = %s AND (own.path IS NOT NULL OR kids.path IS NOT NULL)",
                (year, *params, year, depth + 1, depth),
            )
            written += cursor.rowcount
    return written


def _insert_subtrees(year: int) -> int:
    """The year's member subtree rows from its direct rows."""

    def direct_rows(depth: int) -> tuple[str, tuple]:
        return (
            f"SELECT d.path AS path, {', '.join(f'r.{name}' for name in NAMES)} "
            f"FROM {MemberRollup._meta.db_table} r JOIN {Org._meta.db_table} d ON d.id = r.org_id "
            "WHERE r.year = %s AND d.depth = %s",
            (year, depth),
        )

    return _insert_bottom_up(SubtreeRollup, NAMES, year, direct_rows)


def trend(user, org, years: list[int]) -> dict[int, int]:
    """members.total on 31 December of each of ``years`` that the latest kept year's rows hold (its own
    total and the ``EARLIER`` years before it), in one query; the other years are left out (the caller
    counts them live)."""
    latest = max(kept_years(), default=None)
    if latest is None:
        return {}
    columns = {year: name for year in years if (name := _total_column(latest, year)) is not None}
    if not columns:
        return {}
    if sees_whole_subtree(user, org):
        row = SubtreeRollup.objects.filter(org_id=org.pk, year=latest).values(*columns.values()).first()
    else:
        row = _rows(user, org, latest).aggregate(**{name: Sum(name) for name in columns.values()})
    row = row or {}
    return {year: row.get(name) or 0 for year, name in columns.items()}


def differences(year: int) -> list[str]:
    """Where the kept rows of ``year`` disagree with the live count: a Chinese line per org and column."""
    live = _rows_by_org(
        [counts(Member.objects.all(), year).iterator(chunk_size=BATCH) for counts, _ in PARTS]
    )
    kept = {
        org_id: values
        for org_id, *values in MemberRollup.objects.filter(year=year)
        .values_list("org_id", *NAMES)
        .iterator(chunk_size=BATCH)
    }
    zero = [0] * len(NAMES)
    found = []
    for org_id in sorted(set(live) | set(kept)):
        have, want = kept.get(org_id, zero), live.get(org_id, zero)
        for name, kept_count, live_count in zip(NAMES, have, want, strict=True):
            if kept_count != live_count:
                found.append(f"党组织 {org_id} 的 {name}:汇总 {kept_count},实际 {live_count}")
    by_name = {org_id: dict(zip(NAMES, values, strict=True)) for org_id, values in live.items()}
    return found + subtree_differences(year, by_name, SubtreeRollup, NAMES, "子树") + org_differences(year)


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
    """The year's org subtree rows: each org existing on 31 December counts for itself (the registry's
    own aggregate), added up the tree bottom-up like the member rows."""
    period = Period.year(year)

    def own_rows(depth: int) -> tuple[str, tuple]:
        orgs, aggregates = _org_counts(Org.objects.filter(depth=depth), period)
        return orgs.values("path").annotate(**aggregates).query.sql_with_params()

    return _insert_bottom_up(OrgSubtreeRollup, ORG_NAMES, year, own_rows)


def org_differences(year: int) -> list[str]:
    """Where the kept org subtree rows of ``year`` disagree with the live counts of each org itself."""
    orgs, aggregates = _org_counts(Org.objects.all(), Period.year(year))
    live = {row.pop("pk"): row for row in orgs.values("pk").annotate(**aggregates).iterator(chunk_size=BATCH)}
    return subtree_differences(year, live, OrgSubtreeRollup, ORG_NAMES, "党组织子树")
