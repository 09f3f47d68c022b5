"""The pages of the organization module: lists, exports, detail pages and forms, each through its service."""

import io
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Committee, Group, OrgEvent, OrgEventKind, Pairing, Place, Unit, WeakFlag

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def table(page: str, table_id: str) -> str:
    """The HTML of one table of the page (flash messages and filters left out)."""
    return page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]


def cells(response) -> list[list]:
    content = b"".join(response.streaming_content)
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


# --- events, figures, findings --------------------------------------------------------------------------


def test_the_event_list_filters_by_indicator_and_period_and_exports(tree, county_admin, login, system_actor):
    services.create_org(
        system_actor,
        parent=tree["town_a"],
        name="防汛突击队",
        kind="temporary_branch",
        code="T1",
        founded_on=date(2026, 2, 1),
    )
    services.update_org(system_actor, tree["branch_a"], name="甲村新党支部", occurred_on=date(2026, 3, 1))
    client = login(county_admin)
    page = body(client.get(reverse("orgs:events"), {"indicator": "temporary_founded", "from": "2026-01-01"}))
    assert "防汛突击队" in page and "甲村新党支部" not in page
    page = body(client.get(reverse("orgs:events"), {"kind": "renamed", "to": "2026-12-31"}))
    assert "甲村党支部 → 甲村新党支部" in page and "防汛突击队" not in page
    rows = cells(client.get(reverse("orgs:events_export"), {"kind": "renamed"}))
    assert (
        rows[0][:3] == ["党组织", "组织编码", "事项"]
        and rows[1][0] == "甲村新党支部"
        and rows[1][5] == "甲村党支部 → 甲村新党支部"
    )


def test_the_org_page_counts_this_years_events_with_links(tree, county_admin, login, system_actor):
    services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2026, 3, 1),
        members=[{"post": "secretary", "name": "王书记"}],
    )
    page = body(login(county_admin).get(reverse("orgs:detail", args=[tree["town_a"].pk])))
    link = f"/orgs/events/?within={tree['town_a'].pk}&indicator=re_elected&from=2026-01-01&to=2026-06-15"
    assert link in page
    assert "完成换届选举</span> <strong>1</strong>" in page


def test_the_figures_page_reads_the_year_end_report(tree, dept_admin, login, system_actor):
    services.create_unit(
        system_actor, responsible_org=tree["town_a"], org=tree["branch_a"], name="甲村小学", sector="school"
    )
    services.create_unit(system_actor, responsible_org=tree["town_a"], name="甲镇中学", sector="school")
    services.create_place(system_actor, tree["branch_b"], kind="red_station", name="红色驿站一号")
    page = body(login(dept_admin).get(reverse("orgs:figures")))
    assert (
        '<td>学校</td><td class="text-end">2</td><td class="text-end">1</td><td class="text-end">50.0%</td>'
        in page
    )
    assert "红色驿站 1 处" in page
    assert "2026年1月1日 至 2026年6月15日" in page


def test_the_findings_page_lists_filters_and_counts(tree, county_admin, login, system_actor):
    services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2021, 1, 1),
        members=[{"post": "secretary", "name": "王"}],
    )
    client = login(county_admin)
    page = body(client.get(reverse("orgs:findings")))
    # The members module is installed: size rules run (甲村党支部 has no members yet).
    assert "党员数据接入后检查" not in page and "正式党员不足3人 1" in page
    assert "班子任期已于2026年1月1日届满" in page and "尚未登记班子" in page
    assert "任期已届满未换届 1" in page and "未登记班子 2" in page
    filtered = body(client.get(reverse("orgs:findings"), {"rule": "org.term_overdue"}))
    assert "班子任期已于2026年1月1日届满" in filtered and "尚未登记班子成员" not in filtered
    assert "尚未登记班子成员" not in body(client.get(reverse("orgs:findings"), {"level": "warn"}))


# --- merge and correction through pages -----------------------------------------------------------------


