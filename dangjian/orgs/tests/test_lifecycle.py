"""Merging, dissolving with the members module's checks, temporary branches, and corrections of events."""

from datetime import date

import pytest
import time_machine

from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Committee, Group, Org, OrgEvent, OrgEventKind, OrgStatus, Place, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(date(2026, 6, 15), tick=False):
        yield


def add(actor, parent, name, code, kind="branch", **extra):
    return services.create_org(actor, parent=parent, name=name, kind=kind, code=code, **extra)


@pytest.fixture
def town_b(tree, system_actor):
    """A second town under 甲县委 with two branches: the merge in the tests joins 甲镇党委 into it."""
    town = add(system_actor, tree["county_a"], "丙镇党委", "A5", "committee")
    add(system_actor, town, "丙村党支部", "A6")
    return Org.objects.get(pk=town.pk)


@pytest.fixture
def registered():
    """Register hooks like the members module would, and take them away again afterwards."""
    added = []

    def register(kind, fn):
        getattr(services, f"register_{kind}")(fn)
        added.append(fn)
        return fn

    yield register
    for fn in added:
        services.unregister_hook(fn)


# --- merging --------------------------------------------------------------------------------------------


def test_a_merge_moves_children_units_and_places_and_ends_the_merged_org(
    tree, town_b, county_admin, actor_for, registered
):
    actor = actor_for(county_admin)
    town_a, branch_a = tree["town_a"], tree["branch_a"]
    unit = services.create_unit(
        actor, responsible_org=town_a, name="甲村村委会", org=town_a, sector="village"
    )
    place = services.create_place(actor, town_a, kind="service_center", name="甲镇党群服务中心")
    calls = []
    registered("merge_hook", lambda a, old, new, day: calls.append((old.pk, new.pk, day)))

    services.merge_org(actor, town_a, town_b, occurred_on=date(2026, 5, 1), document_number="甲组〔2026〕9号")

    town_a = Org.objects.get(pk=town_a.pk)
    assert (town_a.status, town_a.dissolved_on) == (OrgStatus.DISSOLVED, date(2026, 5, 1))
    assert Org.objects.get(pk=branch_a.pk).get_parent() == town_b
    assert Unit.objects.get(pk=unit.pk).org_id == town_b.pk
    assert Place.objects.get(pk=place.pk).org_id == town_b.pk
    assert calls == [(town_a.pk, town_b.pk, date(2026, 5, 1))]
    merged = town_a.events.get(kind=OrgEventKind.MERGED)
    assert merged.details["into"] == "丙镇党委" and merged.document_number == "甲组〔2026〕9号"
    absorbed = town_b.events.get(kind=OrgEventKind.ABSORBED)
    assert absorbed.details["from"] == "甲镇党委" and absorbed.details["children"] == ["甲村党支部"]
    assert OrgEvent.objects.get(org=branch_a, kind=OrgEventKind.MOVED).details["to"] == "丙镇党委"
    assert AuditEntry.objects.filter(action="org.merge", object_id=str(town_a.pk)).exists()


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("town_a", "town_a", "合并到它自己"),
        ("town_a", "branch_a", "它自己的下级党组织"),
        ("town_b", "branch_a", "党支部下不能再设立党组织"),
    ],
)
def test_merges_that_break_the_tree_are_refused(tree, town_b, system_actor, source, target, message):
    orgs = {**tree, "town_b": town_b}
    before = sorted(Org.objects.values_list("pk", "path", "status"))
    with pytest.raises(ServiceError, match=message):
        services.merge_org(system_actor, orgs[source], orgs[target])
    assert sorted(Org.objects.values_list("pk", "path", "status")) == before


def test_a_merge_into_a_dissolved_org_is_refused(tree, town_b, system_actor):
    services.dissolve_org(system_actor, tree["branch_b"], reason="撤销")
    with pytest.raises(ServiceError, match="已撤销的党组织不能合并"):
        services.merge_org(system_actor, tree["branch_a"], tree["branch_b"])


def test_a_merge_needs_the_org_above_and_the_survivor(tree, town_b, secretary, actor_for):
    with pytest.raises(NotPermitted, match="须由其上级党组织办理"):
        services.merge_org(actor_for(secretary), tree["branch_a"], town_b)


def test_a_merge_is_refused_when_the_members_could_not_be_moved(
    tree, town_b, county_admin, actor_for, registered
):
    registered("dissolve_check", lambda org: "还有2名党员" if org.pk == tree["town_a"].pk else None)
    with pytest.raises(ServiceError, match="还有2名党员"):
        services.merge_org(actor_for(county_admin), tree["town_a"], town_b)
    # The children moved inside the refused transaction are back where they were.
    assert Org.objects.get(pk=tree["branch_a"].pk).get_parent() == tree["town_a"]
    assert Org.objects.get(pk=tree["town_a"].pk).is_active


# --- dissolving -----------------------------------------------------------------------------------------


