from datetime import date, timedelta

import pytest
import time_machine

from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Org, OrgEvent, OrgStatus


def test_it_creates_a_child_with_a_founded_event_and_audit(tree, secretary, county_admin, actor_for):
    town = tree["town_a"]
    with pytest.raises(NotPermitted):
        # A secretary of a branch holds only the branch, not the town above it.
        services.create_org(actor_for(secretary), parent=town, name="新支部", kind="branch", code="N1")
    org = services.create_org(
        actor_for(county_admin),
        parent=town,
        name="新支部",
        kind="branch",
        code="N1",
        founded_on=date(2024, 5, 1),
        document_number="甲组〔2024〕1号",
    )
    assert org.get_parent() == town
    event = org.events.get()
    assert (event.kind, event.occurred_on, event.document_number) == (
        "founded",
        date(2024, 5, 1),
        "甲组〔2024〕1号",
    )
    entry = AuditEntry.objects.filter(action="org.create", object_id=str(org.pk)).get()
    assert entry.after["name"] == "新支部" and entry.actor_name == "county_admin"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "名称不能为空"),
        ({"kind": "club"}, "kind", "类别“club”无效"),
        ({"code": "A0"}, "code", "已被“甲县委”使用"),
        ({"code": "带中文"}, "code", "只能由字母"),
        ({"sector": "moon"}, "sector", "领域“moon”无效"),
    ],
)
def test_it_refuses_bad_fields_with_the_field_named(tree, system_actor, changes, field, message):
    values = {"name": "新支部", "kind": "branch", "code": "N9"} | changes
    with pytest.raises(ServiceError) as caught:
        services.create_org(system_actor, parent=tree["town_a"], **values)
    assert caught.value.field == field and message in caught.value.message
    assert not Org.objects.filter(code="N9").exists()


def test_it_refuses_child_orgs_under_a_branch(tree, system_actor):
    with pytest.raises(ServiceError, match="党支部下不能再设立党组织"):
        services.create_org(system_actor, parent=tree["branch_a"], name="x", kind="branch", code="X1")


@time_machine.travel(date(2025, 6, 30), tick=False)
@pytest.mark.parametrize(
    ("founded", "ok"), [(date(2025, 6, 29), True), (date(2025, 6, 30), True), (date(2025, 7, 1), False)]
)
def test_it_refuses_a_founding_date_after_today(tree, system_actor, founded, ok):
    create = lambda: services.create_org(  # noqa: E731
        system_actor, parent=tree["town_a"], name="x", kind="branch", code="X2", founded_on=founded
    )
    if ok:
        assert create().founded_on == founded
    else:
        with pytest.raises(ServiceError, match="成立日期不能晚于今天"):
            create()


def test_it_renames_with_an_event_holding_old_and_new(tree, system_actor):
    org = services.update_org(
        system_actor, tree["branch_a"], name="甲村第一党支部", occurred_on=date(2025, 1, 2)
    )
    event = org.events.get(kind="renamed")
    assert event.details == {"from": "甲村党支部", "to": "甲村第一党支部"}
    assert event.occurred_on == date(2025, 1, 2)


def test_it_records_no_event_when_nothing_changes(tree, system_actor):
    services.update_org(system_actor, tree["branch_a"], name="甲村党支部")
    assert not tree["branch_a"].events.exclude(kind="founded").exists()


def test_it_moves_a_subtree_and_keeps_paths_consistent(tree, system_actor):
    town = services.move_org(system_actor, tree["town_a"], tree["county_b"])
    branch = Org.objects.get(pk=tree["branch_a"].pk)
    assert town.get_parent() == tree["county_b"]
    assert branch.path.startswith(Org.objects.get(pk=tree["county_b"].pk).path)
    assert town.events.get(kind="moved").details["from"] == "甲县委"
    assert Org.find_problems() == ([], [], [], [], [])


def test_it_refuses_moving_under_own_descendant(tree, system_actor):
    with pytest.raises(ServiceError, match="自己或它的下级"):
        services.move_org(system_actor, tree["county_a"], tree["town_a"])


def test_a_secretary_cannot_move_orgs_in_or_out_of_their_subtree(tree, secretary, county_admin, actor_for):
    # Into a subtree they do not hold, and out of one: both refused.
    with pytest.raises(NotPermitted):
        services.move_org(actor_for(secretary), tree["branch_a"], tree["county_b"])
    with pytest.raises(NotPermitted):
        services.move_org(actor_for(secretary), tree["branch_b"], tree["town_a"])
    # The county admin holds both the old and the new parent inside 甲县委.
    new_town = services.create_org(
        actor_for(county_admin), parent=tree["county_a"], name="丙镇党委", kind="committee", code="A9"
    )
    services.move_org(actor_for(county_admin), tree["branch_a"], new_town)
    with pytest.raises(NotPermitted):
        services.move_org(actor_for(county_admin), tree["branch_a"], tree["county_b"])


def test_it_dissolves_only_when_no_active_children(tree, system_actor):
    with pytest.raises(ServiceError, match="还有1个未撤销的党组织"):
        services.dissolve_org(system_actor, tree["town_a"])
    branch = services.dissolve_org(
        system_actor, tree["branch_a"], occurred_on=date(2025, 3, 1), reason="村改居"
    )
    assert (branch.status, branch.dissolved_on) == (OrgStatus.DISSOLVED, date(2025, 3, 1))
    town = services.dissolve_org(system_actor, tree["town_a"])
    assert town.status == OrgStatus.DISSOLVED
    with pytest.raises(ServiceError, match="已经撤销"):
        services.dissolve_org(system_actor, tree["town_a"])


def test_a_failed_write_leaves_no_trace(tree, system_actor):
    events, entries = OrgEvent.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ServiceError):
        services.move_org(system_actor, tree["town_a"], tree["branch_b"])  # a branch cannot hold a committee
    assert (OrgEvent.objects.count(), AuditEntry.objects.count()) == (events, entries)
    assert Org.objects.get(pk=tree["town_a"].pk).get_parent() == tree["county_a"]


def test_it_refuses_a_root_org_from_a_user(tree, dept_admin, actor_for):
    with pytest.raises(NotPermitted):
        services.create_org(actor_for(dept_admin), parent=None, name="另一市委", kind="committee", code="Z0")


def test_dissolution_date_cannot_be_in_future(tree, system_actor):
    with pytest.raises(ServiceError, match="撤销日期不能晚于今天"):
        services.dissolve_org(system_actor, tree["branch_a"], occurred_on=date.today() + timedelta(days=2))
