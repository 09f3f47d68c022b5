"""Measure subtree operations on the benchmark database in $DATABASE_URL (made by generate_tree.py).

    DATABASE_URL=sqlite:///var/bench.sqlite3 python bench/measure.py --json bench/out/sqlite.json

Each figure is the median of several runs, measured beside the same operation in raw SQL in the
same run: (a) one page of 50 orgs of a county's subtree in path order, (b) counting that subtree,
(c) moving a town of ~1,000 orgs to another county and back. It also records the query plans
of the subtree queries, and the same reads in two index-friendly forms (see bench/README.md).
"""

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import check_tree, setup_django, step  # noqa: E402

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from dangjian.core.audit import Actor  # noqa: E402
from dangjian.orgs import services  # noqa: E402
from dangjian.orgs.models import Org  # noqa: E402

READ_RUNS = 21
MOVE_ROUNDS = 10
PAGE = 50
COLUMNS = "id, path, depth, numchild, name, short_name, kind, sector, code, status, founded_on, dissolved_on"
NOCASE_INDEX = "bench_orgs_org_path_nocase"


def median_ms(operation, runs: int = READ_RUNS, warmup: int = 2) -> float:
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def raw(sql: str, params=None) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def next_prefix(path: str) -> str | None:
    """The first path after every descendant of ``path``: 0001000B -> 0001000C, 000Z -> 001.

    Paths use only 0-9 and A-Z, which sort the same in C, ICU and glibc collations and in
    SQLite's binary one, so ``path >= P AND path < next_prefix(P)`` is exactly the subtree.
    """
    alphabet = Org.alphabet
    kept = path.rstrip(alphabet[-1])
    if not kept:
        return None
    return kept[:-1] + alphabet[alphabet.index(kept[-1]) + 1]


# --- the operations -------------------------------------------------------------------------------------


def orm_page(org):
    return list(Org.objects.all().within(org).order_by("path")[:PAGE])


def raw_subtree(org) -> tuple[str, list]:
    """The WHERE clause ``within()`` issues, in raw SQL: the prefix match plus the index range."""
    upper = next_prefix(org.path)
    if upper is None:
        return "path LIKE %s AND path >= %s", [org.path + "%", org.path]
    return "path LIKE %s AND path >= %s AND path < %s", [org.path + "%", org.path, upper]


def raw_page(org):
    where, params = raw_subtree(org)
    return raw(f"SELECT {COLUMNS} FROM orgs_org WHERE {where} ORDER BY path LIMIT {PAGE}", params)


def orm_count(org) -> int:
    return Org.objects.all().within(org).count()


def raw_count(org) -> int:
    where, params = raw_subtree(org)
    return raw(f"SELECT COUNT(*) FROM orgs_org WHERE {where}", params)[0][0]


def like_queryset(org):
    """The subtree filter as it was before the range was added: the prefix match alone."""
    return Org.objects.filter(path__startswith=org.path)


def range_queryset(org):
    upper = next_prefix(org.path)
    queryset = Org.objects.filter(path__gte=org.path)
    return queryset if upper is None else queryset.filter(path__lt=upper)


def raw_move(path: str, new_parent_path: str) -> str:
    """Move the subtree at ``path`` to be the last child of ``new_parent_path``, as treebeard's SQL does."""
    steplen = Org.steplen
    depth = len(new_parent_path) // steplen + 1
    with transaction.atomic():
        last = raw(
            "SELECT MAX(path) FROM orgs_org WHERE depth = %s AND path BETWEEN %s AND %s",
            [depth, new_parent_path + "0" * steplen, new_parent_path + "Z" * steplen],
        )[0][0]
        position = int(last[-steplen:], 36) + 1 if last else 1
        new_path = new_parent_path + step(position)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE orgs_org SET path = %s || SUBSTR(path, %s), depth = depth + %s WHERE path LIKE %s",
                [new_path, len(path) + 1, (len(new_path) - len(path)) // steplen, path + "%"],
            )
            cursor.execute("UPDATE orgs_org SET numchild = numchild - 1 WHERE path = %s", [path[:-steplen]])
            cursor.execute("UPDATE orgs_org SET numchild = numchild + 1 WHERE path = %s", [new_parent_path])
    return new_path


