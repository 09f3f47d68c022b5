"""Subtree rows: the machinery the member and org roll-ups share (reports.rollups).

A subtree row holds, per org and kept year, counts of the org's whole subtree, with the org's path and
depth copied onto it. Writers add deltas to the rows of an org and all its ancestors with one upsert
(``INSERT … ON CONFLICT (year, org_id) DO UPDATE``), in (year, path) order; a moved subtree's rows take
the new paths and its totals move from the old ancestors to the new ones; the verify pass sums the live
direct counts up the tree in Python and names every row that differs.
"""

from django.db import connection
from django.db.models import OuterRef, Subquery

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


def ancestor_paths(path: str) -> list[str]:
    """The paths of the org's ancestors and its own, root first: each prefix of a whole number of steps."""
    return [path[:end] for end in range(STEPLEN, len(path) + 1, STEPLEN)]


def add_to_subtrees(year: int, deltas: dict[str, list[int]], model, names: list[str]) -> None:
    """Add each change of a direct count (org path → one number per column of ``names``) to the subtree
    rows (``model``) of that org and of all its ancestors, for one year."""
    add_to_subtrees_by_year({year: deltas}, model, names)


def add_to_subtrees_by_year(deltas: dict[int, dict[str, list[int]]], model, names: list[str]) -> None:
    """``add_to_subtrees`` for several years at once ({year: {org path: delta}}): one upsert statement."""
    changes: dict[tuple[int, str], list[int]] = {}
    for year, by_path in deltas.items():
        for path, delta in by_path.items():
            if not any(delta):
                continue
            for ancestor in ancestor_paths(path):
                total = changes.get((year, ancestor))
                changes[year, ancestor] = (
                    delta if total is None else [a + b for a, b in zip(total, delta, strict=True)]
                )
    add_rows(model, names, changes)


def upsert(model, keys: tuple[str, ...], names: list[str], on_conflict: str) -> str:
    """SQL inserting one parameter row into ``model``; ``on_conflict`` says what a row of the same
    (year, org) already there gets (``DO NOTHING``, ``DO UPDATE SET …``)."""
    table = model._meta.db_table
    columns = [*keys, *names]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (year, org_id) {on_conflict}"
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
    The rows must be unique by (year, org): one statement cannot update a row twice."""
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
            f"SELECT * FROM unnest({arrays}) ON CONFLICT (year, org_id) {on_conflict}",
            [list(values) for values in zip(*rows, strict=True)],
        )


def add_rows(model, names: list[str], changes: dict[tuple[int, str], list[int]]) -> None:
    """Add to the subtree rows (``model``: SubtreeRollup or OrgSubtreeRollup) of these (year, org path),
    creating the rows that do not exist yet: one statement with a parameter row per row, in (year, path)
    order (every writer locks rows in the same order, so concurrent writers wait rather than deadlock)."""
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
        ("org_id", "year", "path", "depth"),
        names,
        adding(model, names),
        [[orgs[path][0], year, path, orgs[path][1], *changes[year, path]] for year, path in sorted(changes)],
    )


def move_subtree(model, names: list[str], org: Org, old_path: str) -> None:
    """The subtree rows (``model``) of a moved org's subtree take the new paths and depths, and the org's
    subtree totals leave the old ancestors and join the new ones."""
    moved = Org.objects.filter(subtree_q("path", org.path))
    model.objects.filter(org_id__in=moved.values("pk")).update(
        path=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("path")[:1]),
        depth=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("depth")[:1]),
    )
    for year in kept_years():
        row = model.objects.filter(year=year, org_id=org.pk).values_list(*names).first()
        if row is None:
            continue
        totals = list(row)
        old_parent, new_parent = old_path[:-STEPLEN], org.path[:-STEPLEN]
        changes: dict[str, list[int]] = {}
        for path in ancestor_paths(old_parent):
            changes[path] = [-value for value in totals]
        for path in ancestor_paths(new_parent):
            changes[path] = (
                [a + b for a, b in zip(changes[path], totals, strict=True)] if path in changes else totals
            )
        add_rows(model, names, {(year, path): delta for path, delta in changes.items()})


def subtree_differences(year: int, live: dict[int, dict], model, names: list[str], what: str) -> list[str]:
    """Where the kept subtree rows (``model``) of ``year`` disagree with the live counts (``live``: org
    id → the live direct counts), summed up the tree in Python: each org's subtree total is added to its
    parent's once, deepest orgs first."""
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
    rows = model.objects.filter(year=year).values_list("org_id", "path", *names)
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