def test_dissolving_is_refused_with_every_reason(tree, system_actor, registered):
    registered("dissolve_check", lambda org: "还有5名党员,请先转出")
    with pytest.raises(ServiceError) as caught:
        services.dissolve_org(system_actor, tree["town_a"], reason="撤并")
    assert "下还有1个未撤销的党组织" in caught.value.message and "还有5名党员" in caught.value.message
    assert caught.value.details["reasons"][1] == "还有5名党员,请先转出"
    assert Org.objects.get(pk=tree["town_a"].pk).is_active


def test_dissolving_ends_the_committee_and_groups(tree, system_actor):
    branch = tree["branch_a"]
    committee = services.elect_committee(
        system_actor, branch, elected_on=date(2025, 1, 1), members=[{"post": "secretary", "name": "张三"}]
    )
    group = services.create_group(system_actor, branch, name="第一党小组")
    services.dissolve_org(system_actor, branch, occurred_on=date(2026, 6, 1), reason="村改居")
    committee.refresh_from_db()
    assert committee.ended_on == date(2026, 6, 1)
    assert committee.members.get().end_reason == "党组织撤销"
    assert Group.objects.get(pk=group.pk).dissolved_on == date(2026, 6, 1)


# --- temporary branches ---------------------------------------------------------------------------------


def test_a_temporary_branch_keeps_its_purpose_and_expected_end(tree, county_admin, actor_for):
    temp = add(
        actor_for(county_admin),
        tree["town_a"],
        "甲镇防汛临时党支部",
        "T1",
        "temporary_branch",
        temporary_purpose="2026年防汛抢险",
        temporary_until=date(2026, 9, 30),
    )
    assert (temp.temporary_purpose, temp.temporary_until) == ("2026年防汛抢险", date(2026, 9, 30))
    assert temp.events.get().details == {
        "temporary_purpose": "2026年防汛抢险",
        "temporary_until": "2026-09-30",
    }


def test_only_temporary_branches_have_a_purpose(tree, system_actor):
    with pytest.raises(ServiceError, match="只有临时党支部") as caught:
        add(system_actor, tree["town_a"], "普通支部", "X1", temporary_purpose="防汛")
    assert caught.value.field == "temporary_purpose"
    with pytest.raises(ServiceError, match="只有临时党支部"):
        services.update_org(system_actor, tree["branch_a"], temporary_until=date(2027, 1, 1))


# --- corrections ----------------------------------------------------------------------------------------


def test_a_correction_is_a_new_event_and_fixes_the_state_that_follows(tree, county_admin, actor_for):
    branch = tree["branch_a"]
    founded = branch.events.get(kind=OrgEventKind.FOUNDED)
    correction = services.correct_event(
        actor_for(county_admin),
        founded,
        occurred_on=date(2019, 7, 1),
        document_number="甲组〔2019〕7号",
        reason="成立日期登记错误,以批复文件为准",
    )
    founded.refresh_from_db()
    assert (founded.occurred_on, founded.document_number) == (date(2019, 7, 1), "甲组〔2019〕7号")
    assert Org.objects.get(pk=branch.pk).founded_on == date(2019, 7, 1)
    assert correction.kind == OrgEventKind.CORRECTED and correction.corrects == founded
    assert correction.details["occurred_on"] == ["2020-01-01", "2019-07-01"]
    assert correction.note == "成立日期登记错误,以批复文件为准"
    entry = AuditEntry.objects.get(action="org_event.correct")
    assert entry.before["occurred_on"] == "2020-01-01" and entry.after["occurred_on"] == "2019-07-01"


def test_correcting_an_election_date_moves_the_term(tree, system_actor):
    committee = services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2024, 3, 1),
        members=[{"post": "secretary", "name": "李四"}],
    )
    services.correct_event(system_actor, committee.event, occurred_on=date(2024, 2, 1), reason="日期有误")
    committee.refresh_from_db()
    assert (committee.started_on, committee.ends_on) == (
        date(2024, 2, 1),
        date(2029, 2, 1),
    )  # village: 5 years
    assert committee.members.get().started_on == date(2024, 2, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "更正原因不能为空"),
        ({"reason": "x"}, "没有需要更正的内容"),
        ({"reason": "x", "occurred_on": date(2020, 1, 1)}, "没有需要更正的内容"),
        ({"reason": "x", "occurred_on": date(2027, 1, 1)}, "不能晚于今天"),
    ],
)
def test_empty_or_wrong_corrections_are_refused(tree, system_actor, changes, message):
    founded = tree["branch_a"].events.get()
    with pytest.raises(ServiceError, match=message):
        services.correct_event(system_actor, founded, **changes)
    assert not OrgEvent.objects.filter(kind=OrgEventKind.CORRECTED).exists()


def test_a_correction_needs_a_role_at_the_org(tree, outsider, actor_for):
    with pytest.raises(NotPermitted):
        services.correct_event(actor_for(outsider), tree["branch_a"].events.get(), note="改", reason="越权")


def test_an_imported_org_with_a_committee_cannot_be_taken_back(tree, system_actor):
    services.create_group(system_actor, tree["branch_a"], name="第一党小组")
    assert services.undo_blockers(tree["branch_a"], {tree["branch_a"].pk})
    assert not Committee.objects.exists()
