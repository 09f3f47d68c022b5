"""The org module's second round: people linked to member records, rectification and closing of flags
through the API, orgs joining and leaving pairings, places and groups ended (not deleted), term
adjustments after an election, and the workbench's 组织建设提醒."""

import json
import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.services import issue_token
from dangjian.core.audit import Actor
from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.core.rules import Level
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.members.tests.conftest import id_number
from dangjian.orgs import rules, services
from dangjian.orgs.models import Committee, GroupMember, Org, OrgEvent, OrgEventKind, PairingOrg, Place

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def person(system_actor):
    """``person(org, name, **fields)``: a full member on ``org``'s roll, made by the members services."""
    sequence = iter(range(1, 999, 2))

    def make(org, name, **fields):
        data = {
            "name": name,
            "id_number": id_number(date(1980, 5, 6), next(sequence)),
            "category": "full",
            "joined_on": date(2010, 7, 1),
            "converted_on": date(2011, 7, 1),
        }
        return member_services.create_member(system_actor, org=org, **(data | fields))

    return make


@pytest.fixture
def api(client):
    class As:
        def __init__(self, user):
            _, raw = issue_token(Actor(user=user, via="api"))
            self.headers = {"Authorization": f"Bearer {raw}"}

        def get(self, url, **params):
            return client.get(url, params, headers=self.headers)

        def post(self, url, body):
            return client.post(url, json.dumps(body), content_type="application/json", headers=self.headers)

    return As


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


# --- people linked to member records --------------------------------------------------------------------


def test_an_elected_member_takes_the_name_of_their_record(tree, secretary, actor_for, person):
    wang = person(tree["branch_a"], "王建国")
    committee = services.elect_committee(
        actor_for(secretary),
        tree["branch_a"],
        elected_on=date(2026, 5, 1),
        members=[
            {"post": "secretary", "name": "随便写的", "member_id": wang.pk},
            {"post": "member", "name": "外聘"},
        ],
    )
    seats = {m.post: (m.name, m.member_id) for m in committee.members.all()}
    assert seats == {"secretary": ("王建国", wang.pk), "member": ("外聘", None)}
    entry = AuditEntry.objects.filter(action="committee.elect").latest("pk")
    assert "书记 王建国" in entry.after["members"]


def test_a_member_of_another_org_is_refused_without_naming_them(tree, county_admin, actor_for, person):
    other = person(tree["branch_b"], "乙社区党员")
    with pytest.raises(ServiceError) as caught:
        services.elect_committee(
            actor_for(county_admin),
            tree["branch_a"],
            elected_on=date(2026, 5, 1),
            members=[{"post": "secretary", "member_id": other.pk}],
        )
    assert caught.value.field == "member_id"
    assert caught.value.message == f"编号为{other.pk}的党员不在“甲村党支部”的党员名册中。"
    assert not Committee.objects.exists()


def test_a_party_committee_elects_from_its_subtree_a_branch_only_from_itself(
    tree, county_admin, actor_for, person
):
    actor = actor_for(county_admin)
    villager = person(tree["branch_a"], "甲村党员")
    committee = services.elect_committee(
        actor,
        tree["town_a"],
        elected_on=date(2026, 5, 1),
        members=[{"post": "secretary", "member_id": villager.pk}],
    )
    assert committee.members.get().member == villager
    townsman = person(tree["town_a"], "镇机关党员")
    with pytest.raises(ServiceError, match="不在“甲村党支部”的党员名册中"):
        services.elect_committee(
            actor,
            tree["branch_a"],
            elected_on=date(2026, 5, 1),
            members=[{"post": "secretary", "member_id": townsman.pk}],
        )