def move_timings(town, home, away) -> tuple[float, float, str]:
    """Median milliseconds of one move through the service and through raw SQL, each there and back.

    Also returns treebeard's UPDATE statement, caught during an untimed warm-up round trip.
    """
    actor = Actor.command("bench")
    with CaptureQueriesContext(connection) as captured:
        town = services.move_org(actor, services.move_org(actor, town, away), home)
    update_sql = next(
        q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE") and "LIKE" in q["sql"]
    )
    # Service and raw round trips alternate, so the dead rows the moves leave behind weigh on both alike.
    service_samples, raw_samples = [], []
    for _ in range(MOVE_ROUNDS):
        for target in (away, home):
            started = time.perf_counter()
            town = services.move_org(actor, town, target)
            service_samples.append((time.perf_counter() - started) * 1000)
        path = town.path
        for target in (away, home):
            target.refresh_from_db()
            started = time.perf_counter()
            path = raw_move(path, target.path)
            raw_samples.append((time.perf_counter() - started) * 1000)
        town = Org.objects.get(path=path)
    return statistics.median(service_samples), statistics.median(raw_samples), update_sql


# --- query plans ----------------------------------------------------------------------------------------


def captured_sql(operation) -> str:
    with CaptureQueriesContext(connection) as captured:
        operation()
    return captured.captured_queries[-1]["sql"]


def plan(sql: str, analyze: bool = True) -> list[str]:
    if connection.vendor == "postgresql":
        prefix = (
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " if analyze else "EXPLAIN (COSTS OFF) "
        )
        return [line for (line,) in raw(prefix + sql)]
    return [row[-1] for row in raw("EXPLAIN QUERY PLAN " + sql)]


def index_used(lines: list[str]) -> str:
    """How a plan finds the subtree: searching an index, walking a whole index in order, or scanning the table."""
    text = "\n".join(lines)
    if connection.vendor == "postgresql":
        found = re.search(r"Index (?:Only )?Scan(?: Backward)? (?:using|on) (\w+)", text)
        if found and "Index Cond" in text:
            return f"search {found.group(1)}"
        return f"whole index {found.group(1)} (filter)" if found else "table scan"
    found = re.search(r"SEARCH \w+ USING (?:COVERING )?INDEX (\w+)", text)
    if found:
        return f"search {found.group(1)}"
    found = re.search(r"SCAN \w+ USING (?:COVERING )?INDEX (\w+)", text)
    return f"whole index {found.group(1)} (filter)" if found else "table scan"


def plans_for(reads: dict) -> dict:
    out = {}
    for label, operation in reads.items():
        lines = plan(captured_sql(operation))
        out[label] = {"index": index_used(lines), "plan": lines}
    return out


# --- the run --------------------------------------------------------------------------------------------


def database_label() -> str:
    if connection.vendor == "postgresql":
        version = raw("SHOW server_version")[0][0].split()[0]
        collation = raw(
            "SELECT COALESCE(daticulocale, datcollate) FROM pg_database WHERE datname = current_database()"
        )[0][0]
        return f"PostgreSQL {version} (collation {collation})"
    return f"SQLite {raw('SELECT sqlite_version()')[0][0]}"


