"""Subtree rows: the machinery the roll-ups share (the member and org ones of reports.rollups, the dues
ones of dues.services, the activities held of activities.services).

A subtree row holds, per org and period, counts of the org's whole subtree, with the org's path and depth
copied onto it. The period is one or more columns named by the model (``keys_of``): the year for the
member and org roll-ups, the month for dues, the month and the kind for activities held. Writers add
deltas to the rows of an org and all its ancestors with one upsert (``INSERT … ON CONFLICT (<period>,
org_id) DO UPDATE``), in (period, path) order; a moved subtree's rows take the new paths and its totals
move from the old ancestors to the new ones; the verify pass sums the live direct counts up the tree in
Python and names every row that differs.
"""

import contextlib
import json

from django.db import connection
from django.db.models import Max, OuterRef, Subquery
from django.db.models.expressions import RawSQL

from dangjian.core.access import scopes_for, subtree_q
from dangjian.orgs.models import Org
from dangjian.reports.models import RollupYear

STEPLEN = Org.steplen
BATCH = 5000  # rows read at a time when verifying


def kept_years() -> set[int]:
    return set(RollupYear.objects.values_list("year", flat=True))


def sees_whole_subtree(user, org) -> bool:
    """Whether the user's scope holds every org below ``org`` (then its subtree row may be shown)."""
    return any(scope.subtree and org.path.startswith(scope.path) for scope in scopes_for(user))


def keys_of(model) -> tuple[str, ...]:
    """The columns a roll-up model's rows are kept by, besides ``org_id`` (unique together): the model's
    ``rollup_keys`` (dues: the month; activities: the month and the kind), ``("year",)`` by default (the
    member and org roll-ups). A "period" below is the value of these columns: one value for one column,
    a tuple of values for several."""
    return getattr(model, "rollup_keys", ("year",))


def key_values(model, period) -> list:
    """The values of ``keys_of(model)`` for a period (one value, or a tuple for several columns)."""
    return list(period) if len(keys_of(model)) > 1 else [period]


# A list of ids as ONE parameter (a JSON array on SQLite, an array on PostgreSQL); see ``listed``.
LISTED = {
    "sqlite": "SELECT value FROM json_each(%s)",
    "postgresql": "SELECT unnest(%s::bigint[])",
}


def listed(ids) -> RawSQL | list:
    """``ids`` for an ``__in`` lookup as one parameter: a bulk write touching a province's branches names
    hundreds of thousands of orgs, past PostgreSQL's 65,535 parameters per statement."""
    ids = sorted(ids)
    vendor = connection.vendor
    if vendor not in LISTED:
        return ids
    return RawSQL(LISTED[vendor], (json.dumps(ids) if vendor == "sqlite" else ids,))


def ancestor_paths(path: str) -> list[str]:
    """The paths of the org's ancestors and its own, root first: each prefix of a whole number of steps."""
    return [path[:end] for end in range(STEPLEN, len(path) + 1, STEPLEN)]


def add_to_subtrees(year: int, deltas: dict[str, list[int]], model, names: list[str]) -> None:
    """Add each change of a direct count (org path → one number per column of ``names``) to the subtree
    rows (``model``) of that org and of all its ancestors, for one year (or other period)."""
    add_to_subtrees_by_year({year: deltas}, model, names)


def add_to_subtrees_by_year(deltas: dict, model, names: list[str]) -> None:
    """``add_to_subtrees`` for several periods at once ({year or month: {org path: delta}}): one upsert
    statement."""
    changes: dict[tuple, list] = {}
    for period, by_path in deltas.items():
        for path, delta in by_path.items():
            if not any(delta):
                continue
            for ancestor in ancestor_paths(path):
                total = changes.get((period, ancestor))
                changes[period, ancestor] = (
                    delta if total is None else [a + b for a, b in zip(total, delta, strict=True)]
                )
    add_rows(model, names, changes)


