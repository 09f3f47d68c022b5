"""Roll-ups of the member indicators: kept, read, rebuilt, verified.

Two tables (reports.models): ``MemberRollup``, the counts of the members kept DIRECTLY at each org, and
``SubtreeRollup``, the counts of each org's whole subtree. A change of an org's direct row is added, as
a delta, to the subtree rows of the org and of every ancestor (the prefixes of its path) in the same
transaction; an org moved with its subtree takes its subtree totals from the old ancestors to the new
ones (``orgs.services.register_move_hook``). A figure for an org is then one row, whatever its level.

Kept: the member services call ``recount(org_ids)`` (through ``members.services.register_change_hook``,
registered in ReportsConfig.ready) inside the same transaction as every change of a member record —
created, bulk-imported, edited, an event that changes category or roll, a transfer accepted or closed,
a merge, an import undone. Recounting an org is the registry's own aggregate over that org's members
(an indexed range of a few dozen rows), so a roll-up row is by construction what the live query says.

Read: ``registry.compute`` asks ``totals``/``by_child`` first for the members source. They answer for a
period ending on 31 December of a year whose roll-ups are built (``RollupYear``: this year and the nine
before), and only for the indicators kept — otherwise None, and the live query runs. When the user sees
the org's whole subtree (a subtree role at or above it) the answer is the org's subtree row (and for
the breakdown the children's subtree rows plus the org's direct row); otherwise the visible direct
rows are summed. A row of a past
year stays exact because every write that can change any year's count (a record entered late with an
old admission date, a correction of a birth date) recounts the org for every kept year.
"""

from django.db import connection, transaction
from django.db.models import Count, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.core.access import scopes_for, subtree_q
from dangjian.core.audit import Actor, record
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.reports import registry
from dangjian.reports.indicators import on_roll_on
from dangjian.reports.models import ROLLUP_KEYS, MemberRollup, RollupYear, SubtreeRollup, column
from dangjian.reports.registry import STEPLEN, Period

BATCH = 5000  # rows read at a time when verifying
YEARS = 1  # years kept by default: this one (rebuild_rollups --years 10 also keeps the trend's nine before)


NAMES = [column(key) for key in ROLLUP_KEYS]


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
    years = kept_years()
    if not years:
        return
    paths = dict(Org.objects.filter(pk__in=org_ids).values_list("pk", "path"))
    for year in years:
        old = {
            row.pop("org_id"): row
            for row in MemberRollup.objects.select_for_update()
            .filter(year=year, org_id__in=org_ids)
            .values("org_id", *NAMES)
        }
        new = {row.pop("org_id"): row for row in _counts(Member.objects.filter(org_id__in=org_ids), year)}
        MemberRollup.objects.filter(year=year, org_id__in=org_ids).delete()
        MemberRollup.objects.bulk_create(MemberRollup(year=year, org_id=pk, **row) for pk, row in new.items())
        deltas = {}
        for pk in set(old) | set(new):
            before, after = old.get(pk, {}), new.get(pk, {})
            deltas[paths[pk]] = [after.get(name, 0) - before.get(name, 0) for name in NAMES]
        add_to_subtrees(year, deltas)


def apply_bulk(member_ids: list[int]) -> None:
    """The roll-up upkeep of a bulk creation: the new records' counts, added to their orgs' rows (the
    rows of the other records stay as they are). members.services calls it from ``create_members_bulk``;
    call it after any other bulk INSERT of member rows, inside the same transaction."""
    years = kept_years()
    if not member_ids or not years:
        return
    names = NAMES
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
        paths = dict(Org.objects.filter(pk__in=list(added)).values_list("pk", "path"))
        add_to_subtrees(year, {paths[pk]: [row[name] for name in names] for pk, row in added.items()})


def ancestor_paths(path: str) -> list[str]:
    """The paths of the org's ancestors and its own, root first: each prefix of a whole number of steps."""
    return [path[:end] for end in range(STEPLEN, len(path) + 1, STEPLEN)]


def add_to_subtrees(year: int, deltas: dict[str, list[int]]) -> None:
    """Add each change of a direct row (org path → one number per column of ``NAMES``) to the subtree
    rows of that org and of all its ancestors: one INSERT of the rows missing, one UPDATE statement."""
    by_path: dict[str, list[int]] = {}
    for path, delta in deltas.items():
        if not any(delta):
            continue
        for ancestor in ancestor_paths(path):
            total = by_path.get(ancestor)
            by_path[ancestor] = delta if total is None else [a + b for a, b in zip(total, delta, strict=True)]
    _add_rows(year, by_path)


