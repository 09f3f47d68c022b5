"""Time the statistics (indicators, tables, dashboard, API) on the database in $DATABASE_URL.

    # city scale: the demo in a temporary var dir (SQLite, ~60,000 members)
    DANGJIAN_VAR_DIR=/tmp/city DATABASE_URL=sqlite:////tmp/city/bench.sqlite3 python manage.py migrate
    DANGJIAN_VAR_DIR=/tmp/city DATABASE_URL=sqlite:////tmp/city/bench.sqlite3 python manage.py seed_demo --scale city
    DANGJIAN_VAR_DIR=/tmp/city DATABASE_URL=sqlite:////tmp/city/bench.sqlite3 python bench/reports_measure.py
    # province scale: generate_tree.py --orgs 500000, then reports_generate.py --members 10000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench python bench/reports_measure.py

For each main indicator group at the root: the platform's time (``registry.compute``: building the
queryset, scoping it, running it, reading the values) beside the same SQL statement sent through a
bare cursor, in the same run (median of several runs); kept figures (attendance, dues) also live, without
their roll-ups; then every indicator alone, the slowest named. Then the API's p95 for one indicator of
each kind (``API_KEYS``) over orgs picked at random at every depth, and the root's statistics table
page, dashboard page and activities figures page (and, up to ``HOME_MEASURED_UP_TO`` orgs, the 工作台) as
the Django test client renders them (server time, no network).
"""

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django  # noqa: E402

setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from dangjian.accounts import services as account_services  # noqa: E402
from dangjian.accounts.models import RoleAssignment, User  # noqa: E402
from dangjian.accounts.roles import Role  # noqa: E402
from dangjian.core.audit import Actor  # noqa: E402
from dangjian.orgs.models import Org  # noqa: E402
from dangjian.reports import registry, tables  # noqa: E402
from dangjian.reports.registry import Period  # noqa: E402

GROUPS = {
    "members.total": ["members.total"],
    "age bands": [f"members.age.{band}" for band in range(8)],
    "education": [i.key for i in registry.all_indicators() if i.group == "education"],
    "sex + ethnicity + category": [
        "members.sex.male",
        "members.sex.female",
        "members.ethnicity.han",
        "members.ethnicity.minority",
        "members.category.full",
        "members.category.probationary",
    ],
    "occupation": [i.key for i in registry.all_indicators() if i.group == "occupation"],
    "orgs by kind": [i.key for i in registry.all_indicators() if i.group == "org_kind"],
    "orgs by sector": ["orgs.total"] + [i.key for i in registry.all_indicators() if i.group == "org_sector"],
    "flows (member events)": [i.key for i in registry.all_indicators() if i.group in ("flows", "exits")],
    # The other apps' figures, one source each (a query per source).
    "activities held (by kind)": [i.key for i in registry.all_indicators() if i.source.key == "activities"],
    "attendance (人次, 学时, by kind)": [
        i.key for i in registry.all_indicators() if i.source.key == "activity_attendance"
    ],
    "recruitment": [i.key for i in registry.all_indicators() if i.key.startswith("recruitment.")],
    "dues bills": [i.key for i in registry.all_indicators() if i.source.key == "dues_bills"],
    "dues payments": [i.key for i in registry.all_indicators() if i.source.key == "dues_payments"],
}
# The API's p95 is measured for one indicator of each kind of source: kept member stocks, kept activities
# held, attendance, dues bills and payments, development people, cases and steps.
# The 工作台 is timed up to this many orgs (a city), not for a province (see main).
HOME_MEASURED_UP_TO = 20_000
API_KEYS = (
    "members.total",
    "activities.held",
    "activities.present",
    "dues.received_amount",
    "dues.unpaid_amount",
    "recruitment.applicants",
    "recruitment.open_cases",
    "recruitment.steps",
)
# Groups timed a second time without their source's accelerator (the live count), in the same run.
LIVE_TOO = ("attendance (人次, 学时, by kind)", "dues bills", "dues payments", "recruitment")