def test_merging_through_the_page(tree, county_admin, login, system_actor):
    town_b = services.create_org(
        system_actor, parent=tree["county_a"], name="丙镇党委", kind="committee", code="A5"
    )
    response = login(county_admin).post(
        reverse("orgs:merge", args=[tree["town_a"].pk]),
        {"into_code": "A5", "confirm": "on", "occurred_on": "2026-06-01"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("orgs:detail", args=[town_b.pk])
    assert tree["branch_a"].__class__.objects.get(pk=tree["branch_a"].pk).get_parent().pk == town_b.pk


def test_a_merge_into_a_code_outside_scope_reveals_nothing(tree, county_admin, login):
    page = body(
        login(county_admin).post(
            reverse("orgs:merge", args=[tree["town_a"].pk]), {"into_code": "B1", "confirm": "on"}
        )
    )
    assert "未找到组织编码为“B1”的党组织" in page and "乙社区" not in page


def test_correcting_an_event_through_the_page(tree, secretary, login):
    founded = tree["branch_a"].events.get()
    response = login(secretary).post(
        reverse("orgs:event_correct", args=[founded.pk]),
        {"occurred_on": "2019-05-01", "document_number": "", "note": "", "reason": "以批复为准"},
    )
    assert response.status_code == 302
    assert OrgEvent.objects.get(kind=OrgEventKind.CORRECTED).details["occurred_on"] == [
        "2020-01-01",
        "2019-05-01",
    ]
    page = body(login(secretary).get(reverse("orgs:detail", args=[tree["branch_a"].pk])))
    assert "更正 2019年5月1日 的成立事项" in page


# --- committees and terms -------------------------------------------------------------------------------


def test_electing_a_committee_through_the_form(tree, secretary, login):
    response = login(secretary).post(
        reverse("orgs:committee_elect", args=[tree["branch_a"].pk]),
        {
            "elected_on": "2026-05-20",
            "secretary": "王书记",
            "organization_member": "赵组织",
            "member": "孙一、孙二",
            "document_number": "甲镇党〔2026〕5号",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "orgs:committee", args=[tree["branch_a"].pk]
    )
    committee = Committee.objects.current().get(org=tree["branch_a"])
    assert committee.ends_on == date(2031, 5, 20)  # village: 5 years
    assert sorted(committee.members.values_list("post", "name")) == [
        ("member", "孙一"),
        ("member", "孙二"),
        ("organization_member", "赵组织"),
        ("secretary", "王书记"),
    ]
    page = body(login(secretary).get(reverse("orgs:committee", args=[tree["branch_a"].pk])))
    assert "任期至 <strong>2031年5月20日</strong>" in page


def test_a_refused_election_shows_the_reason_on_the_form(tree, secretary, login):
    page = body(
        login(secretary).post(
            reverse("orgs:committee_elect", args=[tree["branch_a"].pk]),
            {"elected_on": "2027-01-01", "secretary": "王"},
        )
    )
    assert "选举日期不能晚于今天" in page and not Committee.objects.exists()


def test_a_departure_and_by_election_through_pages(tree, secretary, login, system_actor):
    committee = services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2025, 1, 1),
        members=[{"post": "secretary", "name": "王书记"}],
    )
    holder = committee.members.get()
    client = login(secretary)
    assert (
        client.post(
            reverse("orgs:committee_member_end", args=[holder.pk]),
            {"ended_on": "2026-01-01", "reason": "调动"},
        ).status_code
        == 302
    )
    assert "书记职务空缺" in body(client.get(reverse("orgs:committee", args=[tree["branch_a"].pk])))
    assert (
        client.post(
            reverse("orgs:committee_member_add", args=[committee.pk]),
            {"post": "secretary", "name": "李书记", "started_on": "2026-02-01", "origin": "by_election"},
        ).status_code
        == 302
    )
    assert committee.members.current().get().name == "李书记"


def test_the_term_list_shows_overdue_terms_and_exports(tree, dept_admin, login, system_actor):
    services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2021, 1, 1),
        members=[{"post": "secretary", "name": "王书记"}],
    )
    client = login(dept_admin)
    page = body(client.get(reverse("orgs:terms"), {"status": "overdue"}))
    assert "甲村党支部" in page and "王书记" in page and "乙社区党支部" not in page
    page = body(client.get(reverse("orgs:terms"), {"status": "none"}))
    assert "乙社区党支部" in page and "甲村党支部" not in page
    rows = cells(client.get(reverse("orgs:terms_export")))
    assert rows[[r[0] for r in rows].index("甲村党支部")][:3] == ["甲村党支部", "A2", "党支部"]