def test_probationary_and_departed_members_are_refused(tree, county_admin, actor_for, person):
    actor = actor_for(county_admin)
    probationary = person(tree["branch_a"], "预备党员甲", category="probationary", converted_on=None)
    with pytest.raises(ServiceError, match="预备党员甲是预备党员,没有被选举权"):
        services.elect_committee(
            actor,
            tree["branch_a"],
            elected_on=date(2026, 5, 1),
            members=[{"post": "secretary", "member_id": probationary.pk}],
        )
    gone = person(tree["branch_a"], "已离册")
    Member.objects.filter(pk=gone.pk).update(on_roll=False)
    with pytest.raises(ServiceError, match=f"编号为{gone.pk}的党员不在"):
        services.elect_committee(
            actor,
            tree["branch_a"],
            elected_on=date(2026, 5, 1),
            members=[{"post": "secretary", "member_id": gone.pk}],
        )
    # A probationary member may be in a party group, though not on the committee.
    group = services.create_group(actor, tree["branch_a"], name="第一党小组")
    assert services.add_group_member(actor, group, member_id=probationary.pk).name == "预备党员甲"


def test_by_election_links_a_member_and_refuses_them_twice(tree, secretary, actor_for, person):
    actor = actor_for(secretary)
    li = person(tree["branch_a"], "李补选")
    committee = services.elect_committee(
        actor, tree["branch_a"], elected_on=date(2026, 1, 1), members=[{"post": "secretary", "name": "王"}]
    )
    seat = services.add_committee_member(
        actor, committee, post="organization_member", name="", member_id=li.pk, started_on=date(2026, 6, 1)
    )
    assert (seat.name, seat.member_id) == ("李补选", li.pk)
    with pytest.raises(ConflictError, match="李补选已是本届班子的在任成员"):
        services.add_committee_member(
            actor, committee, post="publicity_member", name="", member_id=li.pk, started_on=date(2026, 6, 1)
        )


def test_group_members_and_leaders_come_from_the_branch_roll(tree, secretary, actor_for, person):
    actor = actor_for(secretary)
    liu = person(tree["branch_a"], "刘组员")
    chen = person(tree["branch_a"], "陈组长")
    first = services.create_group(actor, tree["branch_a"], name="第一党小组", leader_id=chen.pk)
    assert (first.leader_name, first.leader) == ("陈组长", chen)
    second = services.create_group(actor, tree["branch_a"], name="第二党小组")
    assert services.add_group_member(actor, first, member_id=liu.pk).name == "刘组员"
    with pytest.raises(ConflictError, match="刘组员已在党小组“第一党小组”中"):
        services.add_group_member(actor, second, member_id=liu.pk)
    outsider_member = person(tree["branch_b"], "乙社区党员")
    with pytest.raises(ServiceError, match="不在“甲村党支部”的党员名册中"):
        services.add_group_member(actor, second, member_id=outsider_member.pk)
    with pytest.raises(ServiceError, match="不在“甲村党支部”的党员名册中") as caught:
        services.update_group(actor, second, leader_id=outsider_member.pk)
    assert caught.value.field == "leader_id"
    # Removing the leader's record keeps the typed name.
    updated = services.update_group(actor, first, leader_name="新组长", leader_id=None)
    assert (updated.leader_name, updated.leader) == ("新组长", None)


def test_the_member_picker_lists_the_orgs_party_members_in_scope(tree, secretary, outsider, login, person):
    person(tree["branch_a"], "张三丰")
    person(tree["branch_a"], "张无忌", category="applicant", joined_on=None, converted_on=None)
    person(tree["town_a"], "张镇长")
    client = login(secretary)
    body = client.get("/members/select/", {"org": tree["branch_a"].pk, "q": "张"}).content.decode()
    assert "张三丰 #" in body and "张无忌" not in body and "张镇长" not in body
    assert (
        "张三丰" in client.get("/members/select/", {"org": tree["branch_a"].pk, "q": "zsf"}).content.decode()
    )
    assert client.get("/members/select/", {"org": tree["branch_b"].pk}).status_code == 404
    assert client.get("/members/select/", {"org": tree["town_a"].pk}).status_code == 404
    assert "张三丰" not in login(outsider).get("/members/select/", {"q": "张"}).content.decode()


