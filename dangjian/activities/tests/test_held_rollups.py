"""The roll-ups of activities held: every service that changes what an activity counts keeps them equal to
the live count, a period of whole months is answered from them and any other period live, a viewer of
part of a subtree is counted live, moved orgs take their rows along, and rebuild_rollups rebuilds and
verifies them."""

from datetime import date, datetime, time
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from dangjian.activities import indicators, services
from dangjian.activities.models import ActivityKind, HeldRollup
from dangjian.activities.tests.conftest import ZONE
from dangjian.core.audit import Actor
from dangjian.members import services as member_services
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Org
from dangjian.reports import registry, rollups
from dangjian.reports.registry import Period
from dangjian.reports.tests import helpers

KEYS = (
    "activities.held",
    "activities.secretary_lectures",
    "activities.category.three_meetings",
    "activities.category.org_life",
    "activities.kind.general_meeting",
    "activities.kind.theme_day",
    "activities.kind.party_lecture",
)
YEAR = Period.year(2025)
PERIODS = (YEAR, Period(date(2025, 7, 1), date(2025, 9, 30)), Period(date(2025, 10, 1), date(2025, 10, 31)))


def figures(user, org, period=YEAR) -> tuple[dict, dict]:
    return helpers.figures(user, org, period, KEYS)


def live_figures(user, org, period=YEAR) -> tuple[dict, dict]:
    return helpers.live_figures(user, org, period, KEYS, [indicators.ACTIVITIES.key])


def assert_kept_equals_live(users, orgs, periods=PERIODS):
    assert services.held_differences() == []
    for period in periods:
        for user in users:
            for org in orgs:
                assert figures(user, org, period) == live_figures(user, org, period), (user, org, period)


def value(user, org, key, period=YEAR):
    return figures(user, org, period)[0][key]


@pytest.fixture
def everyone(dept_admin, county_admin, secretary, outsider, stranger):
    return [dept_admin, county_admin, secretary, outsider, stranger]


def record(actor, org, kind="general_meeting", held_on=date(2025, 10, 10), **fields):
    return services.record_activity(
        actor, org=org, kind=kind, held_on=held_on, topic=f"{kind}{held_on}", **fields
    )


def test_every_service_keeps_the_rollups(
    frozen_today, tree, branch_members, system_actor, everyone, dept_admin
):
    city, orgs = tree["city"], list(tree.values())
    meeting = record(system_actor, tree["branch_a"])
    record(system_actor, tree["town_a"], kind="party_lecture", lecturer_is_secretary=True)
    record(system_actor, tree["branch_b"], kind="theme_day", partners=[tree["branch_a"]])
    assert value(dept_admin, city, "activities.held") == 3
    assert value(dept_admin, city, "activities.secretary_lectures") == 1
    assert_kept_equals_live(everyone, orgs)

    # A correction of the kind and of the date (into another month), then of the lecturer.
    services.update_activity(system_actor, meeting, kind="theme_day", held_on=date(2025, 9, 20))
    assert value(dept_admin, city, "activities.kind.theme_day") == 2
    assert value(dept_admin, city, "activities.kind.general_meeting") == 0
    assert_kept_equals_live(everyone, orgs)
    services.update_activity(system_actor, meeting, lecturer_is_secretary=True)
    assert value(dept_admin, city, "activities.secretary_lectures") == 2
    assert value(dept_admin, city, "activities.secretary_lectures", PERIODS[2]) == 1  # October's
    assert_kept_equals_live(everyone, orgs)

    # A plan counts nothing until a member checks in on the day; a cancelled plan never counts.
    plan = record(system_actor, tree["branch_a"], held_on=date(2025, 10, 20), status="planned")
    services.update_activity(system_actor, plan, starts_at=time(9, 0), ends_at=time(11, 0))
    assert value(dept_admin, city, "activities.held") == 3
    user = everyone[2]  # the branch secretary, linked to a member record to scan the code
    member_services.link_login(system_actor, user, branch_members[0])
    with time_machine.travel(datetime(2025, 10, 20, 9, 5, tzinfo=ZONE), tick=False):
        services.check_in(Actor(user=user, via="page"), plan)
    assert value(dept_admin, city, "activities.kind.general_meeting") == 1
    assert_kept_equals_live(everyone, orgs)
    cancelled = record(system_actor, tree["branch_b"], held_on=date(2025, 10, 25), status="planned")
    services.cancel_activity(system_actor, cancelled, reason="改期")
    assert_kept_equals_live(everyone, orgs)

    # An import taken back takes its activity out of the counts.
    services.remove_imported_activity(system_actor, plan)
    assert value(dept_admin, city, "activities.kind.general_meeting") == 0
    assert value(dept_admin, city, "activities.held") == 3
    assert_kept_equals_live(everyone, orgs)