def add_differences(before: dict, after: dict, model, names: list[str]) -> None:
    """Add ``after`` less ``before`` ({period: {org path: one number per ``names``}}, e.g. what a record
    counted before and after a write) to the subtree rows of each org and of all its ancestors."""
    zero = [0] * len(names)
    changes = {}
    for period in set(before) | set(after):
        old, new = before.get(period, {}), after.get(period, {})
        changes[period] = {
            path: [a - b for a, b in zip(new.get(path, zero), old.get(path, zero), strict=True)]
            for path in set(old) | set(new)
        }
    add_to_subtrees_by_year(changes, model, names)


def upsert(model, keys: tuple[str, ...], names: list[str], on_conflict: str) -> str:
    """SQL inserting one parameter row into ``model``; ``on_conflict`` says what a row of the same
    (period, org) already there gets (``DO NOTHING``, ``DO UPDATE SET …``)."""
    table = model._meta.db_table
    columns = [*keys, *names]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(keys_of(model))}, org_id) {on_conflict}"
    )


def adding(model, names: list[str]) -> str:
    """The conflict clause that adds the new numbers to the row already there.

    An upsert, not "SELECT the rows present, INSERT the others": two transactions creating the same
    ancestor's first row at once would both INSERT and one would fail on the unique constraint; here
    the second waits for the first and adds to its row (PostgreSQL and SQLite share this syntax)."""
    table = model._meta.db_table
    return "DO UPDATE SET " + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in names)


def replacing(names: list[str]) -> str:
    """The conflict clause that sets the row already there to the new numbers."""
    return "DO UPDATE SET " + ", ".join(f"{name} = excluded.{name}" for name in names)


