"""Monthly dues billing benchmark: N members billed by the service, beside a raw SQL INSERT … SELECT.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dues_bench python bench/dues_billing.py \\
        --members 1000000 --json bench/out/dues_billing_postgresql.json

PostgreSQL only. The database is recreated and migrated (its name must contain "bench") and dropped at
the end unless ``--keep``. The script builds the org tree of bench/members_import.py (a city, 10
counties, 100 branches each) and writes the members straight into the members table with one
``INSERT … SELECT generate_series`` (dummy ciphertext: the billing never reads it), 95 % full and 5 %
probationary, with one declared base each (in service 1,500–16,500 yuan, retirees, farmers). Then, in
the same run:

- raw: one ``INSERT … SELECT`` into the bills table computing the same bills in SQL (the same rules:
  latest base per member, the 2008 bands in a CASE, ROUND half up, transfers and temporary branches);
  copied aside, then the table is emptied;
- service: ``dues.services.bill_month`` for all orgs (what ``manage.py bill_dues`` runs);
- the service's bills are compared with the raw ones (both ways, by member, org, month and amount);
- re-run: ``bill_month`` again, which must create nothing.
"""

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_url  # noqa: E402
from members_import import build_orgs, recreate_database, setup  # noqa: E402

MONTH = "2026-11-01"

MEMBERS_SQL = """
INSERT INTO members_member (
    row_key, name, name_initials, sex, ethnicity, birth_date, id_number_enc, id_number_index,
    id_number_masked, native_place, education, occupation, work_unit, post, phone_enc, phone_masked,
    address_enc, address_masked, category, status, on_roll, org_id, joined_on, converted_on,
    probation_extended_months, exit_reason, created_at, updated_at)
SELECT md5(i::text)::uuid, '党员' || i, 'dy', CASE WHEN i %% 2 = 0 THEN 'male' ELSE 'female' END, '汉族',
       DATE '1950-01-01' + (i %% 18000), 'bench', md5('id' || i::text), '4405**********' || lpad((i %% 10000)::text, 4, '0'),
       '', '', '', '', '', '', '', '', '',
       CASE WHEN i %% 20 = 0 THEN 'probationary' ELSE 'full' END, 'normal', TRUE,
       (%(branches)s::bigint[])[1 + (i %% %(orgs)s)],
       CASE WHEN i %% 20 = 0 THEN DATE '2026-06-01' ELSE DATE '1990-01-01' + (i %% 9000) END,
       CASE WHEN i %% 20 = 0 THEN NULL ELSE DATE '1991-01-01' + (i %% 9000) END,
       0, '', now(), now()
FROM generate_series(1, %(members)s) AS i
"""

BASES_SQL = """
INSERT INTO dues_duesbase (member_id, member_type, effective_month, base, fixed_amount, relief,
                           relief_approved_by, relief_document, note, recorded_at)
SELECT m.id,
       CASE WHEN m.id % 10 = 0 THEN 'retired' WHEN m.id % 25 = 1 THEN 'farmer' ELSE 'in_service' END,
       DATE '2026-01-01',
       CASE WHEN m.id % 25 = 1 AND m.id % 10 <> 0 THEN NULL ELSE 1500 + (m.id * 37 % 15000) + (m.id % 100) / 100.0 END,
       CASE WHEN m.id % 25 = 1 AND m.id % 10 <> 0 THEN 0.50 ELSE NULL END,
       'none', '', '', '', now()
FROM members_member m
"""

