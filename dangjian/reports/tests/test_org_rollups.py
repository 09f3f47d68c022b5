"""Kept org counts: every org service keeps the subtree totals in the same transaction, they equal the
live counts for every org and kept year, the stock is taken on 31 December (boundary days); and the
upkeep's upserts: a missing ancestor row or direct row created by concurrent writers without a unique
error or a lost count (PostgreSQL)."""

import threading
import time
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.members.tests.conftest import id_number
from dangjian.orgs import services
from dangjian.orgs.models import Org, OrgEvent, OrgEventKind
from dangjian.reports import registry, rollups, subtrees
from dangjian.reports.models import ORG_KEYS, MemberRollup, OrgSubtreeRollup, org_column
from dangjian.reports.registry import Period

pytestmark = pytest.mark.django_db
YEARS = (Period.year(2025), Period.year(2026))  # today is 1 March 2026 (frozen_today)


@pytest.fixture
def kept(tree, system_actor, frozen_today):
    rollups.rebuild(system_actor, 2026, years=2)
    return tree


def indicators():
    return [registry.get(key) for key in ORG_KEYS]


def live(user, org, period, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(registry, "accelerators", {})
        return (
            registry.compute(user, org, period, indicators()),
            registry.compute_by_child(user, org, period, indicators()),
        )


def fast(user, org, period):
    with CaptureQueriesContext(connection) as captured:
        found = (
            registry.compute(user, org, period, indicators()),
            registry.compute_by_child(user, org, period, indicators()),
        )
    assert any("reports_orgsubtreerollup" in q["sql"] for q in captured), "the kept counts were not read"
    assert not any('FROM "orgs_org"' in q["sql"] for q in captured), "orgs were counted live"
    return found


def agree(user, monkeypatch):
    """Kept equal live for every org (also dissolved and moved ones) and both kept years."""
    for period in YEARS:
        assert rollups.org_differences(period.end.year) == [], period
        for org in Org.objects.all():
            assert fast(user, org, period) == live(user, org, period, monkeypatch), (org.name, period)


def add(actor, parent, code, kind="branch", founded_on=date(2020, 1, 1), **fields):
    return services.create_org(
        actor, parent=parent, name=f"党组织{code}", kind=kind, code=code, founded_on=founded_on, **fields
    )


def subtree(org, year=2026, key="orgs.total") -> int:
    row = OrgSubtreeRollup.objects.filter(org=org, year=year).values_list(org_column(key), flat=True)
    return row.first() or 0


def test_the_keys_are_every_org_stock_of_the_tables():
    assert set(ORG_KEYS) == {ind.key for ind in registry.all_indicators() if ind.source.key == "orgs"}


def test_every_org_service_keeps_the_counts(kept, dept_admin, system_actor, monkeypatch):
    tree = kept
    agree(dept_admin, monkeypatch)
    assert subtree(tree["city"]) == 6
    # Founded: on the year end (counts for 2025), the day after (2026 only), and without a date.
    year_end = add(system_actor, tree["town_a"], "N1", founded_on=date(2025, 12, 31), sector="village")
    new_year = add(system_actor, tree["town_a"], "N2", founded_on=date(2026, 1, 1))
    add(system_actor, tree["county_b"], "N3", kind="general_branch", founded_on=None)
    assert (subtree(tree["town_a"], 2025), subtree(tree["town_a"], 2026)) == (3, 4)
    agree(dept_admin, monkeypatch)
    # Particulars: the sector, and the founding date moved across the year end.
    services.update_org(system_actor, year_end, sector="community")
    services.update_org(system_actor, new_year, founded_on=date(2025, 6, 1))
    assert subtree(tree["town_a"], 2025) == 4
    agree(dept_admin, monkeypatch)
    # Dissolved on the year end: gone on 31 December 2025; then the date corrected to the day after.
    services.dissolve_org(system_actor, year_end, occurred_on=date(2025, 12, 31))
    assert (subtree(tree["town_a"], 2025), subtree(tree["town_a"], 2026)) == (3, 3)
    agree(dept_admin, monkeypatch)
    event = OrgEvent.objects.get(org=year_end, kind=OrgEventKind.DISSOLVED)
    services.correct_event(system_actor, event, reason="撤销日期登记错误", occurred_on=date(2026, 1, 1))
    assert subtree(tree["town_a"], 2025) == 4
    agree(dept_admin, monkeypatch)
    # The founding date corrected on the founding event.
    founded = OrgEvent.objects.get(org=new_year, kind=OrgEventKind.FOUNDED)
    services.correct_event(system_actor, founded, reason="成立日期登记错误", occurred_on=date(2026, 2, 1))
    assert subtree(tree["town_a"], 2025) == 3
    agree(dept_admin, monkeypatch)
    # Moved with its subtree, also to another depth; merged (children moved, the absorbed org ended).
    services.move_org(system_actor, tree["town_a"], tree["county_b"], occurred_on=date(2026, 2, 2))
    assert subtree(tree["county_a"]) == 1
    agree(dept_admin, monkeypatch)
    services.move_org(system_actor, new_year, tree["county_a"], occurred_on=date(2026, 2, 3))
    agree(dept_admin, monkeypatch)
    services.merge_org(system_actor, tree["county_b"], tree["county_a"], occurred_on=date(2026, 2, 4))
    assert subtree(tree["county_b"]) == 0 and subtree(tree["county_b"], 2025) == 1
    agree(dept_admin, monkeypatch)
    # An org entered by mistake and taken back (the import undo's removal).
    mistake = add(system_actor, tree["county_a"], "N4")
    services.remove_imported_org(system_actor, mistake)
    agree(dept_admin, monkeypatch)
    assert (
        subtree(tree["city"])
        == registry.compute(dept_admin, tree["city"], YEARS[1], indicators())["orgs.total"]
    )


def test_stocks_are_taken_on_the_year_end(kept, dept_admin, system_actor):
    tree = kept
    before = add(system_actor, tree["county_b"], "D1")
    on = add(system_actor, tree["county_b"], "D2")
    after = add(system_actor, tree["county_b"], "D3")
    services.dissolve_org(system_actor, before, occurred_on=date(2025, 12, 30))
    services.dissolve_org(system_actor, on, occurred_on=date(2025, 12, 31))
    services.dissolve_org(system_actor, after, occurred_on=date(2026, 1, 1))
    values = registry.compute(dept_admin, tree["county_b"], YEARS[0], [registry.get("orgs.kind.branch")])
    assert values == {"orgs.kind.branch": 2}  # 乙社区党支部 and the one dissolved on 1 January 2026


def test_other_periods_and_partial_scopes_are_counted_live(kept, county_admin, dept_admin):
    tree = kept
    for user, period in (
        (dept_admin, Period.year(2024)),
        (dept_admin, Period(date(2026, 1, 1), date(2026, 3, 1))),
        (county_admin, YEARS[1]),
    ):
        with CaptureQueriesContext(connection) as captured:
            registry.compute(user, tree["city"], period, indicators())
        assert not any("reports_orgsubtreerollup" in q["sql"] for q in captured), period
    assert registry.compute(county_admin, tree["city"], YEARS[1], indicators())["orgs.total"] == 3


def test_verify_names_a_wrong_org_count(kept):
    row = OrgSubtreeRollup.objects.get(org=kept["county_a"], year=2026)
    row.kind_branch += 1
    row.save()
    with pytest.raises(CommandError, match="党组织子树的 kind_branch:汇总 2,实际 1"):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    call_command("rebuild_rollups", "--years", "2", stdout=StringIO())
    assert rollups.org_differences(2026) == []


def test_an_ancestor_row_is_created_or_added_to_by_one_upsert(kept):
    tree = kept
    OrgSubtreeRollup.objects.filter(org=tree["county_b"]).delete()
    delta = [1] + [0] * (len(ORG_KEYS) - 1)
    subtrees.add_to_subtrees(2026, {tree["branch_b"].path: delta}, OrgSubtreeRollup, rollups.ORG_NAMES)
    assert (subtree(tree["county_b"]), subtree(tree["branch_b"]), subtree(tree["city"])) == (1, 2, 7)


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_rows_of_an_ancestor_do_not_collide(tree, system_actor):
    """Two transactions create the same missing ancestor row at once: the second waits and adds."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL's concurrent writers")
    rollups.rebuild(system_actor, 2026, years=1)
    OrgSubtreeRollup.objects.filter(org=tree["county_b"]).delete()
    delta = [1] + [0] * (len(ORG_KEYS) - 1)
    first_wrote, failures = threading.Event(), []
    release = threading.Event()

    def writer(path, hold):
        try:
            with transaction.atomic():
                subtrees.add_to_subtrees(2026, {path: delta}, OrgSubtreeRollup, rollups.ORG_NAMES)
                if hold:
                    first_wrote.set()
                    release.wait(10)
        except Exception as exc:  # the failure is the finding
            failures.append(exc)
        finally:
            close_old_connections()
            connection.close()

    first = threading.Thread(target=writer, args=(tree["branch_b"].path, True))
    first.start()
    assert first_wrote.wait(10)
    second = threading.Thread(target=writer, args=(tree["county_b"].path, False))
    second.start()
    # The second writer is blocked on the first one's uncommitted row before the first commits.
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                break
    release.set()
    first.join(10)
    second.join(10)
    assert failures == []
    assert subtree(tree["county_b"]) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_recounts_of_an_org_without_a_row_count_both_members(tree, system_actor):
    """Two members created at once in an org with no direct row yet: the second recount waits for the
    first (the row is made sure of, then locked) and counts both, instead of failing or losing one."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL's concurrent writers")
    rollups.rebuild(system_actor, 2026, years=1)
    first_wrote, release, failures = threading.Event(), threading.Event(), []

    def writer(n, hold):
        try:
            with transaction.atomic():
                member_services.create_member(
                    system_actor,
                    org=tree["branch_b"],
                    name=f"并发{n}",
                    id_number=id_number(date(1980, 1, 1), 2 * n + 1),
                    birth_date=date(1980, 1, 1),
                    sex="male",
                    category="full",
                    joined_on=date(2010, 1, 1),
                    converted_on=date(2011, 1, 1),
                )
                if hold:
                    first_wrote.set()
                    release.wait(10)
        except Exception as exc:  # the failure is the finding
            failures.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=writer, args=(1, True))
    first.start()
    assert first_wrote.wait(10)
    second = threading.Thread(target=writer, args=(2, False))
    second.start()
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                break
    release.set()
    first.join(10)
    second.join(10)
    assert failures == []
    assert Member.objects.filter(org=tree["branch_b"]).count() == 2
    assert MemberRollup.objects.get(org=tree["branch_b"], year=2026).total == 2
    assert rollups.differences(2026) == []