def write_rows(model, keys: tuple[str, ...], names: list[str], on_conflict: str, rows: list[list]) -> None:
    """The upsert of ``on_conflict`` for many parameter rows (``keys`` columns, then ``names``), in order.

    On PostgreSQL one statement over one array per column: a parameter row at a time costs ~0.2 ms
    there, and a bulk import spread over thousands of branches with ten kept years sent ~90,000 of them
    (bench/reports_upkeep.py on the province tree). SQLite runs in-process, so ``executemany`` is cheap.
    The rows must be unique by (period, org): one statement cannot update a row twice."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(upsert(model, keys, names, on_conflict), rows)
            return
        columns = [*keys, *names]
        arrays = ", ".join(f"%s::{model._meta.get_field(name).db_type(connection)}[]" for name in columns)
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
            f"SELECT * FROM unnest({arrays}) ON CONFLICT ({', '.join(keys_of(model))}, org_id) {on_conflict}",
            [list(values) for values in zip(*rows, strict=True)],
        )


def add_rows(model, names: list[str], changes: dict[tuple, list]) -> None:
    """Add to the subtree rows (``model``: SubtreeRollup, OrgSubtreeRollup, DuesSubtreeRollup) of these
    (period, org path), creating the rows that do not exist yet: one statement with a parameter row per
    row, in (period, path) order (every writer locks rows in the same order, so concurrent writers wait
    rather than deadlock)."""
    changes = {key: delta for key, delta in changes.items() if any(delta)}
    if not changes:
        return
    paths = {path for _, path in changes}
    orgs = {
        path: (pk, depth)
        for pk, path, depth in Org.objects.filter(path__in=paths).values_list("pk", "path", "depth")
    }
    write_rows(
        model,
        ("org_id", *keys_of(model), "path", "depth"),
        names,
        adding(model, names),
        [
            [orgs[path][0], *key_values(model, period), path, orgs[path][1], *changes[period, path]]
            for period, path in sorted(changes)
        ],
    )


def recount_direct_rows(direct, subtree, names: list[str], order: list[tuple], count) -> None:
    """Bring the direct rows (``direct``, one per period and org) of these (period, org id) keys up to date,
    inside the caller's transaction, and add their differences to the subtree rows (``subtree``).

    ``count()`` answers the live counts ({(period, org id): one number per ``names``}); it is called once
    the rows are locked. Every row is made to exist first, then locked: a concurrent recount of the same
    (period, org) waits here for this one to commit, then reads its rows and the records (no lost update,
    no unique error). A row of zeros is no row, as when rebuilt."""
    if not order:
        return
    (key,) = keys_of(direct)
    columns = (key, "org_id")
    zero = [0] * len(names)
    org_ids, periods = {org_id for _, org_id in order}, sorted({period for period, _ in order})
    write_rows(direct, columns, names, "DO NOTHING", [[*row, *zero] for row in order])
    rows = direct.objects.select_for_update().filter(**{f"{key}__in": periods}, org_id__in=listed(org_ids))
    old = {(period, org_id): values for org_id, period, *values in rows.values_list("org_id", key, *names)}
    new = count()
    write_rows(direct, columns, names, replacing(names), [[*row, *new.get(row, zero)] for row in order])
    direct.objects.filter(
        **{f"{key}__in": periods}, org_id__in=listed(org_ids), **dict.fromkeys(names, 0)
    ).delete()
    deltas = {
        row: [a - b for a, b in zip(new.get(row, zero), old.get(row, zero), strict=True)] for row in order
    }
    changed = {org_id for (_, org_id), delta in deltas.items() if any(delta)}
    if not changed:
        return
    paths = dict(Org.objects.filter(pk__in=listed(changed)).values_list("pk", "path"))
    changes: dict = {}
    for (period, org_id), delta in deltas.items():
        if any(delta):
            changes.setdefault(period, {})[paths[org_id]] = delta
    add_to_subtrees_by_year(changes, subtree, names)


def move_subtree(model, names: list[str], org: Org, old_path: str) -> None:
    """The subtree rows (``model``) of a moved org's subtree take the new paths and depths, and the org's
    subtree totals leave the old ancestors and join the new ones."""
    moved = Org.objects.filter(subtree_q("path", org.path))
    model.objects.filter(org_id__in=moved.values("pk")).update(
        path=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("path")[:1]),
        depth=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("depth")[:1]),
    )
    keys = keys_of(model)
    old_parent, new_parent = old_path[:-STEPLEN], org.path[:-STEPLEN]
    changes: dict[tuple, list] = {}  # every period's row of the org, in one upsert
    for row in model.objects.filter(org_id=org.pk).values_list(*keys, *names):
        period = row[0] if len(keys) == 1 else tuple(row[: len(keys)])
        totals = list(row[len(keys) :])
        for path in ancestor_paths(old_parent):
            changes[period, path] = [-value for value in totals]
        for path in ancestor_paths(new_parent):
            moved_out = changes.get((period, path))
            changes[period, path] = (
                totals if moved_out is None else [a + b for a, b in zip(moved_out, totals, strict=True)]
            )
    add_rows(model, names, changes)


def subtree_differences(
    year, live: dict[int, dict], model, names: list[str], what: str, orgs: dict[int, str] | None = None
) -> list[str]:
    """Where the kept subtree rows (``model``) of ``year`` (or other period) disagree with the live counts
    (``live``: org id → the live direct counts), summed up the tree in Python: each org's subtree total
    is added to its parent's once, deepest orgs first. ``orgs`` (org id → path, all of them) may be
    passed by a caller comparing many periods, to read the orgs once."""
    if orgs is None:
        orgs = dict(Org.objects.values_list("pk", "path").iterator(chunk_size=BATCH * 4))
    want: dict[str, list[int]] = {orgs[org_id]: [row[name] for name in names] for org_id, row in live.items()}
    # Deepest level first: every org's total is complete before it is added to its parent's.
    for length in range(max(map(len, want), default=0), STEPLEN, -STEPLEN):
        for path in [path for path in want if len(path) == length]:
            parent = path[:-STEPLEN]
            total = want.get(parent)
            want[parent] = (
                list(want[path])
                if total is None
                else [a + b for a, b in zip(total, want[path], strict=False)]
            )
    zero = [0] * len(names)
    found = []
    period = dict(zip(keys_of(model), key_values(model, year), strict=True))
    rows = model.objects.filter(**period).values_list("org_id", "path", *names)
    for org_id, path, *have in rows.iterator(chunk_size=BATCH):
        if orgs.get(org_id) != path:
            found.append(f"党组织 {org_id} 的{what}汇总路径 {path} 与党组织的路径 {orgs.get(org_id)} 不符")
            continue
        expected = want.pop(path, zero)
        for name, kept, live_count in zip(names, have, expected, strict=True):
            if kept != live_count:
                found.append(f"党组织 {org_id} {what}的 {name}:汇总 {kept},实际 {live_count}")
    pks = {path: pk for pk, path in orgs.items()}
    for path, expected in sorted(want.items()):
        for name, live_count in zip(names, expected, strict=True):
            if live_count:
                found.append(f"党组织 {pks[path]} {what}的 {name}:汇总 0,实际 {live_count}")
    return found


def insert_subtrees(model, names: list[str], own_rows) -> int:
    """Write every subtree row of ``model`` (every period at once), deepest orgs first: an org's row is
    its own counts plus its children's subtree rows written just before, one INSERT … SELECT per depth,
    so each count is added once. The table must be empty. Answers the rows written.

    ``own_rows(depth)`` answers the SQL and parameters of the own counts of the orgs at ``depth``: rows
    of ``org_id``, the ``keys_of(model)`` columns and a column per ``names``, in that order."""
    keys = keys_of(model)
    table, orgs = model._meta.db_table, Org._meta.db_table
    deepest = Org.objects.aggregate(deepest=Max("depth"))["deepest"] or 0
    listed = ", ".join([*keys, *names])
    named = ", ".join(f"own.{column} AS {column}" for column in (*keys, *names))
    grouped = ", ".join(f"u.{key}" for key in keys)
    summed = ", ".join(f"SUM(u.{name})" for name in names)
    written = 0
    with connection.cursor() as cursor:
        for depth in range(deepest, 0, -1):
            own, params = own_rows(depth)
            parent = f"SUBSTR(c.path, 1, {depth * STEPLEN})"
            cursor.execute(
                f"INSERT INTO {table} (org_id, path, depth, {listed}) "
                f"SELECT o.id, o.path, o.depth, {grouped}, {summed} FROM ("
                f"SELECT own.org_id AS org_id, {named} FROM ({own}) own "
                f"UNION ALL SELECT p.id, {', '.join(f'c.{column}' for column in (*keys, *names))} "
                f"FROM {table} c JOIN {orgs} p ON p.path = {parent} WHERE c.depth = %s"
                f") u JOIN {orgs} o ON o.id = u.org_id GROUP BY o.id, o.path, o.depth, {grouped}",
                (*params, depth + 1),
            )
            written += cursor.rowcount
    return written


def union_side(alias: str, own, names: list[str]) -> str:
    """The select list of one side of a UNION of counts from two sources: ``alias``'s own columns
    (``own``) by name, 0 for the other side's. Named: the first SELECT of a UNION names its columns."""
    own = set(own)
    return ", ".join(f"{alias}.{name} AS {name}" if name in own else f"0 AS {name}" for name in names)


