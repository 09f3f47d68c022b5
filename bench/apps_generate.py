"""Generate the other apps' records for the statistics benchmarks: activities with their attendance lists
and monthly dues bills with their payments, for every branch with members of a tree made by
generate_tree.py and reports_generate.py (PostgreSQL only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench python bench/apps_generate.py --months 1

Benchmark data, not a user path: each table is filled by one INSERT … SELECT inside the server, month by
month. Every branch holds ``--per-month`` held activities in each month (kinds in turn, 1.5 study hours),
expecting every member on its roll, ~85 % present and the rest on leave or absent; every member on the
roll is billed each month (10.00 yuan), ~90 % paid on the 15th by a payment of their own; every 20th
member on the roll has an open development case with this month's step (and a vote at step 16), and every
sixth full member has a person on the path (applicant, activist or candidate) in the same branch. The months are
the ``--months`` months up to and including this one, so this year's figures count them. The attendance,
activities-held, dues and development roll-ups are then rebuilt (``rebuild_attendance_rollups`` and
``rebuild_held_rollups`` of activities.services, ``rebuild_dues_rollups`` of dues.services,
``rebuild_recruitment_rollups`` of recruitment.services) and the tables analysed.
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django  # noqa: E402

KINDS = ["theme_day", "committee_meeting", "group_meeting", "general_meeting", "party_lecture"]

ACTIVITIES = """
INSERT INTO activities_activity (org_id, kind_id, status, held_on, place, topic, host, recorder, lecturer,
    lecturer_is_secretary, minutes, resolutions, study_hours, recorded_at)
SELECT b.org_id, k.id, 'held', %(month)s::date + (b.org_id %% 25)::int + n, '', '基准活动', '', '', '',
    false, '', '', 1.5, now()
FROM bench_hosts b
CROSS JOIN generate_series(0, %(per_month)s - 1) AS n
JOIN activities_activitykind k ON k.code = (%(kinds)s::text[])[1 + (b.org_id + n) %% %(kind_count)s]
"""

PARTIES = """
INSERT INTO activities_activityorg (activity_id, org_id)
SELECT a.id, a.org_id FROM activities_activity a WHERE a.id > %(after)s
"""

ATTENDANCE = """
INSERT INTO activities_attendance (activity_id, member_id, org_id, status, reason, voting, method)
SELECT a.id, m.id, m.org_id,
    CASE WHEN (a.id + m.id) %% 20 < 17 THEN 'present' WHEN (a.id + m.id) %% 20 < 19 THEN 'on_leave'
         ELSE 'absent' END,
    CASE WHEN (a.id + m.id) %% 20 IN (17, 18) THEN '外出' ELSE '' END,
    m.category = 'full',
    CASE WHEN (a.id + m.id) %% 20 < 17 THEN 'marked' ELSE '' END
FROM activities_activity a
JOIN members_member m ON m.org_id = a.org_id AND m.on_roll
WHERE a.id > %(after)s
"""

PAYMENTS = """
INSERT INTO dues_duespayment (member_id, org_id, kind, method, paid_on, first_month, last_month, dues_amount,
    voluntary_amount, amount, remit_in_full, proxy_name, reference, note, recorded_at)
SELECT m.id, m.org_id, 'monthly', 'cash', %(month)s::date + 14, %(month)s, %(month)s, 10.00, 0, 10.00,
    false, '', '', '基准', now()
FROM members_member m
WHERE m.on_roll AND m.id %% 10 <> 0
"""

BILLS = """
INSERT INTO dues_duesbill (member_id, org_id, month, member_type, amount, standard_id, paid_on, payment_id,
    created_at)
SELECT m.id, m.org_id, %(month)s, 'in_service', 10.00, %(standard)s,
    CASE WHEN p.id IS NULL THEN NULL ELSE %(month)s::date + 14 END, p.id, now()
FROM members_member m
LEFT JOIN dues_duespayment p ON p.member_id = m.id AND p.first_month = %(month)s AND p.id > %(after)s
WHERE m.on_roll
"""


def months_up_to(today: date, count: int) -> list[date]:
    found, year, month = [], today.year, today.month
    for _ in range(count):
        found.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(found)


# Development cases: one open case for every 20th member on the roll (as if in the process), at a stage
# by its id, each with the step it reached taken this month (one month's steps, like the other apps'
# records here), every 10th step with a warning, and an admission vote for the cases at step 16.
# People on the path to membership (入党申请人, 积极分子, 发展对象), one for every sixth member on the roll,
# in the same branch: ~1.65 million at a province of 10 million members (two thirds applicants).
PEOPLE = """
INSERT INTO members_member (
    row_key, name, name_initials, sex, ethnicity, birth_date, id_number_enc, id_number_index,
    id_number_masked, native_place, education, occupation, work_unit, post, phone_enc, phone_masked,
    address_enc, address_masked, category, status, status_since, on_roll, applied_on, joined_on,
    converted_on, probation_extended_months, exit_reason, left_on, created_at, updated_at, org_id)