def test_a_page_links_a_group_member_chosen_from_the_picker(tree, secretary, login, actor_for, person):
    liu = person(tree["branch_a"], "刘组员")
    group = services.create_group(actor_for(secretary), tree["branch_a"], name="第一党小组")
    client = login(secretary)
    page = client.get(f"/orgs/groups/{group.pk}/").content.decode()
    assert 'list="member-options"' in page and f"/members/select/?org={tree['branch_a'].pk}" in page
    response = client.post(f"/orgs/groups/{group.pk}/members/new/", {"name": f"刘组员 #{liu.pk}"})
    assert response.status_code == 302
    assert GroupMember.objects.get(group=group).member == liu
    refused = client.post(f"/orgs/groups/{group.pk}/members/new/", {"name": "某人 #999999"})
    assert "编号为999999的党员不在“甲村党支部”的党员名册中" in refused.content.decode()


def test_the_api_takes_and_gives_member_ids(tree, secretary, api, person):
    wang = person(tree["branch_a"], "王建国")
    client = api(secretary)
    committee = ok(
        client.post(
            "/api/v1/orgs/committees",
            {
                "org_id": tree["branch_a"].pk,
                "elected_on": "2026-05-01",
                "members": [{"post": "secretary", "member_id": wang.pk}],
            },
        ),
        201,
    )
    assert [(m["name"], m["member_id"]) for m in committee["members"]] == [("王建国", wang.pk)]
    group = ok(client.post("/api/v1/orgs/groups", {"org_id": tree["branch_a"].pk, "name": "一组"}), 201)
    joined = ok(
        client.post("/api/v1/orgs/group-members", {"group_id": group["id"], "member_id": wang.pk}), 201
    )
    assert (joined["name"], joined["member_id"]) == ("王建国", wang.pk)


# --- weak-and-lax flags through the API -----------------------------------------------------------------


def test_rectification_steps_and_closing_through_the_api(
    tree, county_admin, secretary, outsider, api, actor_for
):
    flag = services.flag_weak(
        actor_for(county_admin), tree["branch_a"], reason="班子软弱", flagged_on=date(2026, 1, 5)
    )
    step = ok(
        api(secretary).post(
            "/api/v1/orgs/weak-flag-steps",
            {"flag_id": flag.pk, "taken_on": "2026-02-01", "description": "调整书记"},
        ),
        201,
    )
    assert step["description"] == "调整书记"
    assert (
        api(outsider)
        .post(
            "/api/v1/orgs/weak-flag-steps", {"flag_id": flag.pk, "taken_on": "2026-02-01", "description": "x"}
        )
        .status_code
        == 404
    )
    # Closing is the upper org's decision: the branch's own secretary may not.
    assert (
        api(secretary)
        .post(f"/api/v1/orgs/weak-flags/{flag.pk}/close", {"closed_on": "2026-06-01"})
        .status_code
        == 403
    )
    assert api(county_admin).post(f"/api/v1/orgs/weak-flags/{flag.pk}/close", {}).status_code == 400
    closed = ok(
        api(county_admin).post(
            f"/api/v1/orgs/weak-flags/{flag.pk}/close",
            {"closed_on": "2026-06-01", "closing_note": "验收合格"},
        )
    )
    assert (closed["closed_on"], closed["steps"][0]["description"]) == ("2026-06-01", "调整书记")
    assert AuditEntry.objects.filter(action__in=["weak_flag.step", "weak_flag.close"], via="api").count() == 2


# --- pairings: orgs join and leave ----------------------------------------------------------------------


@pytest.fixture
def pairing(tree, dept_admin, actor_for):
    return services.create_pairing(
        actor_for(dept_admin),
        scheme="城乡联建",
        orgs=[tree["branch_a"], tree["branch_b"]],
        started_on=date(2025, 1, 1),
    )


