"""The attendance roll-ups: every service that writes an activity or its list keeps them equal to the live
count, moved orgs take their rows along, scope and period boundaries answer as the live query does, and
rebuild_rollups rebuilds and verifies them."""

from datetime import date, datetime, time
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from dangjian.activities import indicators, services
from dangjian.activities.models import AttendanceRollup, AttendanceSubtreeRollup
from dangjian.activities.tests.conftest import ZONE
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.members import services as member_services
from dangjian.orgs import services as org_services
from dangjian.reports import registry, rollups
from dangjian.reports.registry import Period
from dangjian.reports.tests import helpers

KEYS = (
    "activities.present",
    "activities.expected",
    "activities.study_hours",
    "activities.present.general_meeting",
    "activities.present.theme_day",
)
YEAR = Period.year(2025)


def figures(user, org, period=YEAR) -> tuple[dict, dict]:
    return helpers.figures(user, org, period, KEYS)


def live_figures(user, org, period=YEAR) -> tuple[dict, dict]:
    return helpers.live_figures(user, org, period, KEYS, [indicators.ATTENDANCE.key])


def assert_kept_equals_live(users, orgs, period=YEAR):
    assert indicators.rollup_differences() == []
    for user in users:
        for org in orgs:
            kept = indicators.AttendanceCounts.totals(user, org, period, registry.lookup(KEYS))
            assert kept is not None  # the roll-ups answer these indicators
            assert figures(user, org, period) == live_figures(user, org, period), (user, org, period)


@pytest.fixture
def people(tree, branch_members, make_member):
    return {"a": branch_members, "b": [make_member(tree["branch_b"], f"乙{i}") for i in range(1, 4)]}


@pytest.fixture
def everyone(dept_admin, county_admin, secretary, outsider, stranger):
    return [dept_admin, county_admin, secretary, outsider, stranger]


def record(actor, org, kind="general_meeting", held_on=date(2025, 10, 10), **fields):
    return services.record_activity(
        actor, org=org, kind=kind, held_on=held_on, topic=f"{kind}{held_on}", **fields
    )


def value(user, org, key, period=YEAR):
    return figures(user, org, period)[0][key]


def test_every_service_keeps_the_rollups(frozen_today, tree, people, system_actor, everyone, dept_admin):
    city, a, b = tree["city"], tree["branch_a"], tree["branch_b"]
    orgs = list(tree.values())
    meeting = record(system_actor, a, study_hours="2")
    assert value(dept_admin, city, "activities.expected") == 5
    assert_kept_equals_live(everyone, orgs)

    marks = {m.pk: "present" for m in people["a"][:3]} | {people["a"][3].pk: ("on_leave", "出差")}
    services.mark_attendance(system_actor, meeting, marks)
    assert value(dept_admin, city, "activities.present") == 3
    assert value(dept_admin, city, "activities.study_hours") == Decimal("6.0")
    assert_kept_equals_live(everyone, orgs)

    # A correction of the kind, the hours and the date (into the day before the period) moves the counts.
    services.update_activity(system_actor, meeting, kind="theme_day", study_hours="1.5")
    assert value(dept_admin, city, "activities.present.theme_day") == 3
    assert value(dept_admin, city, "activities.present.general_meeting") == 0
    assert value(dept_admin, city, "activities.study_hours") == Decimal("4.5")
    assert_kept_equals_live(everyone, orgs)
    # A partner added later brings its members onto the list, counted under their own org.
    services.update_activity(system_actor, meeting, partners=[b])
    assert value(dept_admin, tree["county_b"], "activities.expected") == 3
    assert_kept_equals_live(everyone, orgs)

    # A plan counts nothing until a member checks in on the day; then it is held.
    plan = record(system_actor, a, kind="general_meeting", held_on=date(2025, 10, 20), status="planned")
    services.update_activity(system_actor, plan, starts_at=time(9, 0), ends_at=time(11, 0))
    assert value(dept_admin, city, "activities.present.general_meeting") == 0
    assert_kept_equals_live(everyone, orgs)
    user = everyone[2]  # the branch secretary, linked to a member record to scan the code
    member_services.link_login(system_actor, user, people["a"][0])
    with time_machine.travel(datetime(2025, 10, 20, 9, 5, tzinfo=ZONE), tick=False):
        services.check_in(Actor(user=user, via="page"), plan)
    assert value(dept_admin, city, "activities.present.general_meeting") == 1
    assert_kept_equals_live(everyone, orgs)

    cancelled = record(system_actor, b, held_on=date(2025, 10, 25), status="planned")
    services.cancel_activity(system_actor, cancelled, reason="改期")
    assert AttendanceRollup.objects.filter(activity=cancelled).count() == 0
    assert_kept_equals_live(everyone, orgs)

    # An import taken back takes its activity's rows along.
    services.remove_imported_activity(system_actor, meeting)
    assert not AttendanceRollup.objects.filter(activity_id=meeting.pk).exists()
    assert value(dept_admin, city, "activities.expected") == 5  # the checked-in meeting's list
    assert_kept_equals_live(everyone, orgs)


def test_a_failed_write_leaves_the_rollups_as_they_were(frozen_today, tree, people, system_actor):
    meeting = record(system_actor, tree["branch_a"])
    services.mark_attendance(system_actor, meeting, {people["a"][0].pk: "present"})
    before = list(AttendanceRollup.objects.values_list("org_id", "expected", "present", "present_hours"))
    with pytest.raises(ServiceError, match="请填写请假事由"):
        services.mark_attendance(
            system_actor, meeting, {people["a"][1].pk: "present", people["a"][2].pk: "on_leave"}
        )
    after = list(AttendanceRollup.objects.values_list("org_id", "expected", "present", "present_hours"))
    assert after == before and after[0][2] == 1


