"""Per-org roll-ups: kept by every member service in the same transaction, never different from the live
count, read instead of the live query only when they answer exactly, rebuilt and verified by a command."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core import importing
from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.importers import MemberImporter
from dangjian.members.tests.conftest import id_number
from dangjian.members.tests.test_import import ROWS, xlsx
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Org
from dangjian.reports import dashboard, registry, rollups
from dangjian.reports.models import ROLLUP_KEYS, MemberRollup, RollupYear, SubtreeRollup
from dangjian.reports.registry import Period

pytestmark = pytest.mark.django_db
THIS_YEAR = Period.year(2026)  # today is 1 March 2026 (conftest.frozen_today)


@pytest.fixture
def built(population, system_actor):
    rollups.rebuild(system_actor, 2026)
    return population


def live(user, org, period, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(registry, "accelerators", {})
        indicators = [registry.get(key) for key in ROLLUP_KEYS]
        return registry.compute(user, org, period, indicators), registry.compute_by_child(
            user, org, period, indicators
        )


def fast(user, org, period):
    indicators = [registry.get(key) for key in ROLLUP_KEYS]
    with CaptureQueriesContext(connection) as captured:
        totals = registry.compute(user, org, period, indicators)
        parts = registry.compute_by_child(user, org, period, indicators)
    assert any("reports_memberrollup" in q["sql"] for q in captured), "the roll-ups were not read"
    return totals, parts


def agree(dept_admin, tree, monkeypatch):
    assert rollups.kept_years() == {2025, 2026}
    for year in (2025, 2026):
        assert rollups.differences(year) == [], year
    total = [registry.get("members.total")]
    for org in (tree["city"], tree["county_a"], tree["town_a"], tree["branch_b"]):
        org = Org.objects.get(pk=org.pk)  # moved orgs have new paths
        for period in (THIS_YEAR, Period.year(2025)):
            assert fast(dept_admin, org, period) == live(dept_admin, org, period, monkeypatch)
        # The years before the kept ones: members.total from the latest rows' earlier_total columns.
        for year in range(2017, 2025):
            period = Period.year(year)
            with CaptureQueriesContext(connection) as captured:
                kept = registry.compute(dept_admin, org, period, total)
                parts = registry.compute_by_child(dept_admin, org, period, total)
            assert any("earlier_total" in q["sql"] for q in captured), year
            with monkeypatch.context() as patch:
                patch.setattr(registry, "accelerators", {})
                assert (kept, parts) == (
                    registry.compute(dept_admin, org, period, total),
                    registry.compute_by_child(dept_admin, org, period, total),
                ), (org.name, year)


def test_the_keys_are_every_member_stock_of_the_tables():
    stocks = {ind.key for ind in registry.all_indicators() if ind.source.key == "members"}
    assert set(ROLLUP_KEYS) == stocks


def test_every_member_service_keeps_the_rollups(built, tree, dept_admin, system_actor, monkeypatch):
    agree(dept_admin, tree, monkeypatch)
    people = built
    services.update_member(
        system_actor,
        people["year_end"],
        education="postgraduate",
        birth_date=date(1995, 12, 30),
        id_number=id_number(date(1995, 12, 30), 901),
    )
    agree(dept_admin, tree, monkeypatch)
    services.record_event(
        system_actor, people["admitted"], "probation_cancelled", occurred_on=date(2026, 2, 1)
    )
    agree(dept_admin, tree, monkeypatch)
    services.record_event(system_actor, people["woman"], "deceased", occurred_on=date(2026, 2, 2))
    agree(dept_admin, tree, monkeypatch)
    services.record_event(system_actor, people["thirty_one"], "suspended", occurred_on=date(2026, 2, 3))
    agree(dept_admin, tree, monkeypatch)
    transit = services.Transfer.objects.get(member=people["in_transit"])
    services.accept_transfer(system_actor, transit, accepted_on=date(2026, 2, 20))
    agree(dept_admin, tree, monkeypatch)
    out = services.issue_transfer(
        system_actor,
        people["new_year"],
        letter_number="T3",
        outside_org_name="外省某党支部",
        issued_on=date(2026, 2, 1),
    )
    services.record_receipt(system_actor, out, receipt_on=date(2026, 2, 25))
    agree(dept_admin, tree, monkeypatch)
    services.create_member(
        system_actor,
        org=tree["branch_b"],
        name="新党员",
        id_number=id_number(date(1988, 8, 8), 911),
        birth_date=date(1988, 8, 8),
        sex="male",
        category="full",
        joined_on=date(2015, 1, 1),
        converted_on=date(2016, 1, 1),
    )
    agree(dept_admin, tree, monkeypatch)
    org_services.merge_org(system_actor, tree["branch_b"], tree["branch_a"], occurred_on=date(2026, 2, 28))
    agree(dept_admin, tree, monkeypatch)


def test_a_bulk_creation_and_its_undo_keep_the_rollups(built, tree, dept_admin, system_actor, monkeypatch):
    items = [
        services.check_member_data(
            tree["branch_b"],
            {
                "name": f"导入{n}",
                "id_number": id_number(date(1970 + n, 1, 2), 921 + 2 * n),
                "birth_date": date(1970 + n, 1, 2),
                "sex": "male",
                "category": "full",
                "joined_on": date(2000, 1, 1),
                "converted_on": date(2001, 1, 1),
                "occupation": "farmer",
            },
        )
        for n in range(3)
    ]
    ids = services.create_members_bulk(system_actor, items, audited_as=tree["branch_b"])
    agree(dept_admin, tree, monkeypatch)
    services.remove_imported_members(system_actor, ids[:1], audited_as=tree["branch_b"])
    agree(dept_admin, tree, monkeypatch)


def test_an_import_and_its_undo_keep_the_subtree_totals(built, tree, dept_admin, actor_for, monkeypatch):
    actor = actor_for(dept_admin, "import")
    batch = importing.preview(MemberImporter(), actor, "党员.xlsx", xlsx(ROWS))
    importing.commit(actor, batch)
    assert services.Member.objects.filter(org=tree["branch_a"], name="甲一").exists()
    agree(dept_admin, tree, monkeypatch)
    importing.undo(actor, batch)
    agree(dept_admin, tree, monkeypatch)


def test_an_import_adds_its_counts_once_not_once_per_chunk(built, tree, dept_admin, actor_for, monkeypatch):
    told = []
    monkeypatch.setattr(MemberImporter, "chunk_size", 1)  # ROWS is several chunks of one row
    monkeypatch.setattr(services, "_change_hooks", [*services._change_hooks, lambda *args: told.append(args)])
    actor = actor_for(dept_admin, "import")
    batch = importing.commit(actor, importing.preview(MemberImporter(), actor, "党员.xlsx", xlsx(ROWS)))
    created = sorted(batch.objects_created.values_list("object_id", flat=True))
    assert len(created) > 1
    assert [sorted(new) for _, new in told] == [created]
    agree(dept_admin, tree, monkeypatch)


def bulk_items(org, first: int, count: int):
    return [
        services.check_member_data(
            org,
            {
                "name": f"批量{n}",
                "id_number": id_number(date(1960 + n, 3, 4), 602 + 2 * n),
                "birth_date": date(1960 + n, 3, 4),
                "sex": "female",
                "category": "full",
                "joined_on": date(1990, 1, 1),
                "converted_on": date(1991, 1, 1),
            },
        )
        for n in range(first, first + count)
    ]


def test_changes_inside_one_bulk_block_are_told_at_its_end(
    built, tree, dept_admin, system_actor, monkeypatch
):
    with services.bulk_changes():
        ids = services.create_members_bulk(
            system_actor, bulk_items(tree["branch_b"], 0, 2), audited_as=tree["branch_b"]
        )
        with services.bulk_changes():  # nested: told once, by the outer block
            more = services.create_members_bulk(
                system_actor, bulk_items(tree["branch_a"], 2, 1), audited_as=tree["branch_a"]
            )
        # Not yet told: the kept rows still hold the counts from before the block.
        assert not MemberRollup.objects.filter(org=tree["branch_b"], year=2026, total__gte=2).exists()
        # A record created in the block and changed in it: the recount of its org has the last word.
        services.update_member(system_actor, services.Member.objects.get(pk=ids[0]), education="postgraduate")
        services.record_event(
            system_actor, services.Member.objects.get(pk=more[0]), "deceased", occurred_on=date(2026, 2, 2)
        )
    agree(dept_admin, tree, monkeypatch)


def test_a_failed_bulk_block_tells_nobody(built, tree, system_actor, monkeypatch):
    told = []
    monkeypatch.setattr(services, "_change_hooks", [lambda *args: told.append(args)])
    with pytest.raises(RuntimeError), services.bulk_changes():
        services.create_members_bulk(
            system_actor, bulk_items(tree["branch_b"], 0, 1), audited_as=tree["branch_b"]
        )
        raise RuntimeError("导入中断")
    assert told == []
    services.members_changed(tree["branch_b"].pk)  # outside a block: told at once again
    assert told == [({tree["branch_b"].pk}, None)]


def test_an_org_move_takes_its_subtree_totals_along(built, tree, dept_admin, system_actor, monkeypatch):
    before = subtree_total(tree["county_a"])
    moved = subtree_total(tree["town_a"])
    assert moved > 0
    org_services.move_org(system_actor, tree["town_a"], tree["county_b"], occurred_on=date(2026, 2, 1))
    assert subtree_total(tree["county_a"]) == before - moved
    agree(dept_admin, tree, monkeypatch)
    # One level up: the branch now hangs directly under the city's county, its depth changes.
    org_services.move_org(system_actor, tree["branch_a"], tree["county_a"], occurred_on=date(2026, 2, 2))
    row = SubtreeRollup.objects.get(org=tree["branch_a"], year=2026)
    branch = Org.objects.get(pk=tree["branch_a"].pk)
    assert (row.path, row.depth) == (branch.path, branch.depth)
    agree(dept_admin, tree, monkeypatch)
    # A merge moves the absorbed org's children (and the hooks its members) to the survivor.
    org_services.merge_org(system_actor, tree["county_b"], tree["county_a"], occurred_on=date(2026, 2, 3))
    assert subtree_total(tree["county_b"]) == 0 and subtree_total(tree["county_a"]) == subtree_total(
        tree["city"]
    )
    agree(dept_admin, tree, monkeypatch)


def test_a_figure_is_one_subtree_row_and_the_parts_sum_to_it(built, tree, dept_admin):
    indicators = [registry.get(key) for key in ROLLUP_KEYS]
    for org in Org.objects.all():
        with CaptureQueriesContext(connection) as captured:
            totals = registry.compute(dept_admin, org, THIS_YEAR, indicators)
        # The kept years, the user's scope (once), then the org's one subtree row: no member, no direct row.
        assert "reports_subtreerollup" in captured[-1]["sql"] and f"= {org.pk}" in captured[-1]["sql"]
        assert not any("reports_memberrollup" in q["sql"] or "members_member" in q["sql"] for q in captured)
        parts = registry.compute_by_child(dept_admin, org, THIS_YEAR, indicators)
        for key in ROLLUP_KEYS:
            assert totals[key] == sum(part.get(key, 0) for part in parts.values()), (org.name, key)
    assert registry.compute(dept_admin, tree["city"], THIS_YEAR, indicators)["members.total"] == 7


def test_verify_finds_a_wrong_subtree_total(population, tree):
    call_command("rebuild_rollups", stdout=StringIO())
    row = SubtreeRollup.objects.get(org=tree["county_a"], year=2026)
    row.total -= 1
    row.save()
    with pytest.raises(CommandError, match="统计汇总与实际不符 1 处"):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())


def subtree_total(org) -> int:
    return SubtreeRollup.objects.get(org=org, year=2026).total


def test_rollups_answer_only_for_the_kept_year_end(built, tree, dept_admin):
    indicators = [registry.get("members.total")]
    # 2016 is before the kept years and their nine earlier totals; 1 March is not a year end.
    for period in (Period.year(2016), Period(date(2026, 1, 1), date(2026, 3, 1))):
        with CaptureQueriesContext(connection) as captured:
            registry.compute(dept_admin, tree["city"], period, indicators)
        assert not any("reports_memberrollup" in q["sql"] for q in captured), period
    # An indicator that is not kept (a flow) is computed live beside the kept ones.
    values = registry.compute(
        dept_admin, tree["city"], THIS_YEAR, indicators + [registry.get("flows.admitted")]
    )
    assert values == {"members.total": 7, "flows.admitted": 0}


def test_rollups_are_scoped_like_the_records(built, tree, county_admin, outsider):
    indicators = [registry.get("members.total")]
    assert registry.compute(county_admin, tree["city"], THIS_YEAR, indicators)["members.total"] == 6
    assert registry.compute(outsider, tree["county_a"], THIS_YEAR, indicators)["members.total"] == 0


def test_the_command_rebuilds_and_finds_a_disagreement(population, tree):
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "已重建 2026 年度" in out.getvalue() and "核对无误" in out.getvalue()
    call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    row = MemberRollup.objects.get(org=tree["branch_a"], year=2026)
    row.total += 1
    row.save()
    with pytest.raises(CommandError, match="统计汇总与实际不符 1 处"):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())


def test_verify_only_needs_a_built_year(db):
    with pytest.raises(CommandError, match="尚未建立"):
        call_command("rebuild_rollups", "--verify-only", "--year", "2020", stdout=StringIO())


def test_without_rollups_the_member_services_only_ask_whether_any_are_kept(tree, system_actor):
    # The member roll-ups' own hook (other apps' roll-ups, always kept, follow the same changes).
    assert rollups.on_members_changed in services._change_hooks
    with CaptureQueriesContext(connection) as captured:
        rollups.on_members_changed({tree["branch_a"].pk})
    assert len(captured) == 1


def test_the_dashboard_trend_reads_the_latest_kept_rows_and_counts_only_the_others(
    population, tree, dept_admin, county_admin, system_actor
):
    def trend(user, latest: int | None):
        if latest:
            rollups.rebuild(system_actor, latest, years=1)
        else:
            RollupYear.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            found = dashboard.trend(user, tree["city"], date(2026, 3, 1), lambda key, period: "")
        live_years = [
            year
            for year in range(2017, 2027)
            for q in captured
            if f"'{year}-12-31'" in q["sql"] and 'FROM "members_member"' in q["sql"]
        ]
        return found["members"], sorted(set(live_years))

    for user in (dept_admin, county_admin):  # the city's subtree row; the county's direct rows summed
        everything, counted = trend(user, 2026)  # the 2026 rows hold 2017-2025 too
        assert counted == [] and everything[-1] == (7 if user == dept_admin else 6)
        assert trend(user, 2025) == (everything, [2026])  # a new year not rebuilt yet: counted live
        assert trend(user, None) == (everything, list(range(2017, 2027)))


def test_an_org_whose_members_all_left_keeps_their_earlier_totals(population, tree, dept_admin, system_actor):
    branch = org_services.create_org(
        system_actor,
        parent=tree["town_a"],
        name="丙村党支部",
        kind="branch",
        code="B-LEFT",
        founded_on=date(2000, 1, 1),
    )
    member = services.create_member(
        system_actor,
        org=branch,
        name="离开者",
        id_number=id_number(date(1970, 5, 5), 931),
        birth_date=date(1970, 5, 5),
        sex="male",
        category="full",
        joined_on=date(2010, 1, 1),
        converted_on=date(2011, 1, 1),
    )
    services.record_event(system_actor, member, "deceased", occurred_on=date(2025, 6, 30))
    rollups.rebuild(system_actor, 2026)
    # On no roll on 31 December 2025 or 2026, on the roll the eight years before: a row of earlier totals.
    row = MemberRollup.objects.get(org=branch, year=2026)
    assert (row.total, row.earlier_total_1, row.earlier_total_2, row.earlier_total_9) == (0, 0, 1, 1)
    assert rollups.differences(2026) == [] and rollups.differences(2025) == []
    total = [registry.get("members.total")]
    assert registry.compute(dept_admin, branch, Period.year(2024), total) == {"members.total": 1}
    assert registry.compute(dept_admin, branch, THIS_YEAR, total) == {"members.total": 0}


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_parts_of_a_rebuild_run_side_by_side(population, tree, system_actor, monkeypatch):
    """Called outside a transaction on PostgreSQL, each part (the member and org roll-ups, each app's) is
    rebuilt in a transaction of its own beside the others: a part that fails leaves its writes undone, the
    others are rebuilt all the same, and its error is raised."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: the parts run one after the other there")
    transactions = {}

    def watched(kept):
        def build():
            with connection.cursor() as cursor:
                cursor.execute("SELECT txid_current()")
                transactions[kept.name] = cursor.fetchone()[0]
            return kept.rebuild()

        return rollups.Kept(kept.name, build, kept.differences)

    pools = []  # the number of parts each rebuild runs at a time

    class Pool(ThreadPoolExecutor):
        def __init__(self, max_workers):
            pools.append(max_workers)
            super().__init__(max_workers)

    monkeypatch.setattr(rollups, "ThreadPoolExecutor", Pool)
    monkeypatch.setattr(rollups, "others", [watched(kept) for kept in rollups.others])
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        caller = cursor.fetchone()[0]
    rollups.rebuild(system_actor, 2026)
    assert pools == [rollups.REBUILD_WORKERS]
    assert set(transactions) == {kept.name for kept in rollups.others} and caller not in transactions.values()
    assert len(set(transactions.values())) == len(transactions), (
        "each app's part has a transaction of its own"
    )
    assert rollups.kept_years() == {2025, 2026}
    assert rollups.differences(2026) == [] and rollups.other_differences() == []
    entry = AuditEntry.objects.get(action="reports.rebuild_rollups")
    assert set(entry.after["others"]) == {kept.name for kept in rollups.others}

    def broken():
        Org.objects.filter(pk=tree["city"].pk).update(name="写了一半")
        raise RuntimeError("这一部分失败了")

    MemberRollup.objects.all().delete()
    RollupYear.objects.all().delete()
    monkeypatch.setattr(rollups, "others", [rollups.Kept("坏的", broken, list)])
    failed = "坏的汇总重建失败,保持重建前的状态(党员和党组织统计汇总已重建):这一部分失败了"
    with pytest.raises(CommandError, match=re.escape(failed)):
        call_command("rebuild_rollups", "--workers", "3", stdout=StringIO())
    assert pools[-1] == 3
    assert Org.objects.get(pk=tree["city"].pk).name == tree["city"].name
    assert rollups.kept_years() == {2025, 2026} and rollups.differences(2026) == []
    entry = AuditEntry.objects.filter(action="reports.rebuild_rollups").latest("seq")
    assert entry.after["failed"] == {"坏的": "这一部分失败了"} and entry.after["rows"] > 0