def test_an_org_joins_and_leaves_a_pairing_which_keeps_its_history(
    tree, dept_admin, county_admin, actor_for, pairing
):
    dept = actor_for(dept_admin)
    joined = services.add_pairing_org(dept, pairing, tree["town_a"], joined_on=date(2026, 3, 1))
    assert joined.joined_on == date(2026, 3, 1)
    with pytest.raises(ConflictError, match="已在该结对共建中"):
        services.add_pairing_org(dept, pairing, tree["town_a"])
    party_a = pairing.parties.get(org=tree["branch_a"])
    left = services.remove_pairing_org(
        actor_for(county_admin), party_a, left_on=date(2026, 6, 1), reason="调整"
    )
    assert (left.left_on, left.left_reason) == (date(2026, 6, 1), "调整")
    assert PairingOrg.objects.filter(pairing=pairing).count() == 3
    assert services.pairing_state(pairing)["orgs"] == ["A1", "B1"]
    # The org that left still sees the pairing it took part in.
    assert pairing.__class__.objects.visible_to(county_admin).filter(pk=pairing.pk).exists()
    actions = list(
        AuditEntry.objects.filter(action__startswith="pairing.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["pairing.add_org", "pairing.remove_org"]
    # At least two orgs remain; the org may rejoin later, on a new row.
    with pytest.raises(ServiceError, match="至少需要两个党组织"):
        services.remove_pairing_org(dept, pairing.parties.get(org=tree["branch_b"]))
    services.add_pairing_org(dept, pairing, tree["branch_a"])
    assert pairing.parties.filter(org=tree["branch_a"]).count() == 2


def test_joining_and_leaving_need_the_org_concerned(tree, secretary, outsider, actor_for, pairing):
    with pytest.raises(NotPermitted):
        services.add_pairing_org(actor_for(secretary), pairing, tree["town_a"])
    with pytest.raises(NotPermitted):
        services.remove_pairing_org(actor_for(outsider), pairing.parties.get(org=tree["branch_a"]))


def test_pairing_orgs_through_the_api_and_pages(tree, dept_admin, secretary, outsider, api, login, pairing):
    party = ok(
        api(dept_admin).post(
            "/api/v1/orgs/pairing-orgs",
            {"pairing_id": pairing.pk, "org_id": tree["town_a"].pk, "joined_on": "2026-02-01"},
        ),
        201,
    )
    assert api(outsider).post(f"/api/v1/orgs/pairing-orgs/{party['id']}/leave", {}).status_code == 404
    assert ok(api(secretary).get(f"/api/v1/orgs/pairings/{pairing.pk}"))["other_org_count"] == 2
    client = login(dept_admin)
    page = client.get(f"/orgs/pairings/{pairing.pk}/").content.decode()
    assert "增加结对党组织" in page and "甲镇党委" in page
    response = client.post(
        f"/orgs/pairing-orgs/{party['id']}/remove/", {"left_on": "2026-06-01", "reason": "项目完成"}
    )
    assert response.status_code == 302
    assert PairingOrg.objects.get(pk=party["id"]).left_on == date(2026, 6, 1)
    assert "项目完成" in client.get(f"/orgs/pairings/{pairing.pk}/").content.decode()


# --- places and groups end, they are not deleted --------------------------------------------------------


def test_a_place_is_closed_on_a_date_with_its_reason(
    tree, county_admin, secretary, outsider, api, login, actor_for
):
    place = services.create_place(
        actor_for(county_admin),
        tree["town_a"],
        kind="service_center",
        name="镇党群服务中心",
        opened_on=date(2020, 1, 1),
    )
    with pytest.raises(NotPermitted):
        services.close_place(actor_for(secretary), place)
    assert api(outsider).post(f"/api/v1/orgs/places/{place.pk}/close", {}).status_code == 404
    closed = ok(
        api(county_admin).post(
            f"/api/v1/orgs/places/{place.pk}/close", {"on": "2026-05-01", "reason": "搬迁"}
        )
    )
    assert (closed["closed_on"], closed["close_reason"]) == ("2026-05-01", "搬迁")
    assert Place.objects.filter(pk=place.pk).exists()
    with pytest.raises(ServiceError, match="已于2026年5月1日停用"):
        services.close_place(actor_for(county_admin), place)
    entry = AuditEntry.objects.get(action="place.close")
    assert entry.before["closed_on"] is None and entry.after["close_reason"] == "搬迁"


def test_a_place_is_closed_through_its_page(tree, county_admin, login, actor_for):
    place = services.create_place(
        actor_for(county_admin), tree["town_a"], kind="activity_room", name="活动室"
    )
    client = login(county_admin)
    assert "停用" in client.get(f"/orgs/places/?within={tree['town_a'].pk}").content.decode()
    response = client.post(
        f"/orgs/places/{place.pk}/close/", {"closed_on": "2026-06-01", "reason": "改作他用"}
    )
    assert response.status_code == 302
    place.refresh_from_db()
    assert (place.closed_on, place.close_reason) == (date(2026, 6, 1), "改作他用")


def test_a_group_is_dissolved_on_a_date_with_its_reason(tree, secretary, outsider, api, login, actor_for):
    actor = actor_for(secretary)
    group = services.create_group(actor, tree["branch_a"], name="第一党小组", founded_on=date(2025, 1, 1))
    services.add_group_member(actor, group, name="刘一", joined_on=date(2025, 1, 1))
    assert api(outsider).post(f"/api/v1/orgs/groups/{group.pk}/dissolve", {}).status_code == 404
    with pytest.raises(ServiceError, match="撤销日期不能早于成立日期"):
        services.dissolve_group(actor, group, dissolved_on=date(2024, 1, 1))
    dissolved = ok(
        api(secretary).post(
            f"/api/v1/orgs/groups/{group.pk}/dissolve", {"on": "2026-06-01", "reason": "合并"}
        )
    )
    assert (dissolved["dissolved_on"], dissolved["dissolve_reason"]) == ("2026-06-01", "合并")
    assert dissolved["members"][0]["left_on"] == "2026-06-01"
    page = login(secretary).get(f"/orgs/groups/{group.pk}/").content.decode()
    assert "2026年6月1日 撤销(合并)" in page


def test_the_group_dissolve_page_asks_for_the_date(tree, secretary, login, actor_for):
    group = services.create_group(
        actor_for(secretary), tree["branch_a"], name="第一党小组", founded_on=date(2025, 1, 1)
    )
    client = login(secretary)
    assert "撤销原因" in client.get(f"/orgs/groups/{group.pk}/dissolve/").content.decode()
    assert (
        client.post(
            f"/orgs/groups/{group.pk}/dissolve/", {"dissolved_on": "2026-05-01", "reason": "调整"}
        ).status_code
        == 302
    )
    group.refresh_from_db()
    assert (group.dissolved_on, group.dissolve_reason) == (date(2026, 5, 1), "调整")


# --- term adjustments -----------------------------------------------------------------------------------


@pytest.fixture
def elected(tree, system_actor):
    """甲村党支部 (a village org) elected on 2021-07-01: a five-year term due on 2026-07-01."""
    return services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2021, 7, 1),
        members=[{"post": "secretary", "name": "王"}],
    )