def test_the_outsider_sees_nothing_of_another_branch(
    frozen_today, tree, people, system_actor, outsider, dept_admin
):
    meeting = record(system_actor, tree["branch_a"])
    services.mark_attendance(system_actor, meeting, {m.pk: "present" for m in people["a"]})
    assert value(dept_admin, tree["city"], "activities.present") == 5
    for org in tree.values():
        assert value(outsider, org, "activities.present") == 0
        assert figures(outsider, org)[1] == {}


def test_a_joint_activity_is_seen_by_the_host_scope_only(
    frozen_today, tree, people, system_actor, everyone, secretary, outsider
):
    """Attendance is seen by whoever sees the HOST org: a partner's secretary counts none of it."""
    joint = record(system_actor, tree["branch_b"], partners=[tree["branch_a"]])
    services.mark_attendance(system_actor, joint, {m.pk: "present" for m in people["a"] + people["b"]})
    assert value(outsider, tree["branch_b"], "activities.present") == 3
    assert value(secretary, tree["branch_a"], "activities.present") == 0
    assert_kept_equals_live(everyone, list(tree.values()))


@pytest.mark.parametrize(
    "start, end, counted",
    [
        (date(2025, 1, 1), date(2025, 10, 9), False),  # ends the day before
        (date(2025, 1, 1), date(2025, 10, 10), True),  # ends on the day
        (date(2025, 10, 10), date(2025, 12, 31), True),  # starts on the day
        (date(2025, 10, 11), date(2025, 12, 31), False),  # starts the day after
    ],
)
def test_the_period_boundaries(
    frozen_today, tree, people, system_actor, everyone, dept_admin, start, end, counted
):
    meeting = record(system_actor, tree["branch_a"], held_on=date(2025, 10, 10))
    services.mark_attendance(system_actor, meeting, {people["a"][0].pk: "present"})
    period = Period(start, end)
    assert value(dept_admin, tree["city"], "activities.present", period) == (1 if counted else 0)
    assert_kept_equals_live(everyone, [tree["city"], tree["branch_a"]], period)


def test_a_moved_org_takes_its_rows(frozen_today, tree, people, system_actor, everyone, dept_admin):
    meeting = record(system_actor, tree["branch_a"])
    services.mark_attendance(system_actor, meeting, {m.pk: "present" for m in people["a"]})
    # Attendance across the moved subtree's edge, both ways: branch A's members at an activity hosted by
    # branch B, and branch B's members at a lecture hosted by the town (inside the moved subtree).
    joint = record(system_actor, tree["branch_b"], held_on=date(2025, 10, 11), partners=[tree["branch_a"]])
    services.mark_attendance(system_actor, joint, {m.pk: "present" for m in people["a"][:2] + people["b"]})
    lecture = record(
        system_actor, tree["town_a"], "party_lecture", date(2025, 10, 12), partners=[tree["branch_b"]]
    )
    services.mark_attendance(system_actor, lecture, {m.pk: "present" for m in people["b"]})
    assert_kept_equals_live(everyone, list(tree.values()))
    org_services.move_org(system_actor, tree["town_a"], tree["county_b"], occurred_on=date(2025, 10, 15))
    moved = {name: org.__class__.objects.get(pk=org.pk) for name, org in tree.items()}
    paths = {moved["branch_a"].path, moved["branch_b"].path}
    assert set(AttendanceRollup.objects.values_list("path", flat=True)) == paths
    assert set(AttendanceRollup.objects.values_list("host_path", flat=True)) == paths | {moved["town_a"].path}
    # The joint activity and the lecture now have county B as their common org, not the city.
    assert value(dept_admin, moved["county_b"], "activities.present") == 5 + 5 + 3
    assert value(dept_admin, moved["county_a"], "activities.present") == 0
    assert_kept_equals_live(everyone, list(moved.values()))


def test_rebuild_rollups_rebuilds_and_verifies_them(frozen_today, tree, people, system_actor, dept_admin):
    meeting = record(system_actor, tree["branch_a"])
    services.mark_attendance(system_actor, meeting, {people["a"][0].pk: "present"})
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "组织生活出勤汇总" in out.getvalue() and "核对无误" in out.getvalue()
    # A whole year at the city is read from its subtree rows: a wrong one shows, and verify names it.
    AttendanceSubtreeRollup.objects.filter(org=tree["city"]).update(present=9)
    assert value(dept_admin, tree["city"], "activities.present") == 9
    with pytest.raises(
        CommandError, match=f"党组织 {tree['city'].pk} 2025年10月“支部党员大会”出勤的 present:汇总 9,实际 1"
    ):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    call_command("rebuild_rollups", stdout=StringIO())
    assert value(dept_admin, tree["city"], "activities.present") == 1
    AttendanceRollup.objects.update(present=7)
    with pytest.raises(CommandError, match=f"活动 {meeting.pk} 党组织 {tree['branch_a'].pk} 的出勤汇总"):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    AttendanceRollup.objects.all().delete()
    with pytest.raises(CommandError, match="汇总 None"):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    call_command("rebuild_rollups", stdout=StringIO())
    assert list(AttendanceRollup.objects.values_list("expected", "present")) == [(5, 1)]
    assert rollups.other_differences() == []