SELECT md5('path' || m.id)::uuid, '申请人' || m.id, 'sqr', m.sex, m.ethnicity, m.birth_date + 9000,
       'bench-ciphertext', 'path' || m.id, m.id_number_masked, '', m.education, m.occupation, '', '', '',
       '', '', '',
       CASE WHEN m.id %% 36 = 0 THEN 'candidate' WHEN m.id %% 24 = 0 THEN 'activist' ELSE 'applicant' END,
       'normal', NULL, true, %(month)s::date - (m.id %% 700)::int, NULL, NULL, 0, '', NULL, now(), now(),
       m.org_id
FROM members_member m WHERE m.on_roll AND m.category = 'full' AND m.id %% 6 = 0
"""
CASES = """
INSERT INTO recruitment_recruitment (member_id, org_id, status, last_step, last_step_on, end_reason,
                                     warning_count, created_at, updated_at)
SELECT m.id, m.org_id, 'open', 1 + m.id %% 25, %(month)s::date + (m.id %% 28)::int, '', 0, now(), now()
FROM members_member m WHERE m.on_roll AND m.id %% 20 = 0
"""
STEPS = """
INSERT INTO recruitment_step (recruitment_id, org_id, number, occurred_on, done_by, document_number,
                              attachment_name, attachment_type, note, details, rule_sets, findings,
                              recorded_at)
SELECT r.id, r.org_id, r.last_step, r.last_step_on, '', '', '', '', '', '{}'::jsonb, '[]'::jsonb,
       CASE WHEN r.id %% 10 = 0 THEN '[{"level": "warn", "rule_id": "bench", "message": "基准"}]'::jsonb
            ELSE '[]'::jsonb END, now()
FROM recruitment_recruitment r
"""
VOTES = """
INSERT INTO recruitment_vote (recruitment_id, org_id, kind, held_on, should_attend, present, yes, no,
                              abstain, passed, failure_reason, note, recorded_at)
SELECT r.id, r.org_id, 'admission', r.last_step_on, 20, 18, 15, 2, 1, r.id %% 50 <> 0,
       CASE WHEN r.id %% 50 = 0 THEN 'majority' ELSE '' END, '', now()
FROM recruitment_recruitment r WHERE r.last_step = 16
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--per-month", type=int, default=1, help="held activities per branch and month")
    options = parser.parse_args()
    setup_django()
    from django.db import connection, transaction

    from dangjian.activities import services as activity_services
    from dangjian.dues import services as dues_services
    from dangjian.recruitment import services as recruitment_services

    if connection.vendor != "postgresql":
        sys.exit("apps_generate.py needs PostgreSQL (DATABASE_URL=postgres://…/…bench…)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM dues_duesstandard ORDER BY effective_from LIMIT 1")
        standard = cursor.fetchone()[0]
        cursor.execute("DROP TABLE IF EXISTS bench_hosts")
        cursor.execute("CREATE TABLE bench_hosts AS SELECT DISTINCT org_id FROM members_member WHERE on_roll")
        cursor.execute("SELECT count(*) FROM bench_hosts")
        print(f"{cursor.fetchone()[0]:,} branches with members on the roll")
        for month in months_up_to(date.today(), options.months):
            started = time.perf_counter()
            cursor.execute("SELECT coalesce(max(id), 0) FROM activities_activity")
            after = cursor.fetchone()[0]
            cursor.execute(
                ACTIVITIES,
                {"month": month, "per_month": options.per_month, "kinds": KINDS, "kind_count": len(KINDS)},
            )
            activities = cursor.rowcount
            cursor.execute(PARTIES, {"after": after})
            cursor.execute(ATTENDANCE, {"after": after})
            attendance = cursor.rowcount
            cursor.execute("SELECT coalesce(max(id), 0) FROM dues_duespayment")
            paid_after = cursor.fetchone()[0]
            cursor.execute(PAYMENTS, {"month": month})
            payments = cursor.rowcount
            cursor.execute(BILLS, {"month": month, "standard": standard, "after": paid_after})
            bills = cursor.rowcount
            print(
                f"{month:%Y-%m}: {activities:,} activities, {attendance:,} attendance rows, "
                f"{bills:,} bills, {payments:,} payments in {time.perf_counter() - started:.0f} s"
            )
        cursor.execute("DROP TABLE bench_hosts")
        started = time.perf_counter()
        counts = []
        for statement in (PEOPLE, CASES, STEPS, VOTES):
            cursor.execute(statement, {"month": months_up_to(date.today(), 1)[0]})
            counts.append(cursor.rowcount)
        print(
            "development: {:,} people on the path, {:,} cases, {:,} steps, {:,} votes".format(*counts)
            + f" in {time.perf_counter() - started:.0f} s"
        )
    for name, rebuild in (
        ("attendance", activity_services.rebuild_attendance_rollups),
        ("activities held", activity_services.rebuild_held_rollups),
        ("dues", dues_services.rebuild_dues_rollups),
        ("development", recruitment_services.rebuild_recruitment_rollups),
    ):
        started = time.perf_counter()
        with transaction.atomic():
            rows = rebuild()
        print(f"{name} roll-ups: {rows:,} rows in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        for table in (
            "activities_activity",
            "activities_activityorg",
            "activities_attendance",
            "activities_attendancerollup",
            "dues_duesbill",
            "dues_duespayment",
            "recruitment_recruitment",
            "recruitment_step",
            "recruitment_vote",
        ):
            cursor.execute(f"ANALYZE {table}")


if __name__ == "__main__":
    main()