def test_a_term_is_extended_within_a_year_with_a_document(elected, county_admin, actor_for):
    actor = actor_for(county_admin)
    assert elected.ends_on == date(2026, 7, 1)
    with pytest.raises(ServiceError, match="文号不能为空"):
        services.adjust_term(actor, elected, ends_on=date(2027, 1, 1), document_number="")
    with pytest.raises(ServiceError, match="提前或延期一般不超过1年"):
        services.adjust_term(actor, elected, ends_on=date(2027, 7, 3), document_number="甲镇党〔2026〕5号")
    adjusted = services.adjust_term(
        actor, elected, ends_on=date(2027, 7, 1), document_number="甲镇党〔2026〕5号"
    )
    assert adjusted.ends_on == date(2027, 7, 1)
    event = OrgEvent.objects.get(kind=OrgEventKind.TERM_ADJUSTED)
    assert (event.occurred_on, event.document_number, event.details["from"], event.details["to"]) == (
        TODAY,
        "甲镇党〔2026〕5号",
        "2026-07-01",
        "2027-07-01",
    )
    assert event.details["action"] == "extended"
    entry = AuditEntry.objects.get(action="committee.adjust_term")
    assert (entry.before["ends_on"], entry.after["ends_on"]) == ("2026-07-01", "2027-07-01")


