"""Generate a large org tree for the benchmarks, in a separate database named in $DATABASE_URL.

    DATABASE_URL=sqlite:///var/bench.sqlite3 python bench/generate_tree.py --orgs 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench python bench/generate_tree.py --orgs 500000

This is a generator of benchmark data, not a user path: it writes the rows of ``orgs_org``
with bulk inserts (COPY on PostgreSQL, executemany on SQLite) instead of calling the
services, which would take hours for 500,000 orgs with their events and audit entries.
The paths are valid treebeard materialized paths (4 base-36 characters per level) with
the right depth and numchild, checked after loading, so the tree behaves exactly like one
the services built. The database is recreated from scratch and migrated each time.

The shape: a city root, counties, towns of ~1,000 orgs each (a town committee, 30 general
branches, 32 branches under each), and the few orgs left over as branches under the counties.
"""

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import STEPLEN, check_tree, database_url, setup_django, step  # noqa: E402

UNITS_PER_TOWN = 30
BRANCHES_PER_UNIT = 32
TOWN_SIZE = 1 + UNITS_PER_TOWN * (1 + BRANCHES_PER_UNIT)  # 991: the subtree the move benchmark moves
TOWNS_PER_COUNTY = 24
# By default a non-C collation, as a Chinese deployment would choose for sorting names: LIKE cannot
# use the ordinary index then, which is why orgs/migrations/0002 adds a varchar_pattern_ops index.
PG_ICU_LOCALE = "zh-Hans-CN"
COLUMNS = (
    "path",
    "depth",
    "numchild",
    "name",
    "short_name",
    "kind",
    "sector",
    "code",
    "status",
    "founded_on",
    "dissolved_on",
    "created_at",
    "updated_at",
    "temporary_purpose",
)


def plan(total: int) -> tuple[int, int, int]:
    """(counties, towns per county, extra branches) so that the tree has exactly ``total`` orgs."""
    towns = max(2, (total - 1) // (TOWN_SIZE + 1))
    counties = max(2, round(towns / TOWNS_PER_COUNTY))
    towns_per_county = towns // counties
    extra = total - 1 - counties - counties * towns_per_county * TOWN_SIZE
    if extra < 0:
        sys.exit(f"--orgs {total} is too small for the tree's shape (at least {3 + 2 * TOWN_SIZE})")
    return counties, towns_per_county, extra


def rows(total: int):
    """The orgs in path order (depth first), as tuples in COLUMNS order."""
    counties, towns_per_county, extra = plan(total)
    now = datetime.now(UTC)
    founded = date(2000, 1, 1)
    serial = 0

    def row(path, numchild, name, kind, sector):
        nonlocal serial
        serial += 1
        depth = len(path) // STEPLEN
        return (
            path,
            depth,
            numchild,
            name,
            "",
            kind,
            sector,
            f"B{serial:08d}",
            "active",
            founded,
            None,
            now,
            now,
            "",
        )

    root = step(1)
    yield row(root, counties, "基准测试市委", "committee", "organ")
    for c in range(1, counties + 1):
        county = root + step(c)
        extras = extra // counties + (1 if c <= extra % counties else 0)
        yield row(county, towns_per_county + extras, f"基准{c:02d}县委", "committee", "organ")
        for t in range(1, towns_per_county + 1):
            town = county + step(t)
            town_name = f"基准{c:02d}县{t:02d}镇"
            yield row(town, UNITS_PER_TOWN, f"{town_name}党委", "committee", "organ")
            for u in range(1, UNITS_PER_TOWN + 1):
                unit = town + step(u)
                yield row(unit, BRANCHES_PER_UNIT, f"{town_name}{u:02d}村党总支", "general_branch", "village")
                for b in range(1, BRANCHES_PER_UNIT + 1):
                    yield row(unit + step(b), 0, f"{town_name}{u:02d}村第{b}党支部", "branch", "village")
        for e in range(1, extras + 1):
            yield row(
                county + step(towns_per_county + e), 0, f"基准{c:02d}县直属第{e}党支部", "branch", "organ"
            )


# --- recreating the database ----------------------------------------------------------------------------


def recreate_database(settings: dict, icu_locale: str) -> str:
    """Drop and create the benchmark database; return a note on its collation."""
    if settings["ENGINE"].endswith("sqlite3"):
        path = Path(settings["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return "binary"
    import psycopg

    admin = psycopg.connect(
        dbname="postgres",
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        autocommit=True,
        connect_timeout=5,
    )
    name = settings["NAME"]
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if icu_locale == "default":
            admin.execute(f'CREATE DATABASE "{name}"')
            return "server default"
        try:
            admin.execute(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}'"
            )
            return f"ICU {icu_locale}"
        except psycopg.Error as exc:
            print(f"  (no ICU collation here: {exc.diag.message_primary}; using the server's default)")
            admin.execute(f'CREATE DATABASE "{name}"')
            return "server default"


# --- loading --------------------------------------------------------------------------------------------


def load_sqlite(connection, total: int) -> None:
    from django.db import transaction

    sql = f"INSERT INTO orgs_org ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    batch = []
    with transaction.atomic(), connection.cursor() as cursor:
        for values in rows(total):
            batch.append(values)
            if len(batch) == 10_000:
                cursor.executemany(sql, batch)
                batch.clear()
        cursor.executemany(sql, batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def load_postgresql(connection, total: int) -> None:
    raw = connection.connection
    copy_sql = f"COPY orgs_org ({', '.join(COLUMNS)}) FROM STDIN"
    with raw.transaction(), raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for values in rows(total):
            copy.write_row(values)
    raw.execute("VACUUM ANALYZE orgs_org")  # as autovacuum would soon: visibility map and statistics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=20_000)
    parser.add_argument(
        "--pg-locale",
        default=PG_ICU_LOCALE,
        help=f"ICU locale of the PostgreSQL database (default {PG_ICU_LOCALE}); 'default' for the server's",
    )
    options = parser.parse_args()
    database_url()
    import dj_database_url

    settings = dj_database_url.parse(os.environ["DATABASE_URL"])
    started = time.perf_counter()
    collation = recreate_database(settings, options.pg_locale)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        load_postgresql(connection, options.orgs)
    else:
        load_sqlite(connection, options.orgs)
    loaded = time.perf_counter()
    problems = check_tree(connection)
    if problems:
        sys.exit(f"generated tree is broken: {problems}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM orgs_org")
        count = cursor.fetchone()[0]
    print(
        f"  {count:,} orgs in {connection.vendor} (collation: {collation}): migrate {migrated - started:.1f} s, "
        f"load {loaded - migrated:.1f} s, check {time.perf_counter() - loaded:.1f} s"
    )


if __name__ == "__main__":
    main()
