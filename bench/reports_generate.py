"""Generate members for the statistics benchmarks into a tree made by generate_tree.py (PostgreSQL only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench python bench/generate_tree.py --orgs 500000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench python bench/reports_generate.py --members 10000000

Benchmark data, not a user path: the rows are made by one INSERT … SELECT over generate_series inside
the server (no Python per row), with dummy ciphertext text in the protected columns, spread evenly
over the branches with deterministic pseudo-random sex, ethnicity, birth date, education, occupation,
category and admission date, ~2 % off the roll (exited). The table's secondary indexes are dropped
before the load and rebuilt after it, which is several times faster than maintaining them row by row.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django  # noqa: E402

EDUCATIONS = ["postgraduate", "bachelor", "college", "secondary_vocational", "high_school", "junior_or_below"]
OCCUPATIONS = ["worker", "farmer", "professional", "manager", "official", "student", "other", "retired"]


def array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


INSERT = f"""
INSERT INTO members_member (
    row_key, name, name_initials, sex, ethnicity, birth_date, id_number_enc, id_number_index,
    id_number_masked, native_place, education, occupation, work_unit, post, phone_enc, phone_masked,
    address_enc, address_masked, category, status, status_since, on_roll, applied_on, joined_on,
    converted_on, probation_extended_months, exit_reason, left_on, created_at, updated_at, org_id)
SELECT
    md5(g::text)::uuid,
    '党员' || g, 'dy', CASE WHEN h % 10 < 7 THEN 'male' ELSE 'female' END,
    CASE WHEN h % 100 < 93 THEN '汉族' ELSE '壮族' END,
    birth,
    'bench-ciphertext', 'idx' || g, '4401**********' || lpad((g % 10000)::text, 4, '0'),
    '', ({array(EDUCATIONS)})[1 + (h / 7) % 6], ({array(OCCUPATIONS)})[1 + (h / 11) % 8],
    '', '', '', '', '', '',
    CASE WHEN h % 50 = 0 THEN 'probationary' ELSE 'full' END,
    CASE WHEN h % 97 = 0 THEN 'exited' ELSE 'normal' END, NULL,
    h % 97 <> 0, joined - 400, joined,
    CASE WHEN h % 50 = 0 THEN NULL ELSE joined + 365 END, 0,
    CASE WHEN h % 97 = 0 THEN 'withdrew' ELSE '' END,
    CASE WHEN h % 97 = 0 THEN DATE '2024-06-30' ELSE NULL END,
    now(), now(), b.org_id
FROM (
    SELECT g, h,
        DATE '1930-01-01' + (h % 27000)::int AS birth,
        LEAST(DATE '1930-01-01' + ((h % 27000) + 6600 + (h / 13) % 20000)::int, DATE '2025-10-01') AS joined
    FROM (SELECT g, ((g::bigint * 2654435761) % 4294967291)::bigint AS h
          FROM generate_series(1, %(members)s) AS g) AS s
) AS m
JOIN bench_branches b ON b.n = m.g %% %(branches)s
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000_000)
    options = parser.parse_args()
    setup_django()
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        sys.exit("reports_generate.py loads PostgreSQL only")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE members_member CASCADE")
        # Unique constraints (e.g. one record per ID number) own their index: drop and re-add them.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'members_member'::regclass AND contype = 'u'"
        )
        constraints = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE members_member DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'members_member' "
            "AND indexname NOT LIKE '%%pkey' AND indexname NOT LIKE '%%_key'"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("DROP TABLE IF EXISTS bench_branches")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_branches AS SELECT (row_number() OVER (ORDER BY path)) - 1 AS n, "
            "id AS org_id FROM orgs_org WHERE kind = 'branch'"
        )
        cursor.execute("SELECT COUNT(*) FROM bench_branches")
        branches = cursor.fetchone()[0]
        cursor.execute("CREATE INDEX ON bench_branches (n)")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            INSERT.replace("%(members)s", str(options.members))
            .replace("%(branches)s", str(branches))
            .replace("%%", "%")
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the org keys now, before the indexes
        loaded = time.perf_counter()
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE members_member ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("DROP TABLE bench_branches")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE members_member")
    print(
        f"  {options.members:,} members over {branches:,} branches: load {loaded - started:.0f} s, "
        f"indexes and analyze {time.perf_counter() - loaded:.0f} s"
    )


if __name__ == "__main__":
    main()