def test_a_term_may_be_advanced_but_only_by_the_org_above(elected, secretary, county_admin, actor_for):
    with pytest.raises(NotPermitted, match="须由其上级党组织办理"):
        services.adjust_term(actor_for(secretary), elected, ends_on=date(2026, 1, 1), document_number="X")
    advanced = services.adjust_term(
        actor_for(county_admin), elected, ends_on=date(2025, 12, 1), document_number="X"
    )
    assert advanced.ends_on == date(2025, 12, 1)
    assert OrgEvent.objects.get(kind=OrgEventKind.TERM_ADJUSTED).details["action"] == "advanced"


def test_term_adjustment_through_the_page_and_the_api(
    elected, tree, county_admin, secretary, outsider, api, login
):
    assert api(outsider).post(f"/api/v1/orgs/committees/{elected.pk}/term", {}).status_code == 404
    assert (
        api(secretary)
        .post(f"/api/v1/orgs/committees/{elected.pk}/term", {"ends_on": "2027-01-01", "document_number": "X"})
        .status_code
        == 403
    )
    body = ok(
        api(county_admin).post(
            f"/api/v1/orgs/committees/{elected.pk}/term",
            {"ends_on": "2027-01-01", "document_number": "甲镇党〔2026〕6号"},
        )
    )
    assert body["ends_on"] == "2027-01-01"
    client = login(county_admin)
    page = client.get(f"/orgs/{tree['branch_a'].pk}/committee/").content.decode()
    assert f"/orgs/committees/{elected.pk}/term/" in page
    assert "延长任期,届满日期 2026-07-01 → 2027-01-01" in page and "甲镇党〔2026〕6号" in page
    refused = client.post(
        f"/orgs/committees/{elected.pk}/term/", {"ends_on": "2030-01-01", "document_number": "Y"}
    )
    assert "提前或延期一般不超过1年" in refused.content.decode()
    own_page = login(secretary).get(f"/orgs/{tree['branch_a'].pk}/committee/").content.decode()
    assert f"/orgs/committees/{elected.pk}/term/" not in own_page


# --- the workbench's 组织建设提醒 -----------------------------------------------------------------------


def test_the_workbench_counts_the_subtrees_findings_by_level(tree, county_admin, system_actor, login):
    # 甲村党支部's term ended on 2026-01-01 (warn); 甲镇党委's ends within six months (remind).
    for org, elected_on in ((tree["branch_a"], date(2021, 1, 1)), (tree["town_a"], date(2021, 9, 1))):
        services.elect_committee(
            system_actor, org, elected_on=elected_on, members=[{"post": "secretary", "name": "王"}]
        )
    found = rules.findings_for(Org.objects.all().within(tree["county_a"]).active(), TODAY)
    assert {"org.term_overdue", "org.term_ending"} <= {f.finding.rule_id for f in found}
    client = login(county_admin)
    page = client.get("/").content.decode()
    block = page[page.index('id="org-reminders"') : page.index("最近的组织事项")]
    for level in Level:
        count = sum(1 for f in found if f.finding.level == level)
        link = f"/orgs/findings/?within={tree['county_a'].pk}&level={level.value}"
        assert re.search(re.escape(link) + r'".*?figure-number">' + str(count) + "<", block, re.S), level
    assert f"涉及 {len({f.org.pk for f in found})} 个党组织" in block


def test_the_workbench_reminders_are_only_for_party_roles(sysadmin, login):
    assert "组织建设提醒" not in login(sysadmin).get("/").content.decode()


def test_the_workbench_keeps_a_fixed_query_budget(tree, dept_admin, system_actor, login):
    services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2022, 1, 1),
        members=[{"post": "secretary", "name": "王"}],
    )
    client = login(dept_admin)
    client.get("/")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    before = count()
    for n in range(5):
        org = services.create_org(
            system_actor,
            parent=tree["town_a"],
            name=f"新支部{n}",
            kind="branch",
            code=f"N{n}",
            founded_on=date(2020, 1, 1),
        )
        services.elect_committee(
            system_actor,
            org,
            elected_on=date(2022, 1, 1),
            members=[{"post": "secretary", "name": f"书记{n}"}],
        )
    assert count() == before