# --- groups ---------------------------------------------------------------------------------------------


def test_groups_through_pages(tree, secretary, login):
    client = login(secretary)
    response = client.post(
        reverse("orgs:group_create", args=[tree["branch_a"].pk]), {"name": "第一党小组", "leader_name": "陈"}
    )
    group = Group.objects.get()
    assert response["Location"] == reverse("orgs:group_detail", args=[group.pk])
    client.post(reverse("orgs:group_member_add", args=[group.pk]), {"name": "刘一"})
    page = body(client.get(reverse("orgs:group_detail", args=[group.pk])))
    assert "刘一" in page and "组长:陈" in page
    member = group.members.get()
    client.post(reverse("orgs:group_member_remove", args=[member.pk]))
    assert group.members.get().left_on == TODAY
    assert "第一党小组" in body(client.get(reverse("orgs:detail", args=[tree["branch_a"].pk])))


# --- units ----------------------------------------------------------------------------------------------


def test_units_through_pages_list_and_export(tree, county_admin, login):
    client = login(county_admin)
    response = client.post(
        reverse("orgs:unit_create", args=[tree["town_a"].pk]),
        {
            "name": "甲村小学",
            "credit_code": "91350100M000100Y43",
            "sector": "school",
            "org_code": "A2",
            "headcount": "30",
        },
    )
    unit = Unit.objects.get()
    assert (
        response["Location"] == reverse("orgs:unit_detail", args=[unit.pk]) and unit.org == tree["branch_a"]
    )
    assert "甲村小学" in body(client.get(reverse("orgs:units"), {"covered": "yes"}))
    assert "甲村小学" not in body(client.get(reverse("orgs:units"), {"covered": "no"}))
    rows = cells(client.get(reverse("orgs:units_export")))
    assert rows[0][0] == "单位名称*" and rows[1][:3] == ["甲村小学", "91350100M000100Y43", "学校"]
    client.post(
        reverse("orgs:unit_edit", args=[unit.pk]),
        {
            "name": "甲村小学",
            "credit_code": "91350100M000100Y43",
            "sector": "school",
            "org_code": "",
            "headcount": "30",
        },
    )
    assert Unit.objects.get().org is None


def test_a_bad_credit_code_is_shown_under_its_field(tree, county_admin, login):
    page = body(
        login(county_admin).post(
            reverse("orgs:unit_create", args=[tree["town_a"].pk]),
            {"name": "某厂", "credit_code": "91350100M000100Y44", "sector": "other"},
        )
    )
    assert "校验位不正确" in page and not Unit.objects.exists()


def test_the_unit_list_costs_the_same_few_queries_for_many_rows(tree, county_admin, login, system_actor):
    def queries(n):
        for i in range(n):
            services.create_unit(
                system_actor, responsible_org=tree["town_a"], org=tree["branch_a"], name=f"单位{n}-{i}"
            )
        client = login(county_admin)
        with CaptureQueriesContext(connection) as captured:
            body(client.get(reverse("orgs:units")))
        return len(captured)

    assert queries(2) == queries(8)


# --- pairings: each side sees the pairing, and names only what it may see -------------------------------


@pytest.fixture
def cross_pairing(tree, dept_admin, actor_for):
    pairing = services.create_pairing(
        actor_for(dept_admin),
        scheme="城乡联建",
        orgs=[tree["branch_a"], tree["branch_b"]],
        started_on=date(2026, 1, 1),
    )
    services.add_pairing_activity(actor_for(dept_admin), pairing, held_on=date(2026, 3, 1), title="联合党课")
    return pairing