def test_the_kinds_category_is_read_when_asked(frozen_today, tree, system_actor, dept_admin):
    """The rows are kept by kind: a kind moved to another category moves its counts without a rebuild."""
    record(system_actor, tree["branch_a"], kind="theme_day")
    assert value(dept_admin, tree["city"], "activities.category.org_life") == 1
    ActivityKind.objects.filter(code="theme_day").update(category="three_meetings")
    assert value(dept_admin, tree["city"], "activities.category.org_life") == 0
    assert value(dept_admin, tree["city"], "activities.category.three_meetings") == 1
    assert figures(dept_admin, tree["city"]) == live_figures(dept_admin, tree["city"])


def test_the_outsider_counts_only_what_they_see(frozen_today, tree, system_actor, outsider, stranger):
    record(system_actor, tree["branch_a"])
    record(system_actor, tree["branch_a"], kind="theme_day", partners=[tree["branch_b"]])
    # The secretary of branch B sees the joint activity (a partner) and nothing else of branch A.
    assert value(outsider, tree["branch_a"], "activities.held") == 1
    assert value(outsider, tree["city"], "activities.kind.general_meeting") == 0
    for org in tree.values():
        assert value(stranger, org, "activities.held") == 0
        assert figures(stranger, org)[1] == {}
        assert figures(outsider, org) == live_figures(outsider, org)


@pytest.mark.parametrize(
    "start, end, counted, whole",
    [
        (date(2025, 9, 1), date(2025, 9, 29), False, False),  # ends the day before
        (date(2025, 9, 1), date(2025, 9, 30), True, True),  # ends on the day
        (date(2025, 9, 30), date(2025, 10, 31), True, False),  # starts on the day
        (date(2025, 10, 1), date(2025, 10, 31), False, True),  # starts the day after
    ],
)
def test_the_period_boundaries(
    frozen_today, tree, system_actor, everyone, dept_admin, start, end, counted, whole
):
    record(system_actor, tree["branch_a"], held_on=date(2025, 9, 30))
    period = Period(start, end)
    assert value(dept_admin, tree["city"], "activities.held", period) == (1 if counted else 0)
    answered = indicators.HeldCounts.totals(dept_admin, tree["city"], period, registry.lookup(KEYS))
    assert (answered is not None) == whole  # whole months from the roll-ups, any other period live
    assert_kept_equals_live(everyone, [tree["city"], tree["branch_a"]], [period])


def test_a_moved_org_takes_its_rows(frozen_today, tree, system_actor, everyone, dept_admin):
    record(system_actor, tree["branch_a"])
    record(system_actor, tree["town_a"], kind="party_lecture")
    org_services.move_org(system_actor, tree["town_a"], tree["county_b"], occurred_on=date(2025, 10, 15))
    moved = {name: Org.objects.get(pk=org.pk) for name, org in tree.items()}
    assert value(dept_admin, moved["county_b"], "activities.held") == 2
    assert value(dept_admin, moved["county_a"], "activities.held") == 0
    assert set(HeldRollup.objects.filter(org=moved["branch_a"]).values_list("path", flat=True)) == {
        moved["branch_a"].path
    }
    assert_kept_equals_live(everyone, list(moved.values()))


def test_rebuild_rollups_rebuilds_and_verifies_them(frozen_today, tree, system_actor):
    record(system_actor, tree["branch_a"])
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "活动开展汇总" in out.getvalue() and "核对无误" in out.getvalue()
    HeldRollup.objects.filter(org=tree["branch_a"]).update(held=7)
    with pytest.raises(
        CommandError, match=f"党组织 {tree['branch_a'].pk} 2025年10月“支部党员大会”活动的 held:汇总 7,实际 1"
    ):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    HeldRollup.objects.filter(org=tree["city"]).delete()
    with pytest.raises(
        CommandError, match=f"党组织 {tree['city'].pk} 2025年10月“支部党员大会”活动的 held:汇总 0,实际 1"
    ):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    call_command("rebuild_rollups", stdout=StringIO())
    assert rollups.other_differences() == []
    assert HeldRollup.objects.get(org=tree["city"]).held == 1