def median_ms(operation, runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def bench_user(root: Org) -> User:
    user, created = User.objects.get_or_create(
        username="reports_bench", defaults={"display_name": "统计基准"}
    )
    if created:
        RoleAssignment.objects.create(user=user, org=root, role=Role.DEPARTMENT_ADMIN)
    return user


def time_group(label: str, user, root: Org, period: Period, indicators, runs: int) -> dict:
    """The platform's time for the group at the root beside its SQL sent through a bare cursor."""

    def platform():
        return registry.compute(user, root, period, indicators)

    # The raw SQL: the very statement the platform sends, taken from the connection's log and run again
    # through a bare cursor, so the difference is the platform's own cost.
    with CaptureQueriesContext(connection) as captured:
        platform()
    sql = captured.captured_queries[-1]["sql"]

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()

    platform_ms = median_ms(platform, runs)
    raw_ms = median_ms(raw, runs)
    print(f"  {label:<36} platform {platform_ms:9.1f} ms   raw SQL {raw_ms:9.1f} ms")
    return {"platform_ms": round(platform_ms, 1), "raw_sql_ms": round(raw_ms, 1)}


@contextlib.contextmanager
def without_accelerators(source_keys: set[str]):
    """The live count of sources whose figures are kept (roll-ups), for comparison in the same run."""
    saved = {key: registry.accelerators.pop(key) for key in source_keys if key in registry.accelerators}
    try:
        yield
    finally:
        registry.accelerators.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--api-orgs", type=int, default=60)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    root = Org.objects.get(depth=1)
    user = bench_user(root)
    today = date.today()
    period = Period(date(today.year, 1, 1), date(today.year, 12, 31))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM members_member")
        members = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM orgs_org")
        orgs = cursor.fetchone()[0]
    print(f"{connection.vendor}: {orgs:,} orgs, {members:,} members; root {root.name}, period {period}")
    figures: dict = {"vendor": connection.vendor, "orgs": orgs, "members": members, "indicators": {}}

    for label, keys in GROUPS.items():
        indicators = [registry.get(key) for key in keys]
        figures["indicators"][label] = time_group(label, user, root, period, indicators, options.runs)
        if label in LIVE_TOO:
            with without_accelerators({indicator.source.key for indicator in indicators}):
                live = f"{label}, live"
                figures["indicators"][live] = time_group(live, user, root, period, indicators, options.runs)

    # Every indicator alone at the root (a page asking for one figure): the slowest, and how many take
    # longer than the city target of 200 ms.
    alone = {}
    for indicator in registry.all_indicators():
        alone[indicator.key] = median_ms(
            lambda indicator=indicator: registry.compute(user, root, period, [indicator]), 3
        )
    slowest = sorted(alone.items(), key=lambda item: -item[1])[:5]
    figures["every indicator alone"] = {
        "count": len(alone),
        "over_200_ms": {key: round(ms, 1) for key, ms in alone.items() if ms > 200},
        "slowest_ms": {key: round(ms, 1) for key, ms in slowest},
    }
    print(
        f"  every indicator alone ({len(alone)}): {len(figures['every indicator alone']['over_200_ms'])} over 200 ms;"
        f" slowest {', '.join(f'{key} {ms:.1f} ms' for key, ms in slowest)}"
    )

    # The API: one indicator for orgs at every depth, picked at random (seeded).
    client = Client()
    client.force_login(user)
    rng = random.Random(1)
    depths = sorted(set(Org.objects.values_list("depth", flat=True).distinct()))
    sample = []
    for depth in depths:
        ids = list(Org.objects.filter(depth=depth).values_list("pk", flat=True)[:5000])
        sample += rng.sample(ids, min(len(ids), max(1, options.api_orgs // len(depths))))
    _, raw_token = account_services.issue_token(Actor(user=user, via="api"))
    for key in API_KEYS:
        timings = []
        for org_id in sample:
            started = time.perf_counter()
            response = client.get(
                f"/api/v1/indicators/{key}",
                {"org": org_id, "from": period.start.isoformat(), "to": period.end.isoformat()},
                HTTP_AUTHORIZATION=f"Bearer {raw_token}",
            )
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        figures[f"api {key}"] = {
            "orgs": len(sample),
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(timings[-1], 1),
        }
        print(
            f"  API /indicators/{key} over {len(sample)} orgs: p50 {statistics.median(timings):.1f} ms, "
            f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
        )

    pages = {
        "statistics tables (root, all tables, by subordinates)": f"/reports/?org={root.pk}",
        "dashboard (root)": f"/reports/dashboard/?org={root.pk}",
        "activities figures (root, this year)": f"/activities/figures/?within={root.pk}",
    }
    # The 工作台 lists the 组织建设提醒 of every org of the subtree (orgs.rules.findings_for): timed for a
    # city, not for a province's 500,000 orgs, where it would read them all.
    if Org.objects.count() <= HOME_MEASURED_UP_TO:
        pages["工作台 (the user's top org)"] = "/"
    else:
        print(f"  工作台 not timed: more than {HOME_MEASURED_UP_TO:,} orgs")
    for label, url in pages.items():

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        ms = median_ms(get, max(1, options.runs // 2))
        figures[label] = round(ms, 1)
        print(f"  {label:<50} {ms:9.1f} ms")
    built_ms = median_ms(lambda: tables.build(user, root, period, tables.table_specs()), 1, 0)
    figures["tables.build (root)"] = round(built_ms, 1)
    print(f"  tables.build alone (root){'':<25} {built_ms:9.1f} ms")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
