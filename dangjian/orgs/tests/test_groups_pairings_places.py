"""Party groups, pairings (visible to every side, naming only what each side may see), places, weak flags."""

from datetime import date

import pytest
import time_machine

from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.orgs import figures, services
from dangjian.orgs.models import Pairing, PairingActivity, Place, WeakFlag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(date(2026, 6, 15), tick=False):
        yield


# --- party groups ---------------------------------------------------------------------------------------


def test_groups_live_in_branches_with_a_leader_and_members(tree, secretary, actor_for):
    actor = actor_for(secretary)
    group = services.create_group(actor, tree["branch_a"], name="第一党小组", leader_name="陈组长")
    services.add_group_member(actor, group, name="刘一")
    services.add_group_member(actor, group, name="刘二")
    with pytest.raises(ConflictError, match="刘一已在党小组"):
        services.add_group_member(actor, group, name="刘一")
    with pytest.raises(ConflictError, match="已有名为“第一党小组”"):
        services.create_group(actor, tree["branch_a"], name="第一党小组")
    services.update_group(actor, group, leader_name="刘一")
    leaving = group.members.get(name="刘二")
    services.remove_group_member(actor, leaving)
    assert list(group.members.filter(left_on__isnull=True).values_list("name", flat=True)) == ["刘一"]
    assert AuditEntry.objects.filter(action__startswith="group").count() == 5


def test_groups_are_refused_outside_branches(tree, county_admin, actor_for):
    with pytest.raises(ServiceError, match="党小组只能在党支部") as caught:
        services.create_group(actor_for(county_admin), tree["town_a"], name="第一党小组")
    assert caught.value.details["rule"] == "org.groups_only_in_branches"


def test_a_dissolved_group_takes_no_members(tree, system_actor):
    group = services.create_group(
        system_actor, tree["branch_a"], name="第二党小组", founded_on=date(2025, 1, 1)
    )
    services.add_group_member(system_actor, group, name="甲", joined_on=date(2025, 1, 1))
    services.dissolve_group(system_actor, group, dissolved_on=date(2026, 6, 1))
    assert group.members.get().left_on == date(2026, 6, 1)
    with pytest.raises(ServiceError, match="已撤销"):
        services.add_group_member(system_actor, group, name="乙")


# --- pairings -------------------------------------------------------------------------------------------


@pytest.fixture
def pairing(tree, dept_admin, actor_for):
    """甲村党支部 and 乙社区党支部, paired by the city's organization department."""
    pairing = services.create_pairing(
        actor_for(dept_admin),
        scheme="城乡党建联建",
        orgs=[tree["branch_a"], tree["branch_b"]],
        started_on=date(2025, 3, 1),
    )
    for day, title in (
        (date(2025, 6, 1), "联合主题党日"),
        (date(2026, 2, 1), "助农直播"),
        (date(2026, 5, 1), "义诊"),
    ):
        services.add_pairing_activity(actor_for(dept_admin), pairing, held_on=day, title=title)
    return pairing


def test_a_pairing_is_set_up_by_someone_holding_every_side(tree, secretary, actor_for):
    with pytest.raises(NotPermitted):
        services.create_pairing(
            actor_for(secretary),
            scheme="结对",
            orgs=[tree["branch_a"], tree["branch_b"]],
            started_on=date(2026, 1, 1),
        )
    with pytest.raises(ServiceError, match="至少需要两个不同的党组织"):
        services.create_pairing(
            actor_for(secretary),
            scheme="结对",
            orgs=[tree["branch_a"], tree["branch_a"]],
            started_on=date(2026, 1, 1),
        )


def test_each_side_sees_the_pairing_and_records_activities(tree, pairing, secretary, outsider, actor_for):
    assert list(Pairing.objects.visible_to(secretary)) == [pairing]
    assert list(Pairing.objects.visible_to(outsider)) == [pairing]
    services.add_pairing_activity(actor_for(outsider), pairing, held_on=date(2026, 6, 1), title="社区共建")
    assert PairingActivity.objects.visible_to(secretary).count() == 4
    entry = AuditEntry.objects.filter(action="pairing_activity.create").order_by("seq").last()
    assert entry.org_path == tree["branch_b"].path  # filed under the side the outsider holds