# The same bills as the service, in one statement: the rules of dues.services.billing_candidates and
# the 2008 bands of migration 0002 written out as CASE expressions.
RAW_SQL = """
INSERT INTO dues_duesbill (member_id, org_id, month, member_type, base, rate, amount, standard_id,
                           dues_base_id, created_at)
SELECT m.id, COALESCE(moved.from_org_id, m.org_id), DATE %(month)s, b.member_type, b.base, r.rate,
       CASE WHEN b.relief = 'exempt' THEN 0.00
            WHEN b.relief = 'reduced' THEN b.reduced_amount
            WHEN b.member_type = 'farmer' THEN COALESCE(b.fixed_amount, 0.20)
            WHEN b.member_type = 'low_income' THEN 0.20
            ELSE ROUND(b.base * r.rate / 100, 2) END,
       %(standard)s, b.id, now()
FROM members_member m
JOIN LATERAL (SELECT * FROM dues_duesbase b WHERE b.member_id = m.id AND b.effective_month <= DATE %(month)s
              ORDER BY b.effective_month DESC, b.id DESC LIMIT 1) b ON TRUE
LEFT JOIN LATERAL (SELECT t.from_org_id FROM members_transfer t
                   WHERE t.member_id = m.id AND t.direction = 'within' AND t.status = 'accepted'
                     AND t.accepted_on > DATE %(month)s ORDER BY t.accepted_on, t.id LIMIT 1) moved ON TRUE
JOIN orgs_org o ON o.id = COALESCE(moved.from_org_id, m.org_id)
CROSS JOIN LATERAL (SELECT CASE
        WHEN b.member_type IN ('farmer', 'low_income') OR b.relief = 'exempt' THEN NULL
        WHEN b.member_type = 'retired' THEN CASE WHEN b.base <= 5000 THEN 0.50 ELSE 1.00 END
        ELSE CASE WHEN b.base <= 3000 THEN 0.50 WHEN b.base <= 5000 THEN 1.00
                  WHEN b.base <= 10000 THEN 1.50 ELSE 2.00 END END AS rate) r
WHERE m.category IN ('probationary', 'full') AND m.status <> 'suspended'
  AND (m.joined_on IS NULL OR m.joined_on < DATE %(month)s + INTERVAL '1 month')
  AND (m.on_roll OR m.left_on >= DATE %(month)s)
  AND o.kind <> 'temporary_branch'
  AND NOT EXISTS (SELECT 1 FROM dues_duesbill x WHERE x.member_id = m.id AND x.month = DATE %(month)s)
"""

COMPARE_SQL = """
SELECT (SELECT COUNT(*) FROM (SELECT member_id, org_id, month, amount FROM dues_duesbill
                              EXCEPT SELECT member_id, org_id, month, amount FROM bench_raw_bills) a),
       (SELECT COUNT(*) FROM (SELECT member_id, org_id, month, amount FROM bench_raw_bills
                              EXCEPT SELECT member_id, org_id, month, amount FROM dues_duesbill) b)
"""


def timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = database_url()
    if not urlparse(url).scheme.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL only (INSERT … SELECT, COPY).")
    recreate_database(url)
    try:
        figures = run(url, args.members)
    finally:
        if not args.keep:
            drop(url)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))


def run(url: str, members: int) -> dict:
    setup(url)
    from django.db import connection

    from dangjian.core.audit import Actor
    from dangjian.dues import services
    from dangjian.dues.models import DuesBill, DuesStandard
    from dangjian.orgs.models import Org

    build_orgs()
    branches = list(Org.objects.filter(kind="branch").order_by("pk").values_list("pk", flat=True))
    standard = DuesStandard.objects.get().pk
    with connection.cursor() as cursor:
        generate, _ = timed(
            lambda: (
                cursor.execute(
                    MEMBERS_SQL, {"branches": branches, "orgs": len(branches), "members": members}
                ),
                cursor.execute(BASES_SQL),
                cursor.execute("ANALYZE members_member; ANALYZE dues_duesbase; ANALYZE orgs_org"),
            )
        )
        raw, _ = timed(lambda: cursor.execute(RAW_SQL, {"month": MONTH, "standard": standard}))
        raw_rows = DuesBill.objects.count()
        cursor.execute(
            "CREATE TABLE bench_raw_bills AS SELECT member_id, org_id, month, amount FROM dues_duesbill"
        )
        cursor.execute("TRUNCATE dues_duesbill")
        cursor.execute("VACUUM ANALYZE dues_duesbill")
    actor = Actor.command("bench")
    first, result = timed(lambda: services.bill_month(actor, None, MONTH))
    with connection.cursor() as cursor:
        cursor.execute(COMPARE_SQL)
        only_service, only_raw = cursor.fetchone()
    rerun, again = timed(lambda: services.bill_month(actor, None, MONTH))
    return {
        "members": members,
        "generate_members_and_bases_s": round(generate, 1),
        "raw_insert_select_s": round(raw, 2),
        "raw_bills": raw_rows,
        "service_first_run_s": round(first, 2),
        "service_bills": result.created,
        "ratio_service_to_raw": round(first / raw, 2),
        "rerun_s": round(rerun, 2),
        "rerun_created": again.created,
        "rerun_share_of_first_run": round(rerun / first, 3),
        "bills_only_in_service": only_service,
        "bills_only_in_raw": only_raw,
    }


def drop(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}"')


if __name__ == "__main__":
    main()
