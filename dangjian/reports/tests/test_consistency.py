"""On the county demo: the dashboard, the statistics tables and the API give the same figure for the same
subtree and date; every subtree's figure is the sum of its subordinates' and its own; the lists match."""

from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from dangjian.accounts.roles import Role
from dangjian.activities.indicators import ATTENDANCE
from dangjian.activities.models import AttendanceRollup
from dangjian.orgs.models import Org
from dangjian.reports import dashboard, registry, rollups, tables
from dangjian.reports.registry import Period


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """One county-scale seed for the module, rolled back at its end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", scale="county", seed=7, stdout=StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(seeded_once, db):
    root = Org.objects.get(depth=1)
    admin = make_user("consistency_admin", Role.DEPARTMENT_ADMIN, root)
    return root, admin


def test_dashboard_tables_and_api_agree(demo, api):
    root, admin = demo
    today = timezone.localdate()
    period = Period.year(today.year)
    board = dashboard.build(
        admin, root, today, records_url=lambda key: reverse("reports:records", args=[key])
    )
    from_board = {item["key"]: item["value"] for item in board["headline"]}
    for name, keys in dashboard.SERIES.items():
        from_board.update(zip(keys, board["charts"][name]["values"], strict=True))
    built = tables.build(admin, root, period, tables.table_specs(), breakdown=False)
    from_tables = {
        key: value
        for table in built
        for key, value in zip(table.spec.keys, table.rows[0].values, strict=True)
    }
    get = api(admin)
    dates = {"org": root.pk, "from": period.start.isoformat(), "to": period.end.isoformat()}
    assert from_board["members.total"] > 2000
    for key, value in from_board.items():
        assert from_tables[key] == value, key
        assert get(f"/indicators/{key}", **dates).json()["value"] == value, key
    # The trend's last point is the same stock as the headline, its admissions the same flow.
    assert board["trend"]["members"][-1] == from_board["members.total"]
    assert board["trend"]["admitted"][-1] == from_board["flows.admitted"]


@pytest.mark.parametrize("year", [2020, 2024])
def test_the_sum_rule_holds_on_the_demo(demo, year):
    root, admin = demo
    period = Period.year(year)
    indicators = registry.all_indicators()
    for org in [root, *Org.objects.filter(depth=2)[:3]]:
        totals = registry.compute(admin, org, period, indicators)
        parts = registry.compute_by_child(admin, org, period, indicators)
        for indicator in indicators:
            assert totals[indicator.key] == sum(p.get(indicator.key, 0) for p in parts.values()), (
                indicator.key
            )
        built = tables.build(admin, org, period, tables.table_specs())
        for table in built:
            total, *rest = table.rows
            for col, value in enumerate(total.values):
                assert value == sum(row.values[col] for row in rest), (table.spec.key, col)


def test_the_demo_keeps_rollups_equal_to_the_live_count(demo):
    year = timezone.localdate().year
    assert year in rollups.kept_years()
    assert rollups.differences(year) == []
    assert AttendanceRollup.objects.exists() and rollups.other_differences() == []


@pytest.mark.parametrize("years_back", [0, 1])
def test_the_attendance_rollups_answer_as_the_live_count_on_the_demo(demo, years_back):
    root, admin = demo
    period = Period.year(timezone.localdate().year - years_back)
    attendance = [ind for ind in registry.all_indicators() if ind.source is ATTENDANCE]
    kept = (
        registry.compute(admin, root, period, attendance),
        registry.compute_by_child(admin, root, period, attendance),
    )
    with mock.patch.dict(registry.accelerators):
        del registry.accelerators[ATTENDANCE.key]
        live = (
            registry.compute(admin, root, period, attendance),
            registry.compute_by_child(admin, root, period, attendance),
        )
    assert kept == live
    if years_back == 0:  # the demo's activities are in its recent months
        assert kept[0]["activities.expected"] > 1000 and len(kept[1]) > 1


def test_the_lists_match_the_counts_on_the_demo(demo):
    root, admin = demo
    period = Period.year(2024)
    totals = registry.compute(admin, root, period, registry.all_indicators())
    for indicator in registry.all_indicators():
        assert indicator.records(admin, root, period).count() == totals[indicator.key], indicator.key
