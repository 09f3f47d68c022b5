"""Recording an activity: who should attend, attendance marks, counts, quorum, joint activities."""

from datetime import date, time

import pytest

from dangjian.activities import services
from dangjian.activities.models import Activity, ActivityStatus, Attendance
from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.core.models import AuditEntry


def general_meeting(actor, org, **extra):
    data = {
        "org": org,
        "kind": "general_meeting",
        "held_on": date(2025, 10, 10),
        "topic": "学习党的二十届四中全会精神",
    }
    data.update(extra)
    return services.record_activity(actor, **data)


def test_it_fills_who_should_attend_from_the_org_on_the_day(
    frozen_today, tree, branch_members, secretary, actor_for, make_member
):
    make_member(tree["branch_a"], "积极分子", category="activist", joined_on=None, converted_on=None)
    activity = general_meeting(
        actor_for(secretary),
        tree["branch_a"],
        agenda=[{"title": "学习讲话精神", "first_topic": True}, "审议事项"],
    )
    rows = Attendance.objects.filter(activity=activity)
    assert sorted(rows.values_list("member__name", flat=True)) == sorted(m.name for m in branch_members)
    assert rows.filter(voting=False).get().member.name == "预备党员"
    assert [(a.title, a.first_topic) for a in activity.agenda.all()] == [
        ("学习讲话精神", True),
        ("审议事项", False),
    ]
    assert AuditEntry.objects.filter(action="activities.record", object_id=str(activity.pk)).exists()


def test_it_counts_attendance_and_judges_the_quorum(frozen_today, tree, branch_members, secretary, actor_for):
    actor = actor_for(secretary)
    activity = general_meeting(actor, tree["branch_a"])
    assert activity.quorum is False  # nobody marked yet
    full = [m for m in branch_members if m.category == "full"]
    probationary = branch_members[-1]
    # 2 of 4 voting members present: exactly half is not more than half.
    counts = services.mark_attendance(
        actor,
        activity,
        {
            full[0].pk: "present",
            full[1].pk: "present",
            probationary.pk: "present",
            full[2].pk: ("on_leave", "外出务工"),
        },
    )
    assert (counts["total"], counts["present"], counts["on_leave"], counts["expected"]) == (5, 3, 1, 1)
    activity.refresh_from_db()
    assert activity.quorum is False
    services.mark_attendance(actor, activity, {full[3].pk: "present"})
    activity.refresh_from_db()
    assert activity.quorum is True


def test_a_leave_needs_its_reason(frozen_today, tree, branch_members, secretary, actor_for):
    activity = general_meeting(actor_for(secretary), tree["branch_a"])
    with pytest.raises(ServiceError, match="请假事由"):
        services.mark_attendance(actor_for(secretary), activity, {branch_members[0].pk: "on_leave"})


def test_other_kinds_judge_no_quorum(frozen_today, tree, branch_members, secretary, actor_for):
    activity = general_meeting(actor_for(secretary), tree["branch_a"], kind="theme_day")
    assert activity.quorum is None


def test_a_joint_activity_counts_for_each_org_and_lists_their_members(
    frozen_today, tree, branch_members, county_admin, actor_for, make_member, system_actor
):
    from dangjian.orgs import services as org_services

    other = org_services.create_org(
        system_actor,
        parent=tree["town_a"],
        name="甲社区党支部",
        kind="branch",
        code="A3",
        founded_on=date(2020, 1, 1),
    )
    make_member(other, "社区党员")
    activity = services.record_activity(
        actor_for(county_admin),
        org=tree["branch_a"],
        kind="theme_day",
        held_on=date(2025, 10, 8),
        topic="联建主题党日",
        partners=[other.pk],
    )
    assert set(activity.parties.values_list("org_id", flat=True)) == {tree["branch_a"].pk, other.pk}
    assert activity.attendance.count() == len(branch_members) + 1


def test_a_group_meeting_lists_the_group(
    frozen_today, tree, branch_members, secretary, actor_for, system_actor
):
    from dangjian.orgs import services as org_services

    group = org_services.create_group(
        system_actor, tree["branch_a"], name="第一党小组", founded_on=date(2020, 1, 1)
    )
    org_services.add_group_member(
        system_actor, group, member_id=branch_members[0].pk, joined_on=date(2020, 1, 1)
    )
    activity = general_meeting(actor_for(secretary), tree["branch_a"], kind="group_meeting", group=group.pk)
    assert list(activity.attendance.values_list("member_id", flat=True)) == [branch_members[0].pk]


def test_the_outsider_may_not_record_for_another_branch(frozen_today, tree, outsider, actor_for):
    with pytest.raises(NotPermitted):
        general_meeting(actor_for(outsider), tree["branch_a"])
    assert not Activity.objects.exists()


def test_a_future_date_is_a_plan_not_a_meeting(frozen_today, tree, secretary, actor_for):
    with pytest.raises(ServiceError, match="计划"):
        general_meeting(actor_for(secretary), tree["branch_a"], held_on=date(2025, 10, 16))
    plan = general_meeting(
        actor_for(secretary), tree["branch_a"], held_on=date(2025, 10, 16), status="planned"
    )
    assert plan.status == ActivityStatus.PLANNED
    services.cancel_activity(actor_for(secretary), plan, reason="改期")
    plan.refresh_from_db()
    assert plan.status == ActivityStatus.CANCELLED


def test_times_must_run_forward(frozen_today, tree, secretary, actor_for):
    with pytest.raises(ServiceError, match="结束时间"):
        general_meeting(actor_for(secretary), tree["branch_a"], starts_at=time(15), ends_at=time(14))