def _add_rows(year: int, by_path: dict[str, list[int]]) -> None:
    """Add to the subtree rows of these orgs (by path), creating the rows that do not exist yet."""
    by_path = {path: delta for path, delta in by_path.items() if any(delta)}
    if not by_path:
        return
    orgs = {
        path: (pk, depth)
        for pk, path, depth in Org.objects.filter(path__in=list(by_path)).values_list("pk", "path", "depth")
    }
    present = set(
        SubtreeRollup.objects.filter(year=year, org_id__in=[pk for pk, _ in orgs.values()]).values_list(
            "path", flat=True
        )
    )
    SubtreeRollup.objects.bulk_create(
        SubtreeRollup(
            org_id=orgs[path][0],
            year=year,
            path=path,
            depth=orgs[path][1],
            **dict(zip(NAMES, delta, strict=True)),
        )
        for path, delta in sorted(by_path.items())
        if path not in present
    )
    add = (
        f"UPDATE {SubtreeRollup._meta.db_table} SET "
        + ", ".join(f"{name} = {name} + %s" for name in NAMES)
        + " WHERE year = %s AND org_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(add, [[*by_path[path], year, orgs[path][0]] for path in sorted(present)])


def on_org_moved(actor: Actor, org: Org, old_path: str) -> None:
    """An org moved with its subtree (orgs.services' move hook): its subtree rows take the new paths and
    depths, and its subtree totals leave the old ancestors and join the new ones."""
    moved = Org.objects.filter(subtree_q("path", org.path))
    SubtreeRollup.objects.filter(org_id__in=moved.values("pk")).update(
        path=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("path")[:1]),
        depth=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("depth")[:1]),
    )
    for year in kept_years():
        row = SubtreeRollup.objects.filter(year=year, org_id=org.pk).values_list(*NAMES).first()
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
        _add_rows(year, changes)


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


def sees_whole_subtree(user, org) -> bool:
    """Whether the user's scope holds every org below ``org`` (then its subtree row may be shown)."""
    return any(scope.subtree and org.path.startswith(scope.path) for scope in scopes_for(user))


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
    RollupYear.objects.create(year=year, built_at=timezone.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {MemberRollup._meta.db_table}")
            cursor.execute(f"ANALYZE {SubtreeRollup._meta.db_table}")
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


def trend(user, org, years: list[int]) -> dict[int, int] | None:
    """members.total on 31 December of each year from the roll-ups (one query), or None if one is missing."""
    if not set(years) <= kept_years():
        return None
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
    return found + subtree_differences(year, live)


def subtree_differences(year: int, live: dict[int, dict]) -> list[str]:
    """Where the kept subtree rows of ``year`` disagree with the live counts (``live``: org id → the live
    direct counts), summed up the tree in Python: each org's subtree total is added to its parent's once,
    deepest orgs first."""
    orgs = dict(Org.objects.values_list("pk", "path").iterator(chunk_size=BATCH * 4))
    want: dict[str, list[int]] = {orgs[org_id]: [row[name] for name in NAMES] for org_id, row in live.items()}
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
    zero = [0] * len(NAMES)
    found = []
    rows = SubtreeRollup.objects.filter(year=year).values_list("org_id", "path", *NAMES)
    for org_id, path, *have in rows.iterator(chunk_size=BATCH):
        if orgs.get(org_id) != path:
            found.append(f"党组织 {org_id} 的子树汇总路径 {path} 与党组织的路径 {orgs.get(org_id)} 不符")
            continue
        expected = want.pop(path, zero)
        for name, kept, live_count in zip(NAMES, have, expected, strict=True):
            if kept != live_count:
                found.append(f"党组织 {org_id} 子树的 {name}:汇总 {kept},实际 {live_count}")
    pks = {path: pk for pk, path in orgs.items()}
    for path, expected in sorted(want.items()):
        for name, live_count in zip(NAMES, expected, strict=True):
            if live_count:
                found.append(f"党组织 {pks[path]} 子树的 {name}:汇总 0,实际 {live_count}")
    return found