def measure() -> dict:
    counties = list(Org.objects.filter(depth=2).order_by("path"))
    county = counties[len(counties) // 2]  # a mid-level org in the middle of the tree
    away = counties[len(counties) // 2 - 1]
    town = Org.objects.filter(depth=3, path__startswith=county.path, numchild__gt=0).order_by("path").first()
    size, town_size = orm_count(county), orm_count(town)
    results = [
        {
            "operation": f"list one page ({PAGE}) of a {size:,}-org subtree",
            "orm_ms": median_ms(lambda: orm_page(county)),
            "raw_ms": median_ms(lambda: raw_page(county)),
        },
        {
            "operation": f"count a {size:,}-org subtree",
            "orm_ms": median_ms(lambda: orm_count(county)),
            "raw_ms": median_ms(lambda: raw_count(county)),
        },
    ]
    service_ms, raw_ms, update_sql = move_timings(town, county, away)
    results.append(
        {
            "operation": f"move a {town_size:,}-org subtree to another county (one move; median of {2 * MOVE_ROUNDS})",
            "orm_ms": service_ms,
            "raw_ms": raw_ms,
            "note": "the service also locks both parents, checks permission and rules, "
            "writes the OrgEvent and the audit entry (SM3 chain)",
        }
    )
    for row in results:
        row["ratio"] = row["orm_ms"] / row["raw_ms"]
    reads = {
        "list page (Django: LIKE + range)": lambda: orm_page(county),
        "count (Django: LIKE + range)": lambda: orm_count(county),
    }
    plans = plans_for(reads)
    move_plan = plan(update_sql, analyze=False)
    plans["move UPDATE (treebeard: path LIKE)"] = {"index": index_used(move_plan), "plan": move_plan}
    return {
        "database": database_label(),
        "orgs": Org.objects.count(),
        "subtree": {"org": county.name, "size": size},
        "results": results,
        "plans": plans,
        "alternatives": alternatives(county, size),
        "page_by_position": page_by_position(counties),
        "tree_problems_after_moves": check_tree(connection),
    }


def alternatives(county, size: int) -> list[dict]:
    """The same two reads in index-friendly forms, to show what the plans above cost or save."""
    found = []

    def variant(label: str, queryset_for, setup_sql: str = "", teardown_sql: str = ""):
        if setup_sql:
            raw_execute(setup_sql)
        try:
            page = lambda: list(queryset_for(county).order_by("path")[:PAGE])  # noqa: E731
            count = lambda: queryset_for(county).count()  # noqa: E731
            assert count() == size, f"{label} counts {count()} instead of {size}"
            page_plan, count_plan = plan(captured_sql(page)), plan(captured_sql(count))
            found.append(
                {
                    "variant": label,
                    "page_ms": median_ms(page),
                    "count_ms": median_ms(count),
                    "page_index": index_used(page_plan),
                    "count_index": index_used(count_plan),
                    "plans": {"page": page_plan, "count": count_plan},
                }
            )
        finally:
            if teardown_sql:
                raw_execute(teardown_sql)

    variant("path LIKE prefix alone (before)", like_queryset)
    variant("path >= prefix AND path < next prefix (range alone)", range_queryset)
    variant("LIKE + range (as shipped, within())", lambda org: Org.objects.all().within(org))
    if connection.vendor == "sqlite":
        variant(
            "path LIKE prefix + index on path COLLATE NOCASE",
            like_queryset,
            setup_sql=f"CREATE INDEX {NOCASE_INDEX} ON orgs_org (path COLLATE NOCASE)",
            teardown_sql=f"DROP INDEX {NOCASE_INDEX}",
        )
    return found


def page_by_position(counties: list) -> list[dict]:
    """The page query for the first, middle and last county: its cost as shipped depends on where it lies."""
    picks = {"first": counties[0], "middle": counties[len(counties) // 2], "last": counties[-1]}
    return [
        {
            "county": label,
            "like_ms": median_ms(lambda org=org: list(like_queryset(org).order_by("path")[:PAGE])),
            "range_ms": median_ms(lambda org=org: orm_page(org)),
        }
        for label, org in picks.items()
    ]


def raw_execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    options = parser.parse_args()
    figures = measure()
    for row in figures["results"]:
        print(
            f"  {row['operation']}: Django {row['orm_ms']:.2f} ms, raw SQL {row['raw_ms']:.2f} ms, ×{row['ratio']:.1f}"
        )
    for label, found in figures["plans"].items():
        print(f"  plan of {label}: {found['index']}")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