def test_activities_lie_within_the_pairing(pairing, system_actor):
    with pytest.raises(ServiceError, match="起止日期之内"):
        services.add_pairing_activity(system_actor, pairing, held_on=date(2025, 1, 1), title="早了")
    services.update_pairing(system_actor, pairing, ended_on=date(2026, 5, 31))
    with pytest.raises(ServiceError, match="起止日期之内"):
        services.add_pairing_activity(system_actor, pairing, held_on=date(2026, 6, 1), title="晚了")


def test_pairing_figures_for_a_subtree_and_period(tree, pairing, dept_admin, county_admin, system_actor):
    year = figures.Period(date(2026, 1, 1), date(2026, 12, 31))
    assert figures.pairing_figures(dept_admin, tree["city"], year) == {
        "pairings": 1,
        "orgs": 2,
        "activities": 2,
    }
    assert figures.pairing_figures(county_admin, tree["county_a"], year) == {
        "pairings": 1,
        "orgs": 1,
        "activities": 2,
    }
    whole = figures.Period()
    assert figures.pairing_figures(dept_admin, tree["city"], whole)["activities"] == 3
    services.update_pairing(system_actor, pairing, ended_on=date(2025, 12, 31))
    # Ended before the period: it no longer counts as running, its earlier activities are outside the period.
    assert figures.pairing_figures(dept_admin, tree["city"], year) == {
        "pairings": 0,
        "orgs": 0,
        "activities": 2,
    }


# --- places ---------------------------------------------------------------------------------------------


def test_places_are_counted_by_kind_in_a_subtree(tree, system_actor, county_admin):
    services.create_place(
        system_actor, tree["town_a"], kind="service_center", name="甲镇党群服务中心", area="320.5"
    )
    services.create_place(system_actor, tree["branch_a"], kind="activity_room", name="甲村党员活动室")
    closed = services.create_place(system_actor, tree["branch_a"], kind="activity_room", name="旧活动室")
    services.update_place(system_actor, closed, closed_on=date(2026, 1, 1))
    services.create_place(system_actor, tree["branch_b"], kind="red_station", name="乙社区红色驿站")
    counts = {label: n for _, label, n in figures.place_counts(county_admin, tree["county_a"])}
    assert counts["党群服务中心"] == 1 and counts["党员活动室"] == 1 and counts["红色驿站"] == 0
    assert Place.objects.get(name="甲镇党群服务中心").area == 320.5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "temple"}, "阵地类型“temple”无效"),
        ({"area": "大"}, "面积应为数字"),
        ({"name": ""}, "名称不能为空"),
    ],
)
def test_bad_places_are_refused(tree, system_actor, fields, message):
    values = {"kind": "party_school", "name": "县委党校"} | fields
    with pytest.raises(ServiceError, match=message):
        services.create_place(system_actor, tree["county_a"], **values)


# --- weak-and-lax flags ---------------------------------------------------------------------------------


def test_the_org_above_flags_and_closes_the_branch_records_steps(tree, county_admin, secretary, actor_for):
    branch = tree["branch_a"]
    with pytest.raises(NotPermitted):
        services.flag_weak(
            actor_for(secretary), branch, reason="组织生活不正常", flagged_on=date(2026, 1, 10)
        )
    flag = services.flag_weak(
        actor_for(county_admin), branch, reason="组织生活不正常", flagged_on=date(2026, 1, 10)
    )
    with pytest.raises(ConflictError, match="尚未整顿销号"):
        services.flag_weak(actor_for(county_admin), branch, reason="again", flagged_on=date(2026, 2, 1))
    services.add_weak_step(actor_for(secretary), flag, taken_on=date(2026, 2, 1), description="选派第一书记")
    with pytest.raises(NotPermitted):
        services.close_weak_flag(actor_for(secretary), flag, closed_on=date(2026, 6, 1))
    services.close_weak_flag(
        actor_for(county_admin), flag, closed_on=date(2026, 6, 1), closing_note="验收合格"
    )
    flag.refresh_from_db()
    assert flag.closed_on == date(2026, 6, 1) and flag.steps.count() == 1
    with pytest.raises(ServiceError, match="不能再登记整顿措施"):
        services.add_weak_step(actor_for(secretary), flag, taken_on=date(2026, 6, 2), description="x")
    assert figures.weak_figures(
        county_admin, tree["county_a"], figures.Period(date(2026, 1, 1), date(2026, 6, 30))
    ) == {
        "flagged": 1,
        "closed": 1,
        "open": 0,
    }
    assert WeakFlag.objects.visible_to(secretary).count() == 1