def emptied(tables: list[str]) -> None:
    """Delete every row of the tables before a rebuild: TRUNCATE on PostgreSQL (readers and writers wait
    for the rebuild's commit instead of it deleting millions of rows one by one), DELETE elsewhere."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


@contextlib.contextmanager
def rebuilding(tables: list[str]):
    """Rewrite roll-up tables from scratch inside a transaction: emptied, their indexes set aside while
    the rows go in, then built again and the tables analysed (the app roll-ups' rebuilds)."""
    emptied(tables)
    with indexes_set_aside(tables):
        yield
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


@contextlib.contextmanager
def indexes_set_aside(tables: list[str]):
    """On PostgreSQL, drop the tables' unique constraints and secondary indexes for a rebuild and build
    them again at its end, each by one sort: a province's 483,840 branch rows took 27.7 s to insert into
    the subtree table kept by its indexes row by row, 5.9 s without them, and its indexes 13 s to build."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype = 'u'",
            [tables],
        )
        constraints = cursor.fetchall()
        for table, name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        # Foreign keys are checked at COMMIT (Django makes them deferrable), and PostgreSQL builds no
        # index on a table with checks pending: run them now, then defer again for the rest.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # sort each index in memory
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def differences_by_period(live: dict, model, names: list[str], what, paths: dict[int, str] | None = None):
    """``subtree_differences`` for every period kept or counted: ``live`` maps a period to the live
    direct counts ({org path: one number per ``names``}), ``what(period)`` names the period in the
    lines. ``paths`` (org id → path, all of them) is read once here unless the caller has it."""
    if paths is None:
        paths = dict(Org.objects.values_list("pk", "path").iterator(chunk_size=BATCH * 4))
    pks = {path: pk for pk, path in paths.items()}
    keys = keys_of(model)
    kept = {row[0] if len(keys) == 1 else row for row in model.objects.values_list(*keys).distinct()}
    found = []
    for period in sorted(set(live) | kept):
        direct = {
            pks[path]: dict(zip(names, values, strict=True)) for path, values in live.get(period, {}).items()
        }
        found += subtree_differences(period, direct, model, names, what(period), paths)
    return found


class SubtreeCounts:
    """An accelerator of a source (registry.accelerators) answering from its subtree rows: the org's own
    row for its figure, its children's rows and the difference for the figures by child. Only for a viewer
    of the org's whole subtree (then every record kept in it is seen, and nothing else: records are seen
    by their org of record); other viewers, periods the rows do not hold and indicators without a kept
    aggregate get None, and the registry counts the records.

    ``aggregate_of(indicator)`` answers the aggregate over the rows that gives the indicator's value, or
    None; ``rows_for(period)`` the condition on the rows that holds the period, or None when the rows
    cannot answer it (a period not made of whole months, for rows kept by month)."""

    def __init__(self, model, aggregate_of, rows_for):
        self.model, self.aggregate_of, self.rows_for = model, aggregate_of, rows_for

    def _query(self, user, org, period, indicators):
        """The rows' condition and the aggregates, or None when the rows cannot answer."""
        if not sees_whole_subtree(user, org):
            return None
        condition = self.rows_for(period)
        aggregates = {ind.key: self.aggregate_of(ind) for ind in indicators}
        if condition is None or any(aggregate is None for aggregate in aggregates.values()):
            return None
        return condition, aggregates

    @staticmethod
    def _finish(row: dict, indicators) -> dict:
        return {ind.key: ind.finish(row.get(ind.key)) for ind in indicators}

    def totals(self, user, org, period, indicators) -> dict | None:
        query = self._query(user, org, period, indicators)
        if query is None:
            return None
        condition, aggregates = query
        rows = self.model.objects.filter(condition, org_id=org.pk)
        return self._finish(rows.aggregate(**aggregates), indicators)

    def by_child(self, user, org, period, indicators, width: int) -> dict | None:
        query = self._query(user, org, period, indicators)
        if query is None:
            return None
        condition, aggregates = query
        children = (
            self.model.objects.filter(condition, subtree_q("path", org.path), depth=org.depth + 1)
            .order_by()
            .values("path")
            .annotate(**aggregates)
        )
        found = {row.pop("path"): self._finish(row, indicators) for row in children}
        # The org's own records: its subtree's figure less its children's.
        own = self.totals(user, org, period, indicators)
        for values in found.values():
            own = {key: own[key] - values[key] for key in own}
        found[org.path] = own
        # A subtree whose records were all taken back keeps rows of zeros; the live query has no row.
        return {path: values for path, values in found.items() if any(values.values())}


def in_months(period):
    """``SubtreeCounts.rows_for`` of rows kept by month: the months of a period of whole months."""
    return period.q("month") if period.whole_months() else None