def test_the_outsider_sees_the_pairing_but_not_the_other_sides_name(tree, cross_pairing, outsider, login):
    client = login(outsider)
    for url in (reverse("orgs:pairings"), reverse("orgs:pairing_detail", args=[cross_pairing.pk])):
        page = body(client.get(url))
        assert "城乡联建" in page and "乙社区党支部" in page
        assert "甲村党支部" not in page and "另有1个党组织" in page
    rows = cells(client.get(reverse("orgs:pairings_export")))
    assert rows[1][1] == "乙社区党支部(另有1个党组织不在您的权限范围内)"


def test_the_department_sees_both_sides_and_either_side_records_activities(
    tree, cross_pairing, dept_admin, outsider, login
):
    page = body(login(dept_admin).get(reverse("orgs:pairing_detail", args=[cross_pairing.pk])))
    assert "甲村党支部" in page and "乙社区党支部" in page and "联合党课" in page
    response = login(outsider).post(
        reverse("orgs:pairing_activity_add", args=[cross_pairing.pk]),
        {"held_on": "2026-06-01", "title": "社区义诊"},
    )
    assert response.status_code == 302 and cross_pairing.activities.count() == 2


def test_creating_a_pairing_through_the_page(tree, dept_admin, outsider, login):
    data = {"scheme": "结对", "org_codes": "A2, B1", "started_on": "2026-01-01"}
    page = body(login(outsider).post(reverse("orgs:pairing_create"), data))
    assert "未找到组织编码为“A2”的党组织" in page and not Pairing.objects.exists()
    assert login(dept_admin).post(reverse("orgs:pairing_create"), data).status_code == 302
    assert sorted(Pairing.objects.get().orgs.values_list("code", flat=True)) == ["A2", "B1"]


# --- places and weak flags ------------------------------------------------------------------------------


def test_places_through_pages(tree, secretary, login):
    client = login(secretary)
    client.post(
        reverse("orgs:place_create", args=[tree["branch_a"].pk]),
        {"kind": "activity_room", "name": "甲村党员活动室", "area": "80.5", "opened_on": "2020-05-01"},
    )
    place = Place.objects.get()
    page = body(client.get(reverse("orgs:places")))
    assert "甲村党员活动室" in page and "党员活动室 1" in page
    client.post(
        reverse("orgs:place_edit", args=[place.pk]),
        {"kind": "activity_room", "name": "甲村党员活动室", "closed_on": "2026-01-01"},
    )
    assert Place.objects.get().closed_on == date(2026, 1, 1)
    assert "甲村党员活动室" not in table(body(client.get(reverse("orgs:places"))), "place-table")
    assert cells(client.get(reverse("orgs:places_export"), {"status": "all"}))[1][0] == "甲村党员活动室"


def test_weak_flags_through_pages(tree, county_admin, secretary, login):
    client = login(county_admin)
    client.post(
        reverse("orgs:weak_create", args=[tree["branch_a"].pk]),
        {"reason": "班子软弱", "flagged_on": "2026-01-05"},
    )
    flag = WeakFlag.objects.get()
    assert login(secretary).get(reverse("orgs:weak_close", args=[flag.pk])).status_code == 200
    page = body(
        login(secretary).post(reverse("orgs:weak_close", args=[flag.pk]), {"closed_on": "2026-06-01"})
    )
    assert "须由其上级党组织办理" in page
    login(secretary).post(
        reverse("orgs:weak_step_add", args=[flag.pk]),
        {"taken_on": "2026-02-01", "description": "选派第一书记"},
    )
    client = login(county_admin)
    client.post(
        reverse("orgs:weak_close", args=[flag.pk]), {"closed_on": "2026-06-01", "closing_note": "验收合格"}
    )
    page = body(client.get(reverse("orgs:weak_detail", args=[flag.pk])))
    assert "选派第一书记" in page and "2026年6月1日 整顿销号" in page
    assert "甲村党支部" in body(client.get(reverse("orgs:weak_flags"), {"status": "closed"}))
    assert AuditEntry.objects.filter(action__startswith="weak_flag").count() == 3
