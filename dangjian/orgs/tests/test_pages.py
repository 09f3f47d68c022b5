"""The org pages: scoped lists and details, the four writes through forms, the tree picker."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Org, OrgEvent, OrgEventKind, OrgStatus

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)


def body(response) -> str:
    return response.content.decode()


def org_form(**overrides):
    data = {"name": "甲村第二党支部", "short_name": "", "kind": "branch", "sector": "village", "code": "A3"}
    data.update(overrides)
    return data


# --- reading --------------------------------------------------------------------------------------------


def test_the_list_shows_the_current_orgs_subtree_only(tree, county_admin, login):
    response = login(county_admin).get(reverse("orgs:list"))
    assert response.status_code == 200
    page = body(response)
    assert "甲县委" in page and "甲镇党委" in page and "甲村党支部" in page
    assert "乙县委" not in page and "测试市委" not in page


def test_the_list_filters_by_kind_and_name(tree, dept_admin, login):
    client = login(dept_admin)
    page = body(client.get(reverse("orgs:list"), {"kind": "branch"}))
    assert "甲村党支部" in page and "乙社区党支部" in page and "甲镇党委" not in page
    page = body(client.get(reverse("orgs:list"), {"q": "乙"}))
    assert "乙县委" in page and "甲县委" not in page


def test_the_list_hides_dissolved_orgs_unless_asked(tree, dept_admin, login, system_actor):
    from dangjian.orgs import services

    services.dissolve_org(system_actor, tree["branch_b"], reason="合并")
    client = login(dept_admin)
    assert "乙社区党支部" not in body(client.get(reverse("orgs:list")))
    assert "乙社区党支部" in body(client.get(reverse("orgs:list"), {"status": "all"}))
    assert "乙社区党支部" in body(client.get(reverse("orgs:list"), {"status": "dissolved"}))


def test_the_list_paginates(tree, county_admin, login, system_actor):
    from dangjian.orgs import services

    for n in range(55):
        services.create_org(
            system_actor, parent=tree["town_a"], name=f"甲镇第{n:02d}党支部", kind="branch", code=f"P{n}"
        )
    client = login(county_admin)
    first = body(client.get(reverse("orgs:list")))
    assert "第 1 / 2 页,共 58 条" in first
    second = body(client.get(reverse("orgs:list"), {"page": 2}))
    assert "甲镇第54党支部" in second and "甲镇第00党支部" not in second


def test_a_list_within_an_org_out_of_scope_is_404(tree, outsider, login):
    response = login(outsider).get(reverse("orgs:list"), {"within": tree["county_a"].pk})
    assert response.status_code == 404


def test_the_detail_shows_the_timeline(tree, county_admin, login, actor_for):
    from dangjian.orgs import services

    services.update_org(
        actor_for(county_admin), tree["town_a"], name="甲镇新党委", document_number="甲组〔2026〕3号"
    )
    page = body(login(county_admin).get(reverse("orgs:detail", args=[tree["town_a"].pk])))
    assert "甲镇党委 → 甲镇新党委" in page
    assert "甲组〔2026〕3号" in page
    assert "2020年1月1日 成立" in page


def test_the_detail_of_an_org_out_of_scope_is_404(tree, outsider, login):
    assert login(outsider).get(reverse("orgs:detail", args=[tree["branch_a"].pk])).status_code == 404


def test_the_breadcrumb_stops_at_the_users_scope(tree, secretary, login):
    page = body(login(secretary).get(reverse("orgs:detail", args=[tree["branch_a"].pk])))
    assert "甲镇党委" not in page and "测试市委" not in page


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditor", "stranger"])
def test_people_without_a_party_role_get_no_org_pages(tree, persona, request, login):
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("orgs:list")).status_code == 403
    assert client.get(reverse("orgs:tree_children")).status_code == 403
    assert client.get(reverse("orgs:detail", args=[tree["city"].pk])).status_code == 403


# --- writing --------------------------------------------------------------------------------------------


@time_machine.travel(TODAY)
def test_a_secretary_of_a_committee_creates_a_child_branch(tree, county_admin, login):
    response = login(county_admin).post(reverse("orgs:create_child", args=[tree["town_a"].pk]), org_form())
    child = Org.objects.get(code="A3")
    assert response.status_code == 302 and response["Location"] == reverse("orgs:detail", args=[child.pk])
    assert child.get_parent() == tree["town_a"]
    assert child.events.get().kind == OrgEventKind.FOUNDED
    entry = AuditEntry.objects.get(action="org.create", object_id=str(child.pk))
    assert entry.via == "page" and entry.actor == county_admin


def test_a_duplicate_code_is_shown_under_its_field_and_nothing_is_saved(tree, county_admin, login):
    before = Org.objects.count()
    url = reverse("orgs:create_child", args=[tree["town_a"].pk])
    response = login(county_admin).post(url, org_form(code="A2"))
    assert response.status_code == 200
    assert "组织编码“A2”已被“甲村党支部”使用" in body(response)
    assert Org.objects.count() == before


def test_a_duplicate_code_out_of_scope_does_not_reveal_its_org(tree, county_admin, login):
    url = reverse("orgs:create_child", args=[tree["town_a"].pk])
    response = login(county_admin).post(url, org_form(code="B1"))
    assert "组织编码“B1”已被使用" in body(response)
    assert "乙社区党支部" not in body(response)


def test_an_empty_name_is_refused_in_chinese(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:create_child", args=[tree["town_a"].pk]), org_form(name="")
    )
    assert response.status_code == 200
    assert "这个字段是必填项" in body(response)
    assert not Org.objects.filter(code="A3").exists()


def test_a_branch_cannot_have_child_orgs(tree, secretary, login):
    response = login(secretary).post(reverse("orgs:create_child", args=[tree["branch_a"].pk]), org_form())
    assert "党支部下不能再设立党组织" in body(response)
    assert not Org.objects.filter(code="A3").exists()


def test_a_member_cannot_create_children(tree, member_user, login):
    # A member sees their own org but holds no changing role: the write page is out of their scope.
    assert login(member_user).get(reverse("orgs:create_child", args=[tree["branch_a"].pk])).status_code == 404


@time_machine.travel(TODAY)
def test_renaming_records_a_renamed_event(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:edit", args=[tree["town_a"].pk]),
        {
            "name": "甲镇新党委",
            "short_name": "",
            "sector": "village",
            "code": "A1",
            "founded_on": "2020-01-01",
            "occurred_on": "2026-11-20",
            "document_number": "甲组〔2026〕9号",
        },
    )
    assert response.status_code == 302
    event = OrgEvent.objects.get(org=tree["town_a"], kind=OrgEventKind.RENAMED)
    assert event.occurred_on == date(2026, 11, 20) and event.details == {
        "from": "甲镇党委",
        "to": "甲镇新党委",
    }


@time_machine.travel(TODAY)
def test_a_change_dated_tomorrow_is_refused(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:edit", args=[tree["town_a"].pk]),
        {"name": "甲镇新党委", "sector": "village", "code": "A1", "occurred_on": "2026-11-27"},
    )
    assert "发生日期不能晚于今天" in body(response)
    assert Org.objects.get(pk=tree["town_a"].pk).name == "甲镇党委"


@time_machine.travel(TODAY)
def test_a_change_dated_today_is_accepted(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:edit", args=[tree["town_a"].pk]),
        {"name": "甲镇新党委", "sector": "village", "code": "A1", "occurred_on": "2026-11-26"},
    )
    assert response.status_code == 302
    assert Org.objects.get(pk=tree["town_a"].pk).name == "甲镇新党委"


def test_the_department_moves_a_subtree_between_counties(tree, dept_admin, login):
    response = login(dept_admin).post(
        reverse("orgs:move", args=[tree["town_a"].pk]), {"new_parent_code": "B0"}
    )
    assert response.status_code == 302
    town = Org.objects.get(pk=tree["town_a"].pk)
    assert town.get_parent() == tree["county_b"]
    assert Org.objects.get(pk=tree["branch_a"].pk).path.startswith(town.path)
    assert OrgEvent.objects.get(org=town, kind=OrgEventKind.MOVED).details["to"] == "乙县委"


def test_a_county_cannot_move_its_org_into_another_county(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:move", args=[tree["town_a"].pk]), {"new_parent_code": "B0"}
    )
    assert "未找到组织编码为“B0”的党组织,或您无权在其下调整" in body(response)
    assert Org.objects.get(pk=tree["town_a"].pk).get_parent() == tree["county_a"]


def test_a_branch_secretary_cannot_move_their_own_branch(tree, secretary, login, system_actor):
    from dangjian.orgs import services

    other = services.create_org(
        system_actor, parent=tree["county_a"], name="甲县另一党委", kind="committee", code="A9"
    )
    response = login(secretary).post(
        reverse("orgs:move", args=[tree["branch_a"].pk]), {"new_parent_code": other.code}
    )
    # The secretary holds no org above their branch: the new parent is not theirs, and the move is refused.
    assert response.status_code == 200
    assert Org.objects.get(pk=tree["branch_a"].pk).get_parent() == tree["town_a"]


def test_a_branch_secretary_cannot_move_an_org_into_their_branch(tree, secretary, outsider, login):
    response = login(outsider).post(
        reverse("orgs:move", args=[tree["branch_b"].pk]), {"new_parent_code": "A2"}
    )
    assert response.status_code == 200
    assert Org.objects.get(pk=tree["branch_b"].pk).get_parent() == tree["county_b"]


def test_dissolving_is_refused_while_children_remain(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:dissolve", args=[tree["town_a"].pk]), {"reason": "撤并", "confirm": "on"}
    )
    assert "下还有1个未撤销的党组织" in body(response)
    assert Org.objects.get(pk=tree["town_a"].pk).status == OrgStatus.ACTIVE


@time_machine.travel(TODAY)
def test_dissolving_a_branch_keeps_it_with_its_date(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:dissolve", args=[tree["branch_a"].pk]),
        {"reason": "村改居", "confirm": "on", "document_number": "甲组〔2026〕11号"},
    )
    assert response.status_code == 302
    branch = Org.objects.get(pk=tree["branch_a"].pk)
    assert branch.status == OrgStatus.DISSOLVED and branch.dissolved_on == TODAY
    assert branch.events.get(kind=OrgEventKind.DISSOLVED).note == "村改居"


def test_dissolving_needs_the_confirmation(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:dissolve", args=[tree["branch_a"].pk]), {"reason": "村改居"}
    )
    assert response.status_code == 200
    assert Org.objects.get(pk=tree["branch_a"].pk).status == OrgStatus.ACTIVE


# --- the tree picker ------------------------------------------------------------------------------------


def test_the_picker_starts_at_the_users_top_org_and_loads_children_lazily(tree, county_admin, login):
    client = login(county_admin)
    top = body(client.get(reverse("orgs:tree_children")))
    assert "甲县委" in top and "甲镇党委" not in top
    level = body(client.get(reverse("orgs:tree_children"), {"parent": tree["county_a"].pk}))
    assert "甲镇党委" in level and "甲村党支部" not in level


def test_the_picker_will_not_open_an_org_out_of_scope(tree, outsider, login):
    response = login(outsider).get(reverse("orgs:tree_children"), {"parent": tree["county_a"].pk})
    assert response.status_code == 404


def test_the_picker_search_finds_only_orgs_in_scope(tree, outsider, login):
    client = login(outsider)
    assert "乙社区党支部" in body(client.get(reverse("orgs:tree_children"), {"q": "支部"}))
    assert "甲村党支部" not in body(client.get(reverse("orgs:tree_children"), {"q": "甲"}))


def test_picking_an_org_makes_it_current(tree, county_admin, login):
    client = login(county_admin)
    response = client.post(reverse("orgs:set_current", args=[tree["town_a"].pk]), {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    page = body(client.get(reverse("orgs:list")))
    assert "甲镇党委 · 党组织" in page and "甲县委" not in page.split("<main")[1]


def test_picking_an_org_out_of_scope_is_404_and_changes_nothing(tree, outsider, login):
    client = login(outsider)
    assert client.post(reverse("orgs:set_current", args=[tree["county_a"].pk])).status_code == 404
    assert "乙社区党支部 · 党组织" in body(client.get(reverse("orgs:list")))


def test_picking_ignores_a_next_address_on_another_site(tree, county_admin, login):
    response = login(county_admin).post(
        reverse("orgs:set_current", args=[tree["town_a"].pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("orgs:list")


def test_org_options_for_the_security_admin_name_any_active_org(tree, secadmin, login):
    page = body(login(secadmin).get(reverse("orgs:select"), {"q": "县委"}))
    assert '<option value="A0">甲县委</option>' in page and '<option value="B0">乙县委</option>' in page


def test_org_options_for_a_secretary_stay_in_scope(tree, outsider, login):
    page = body(login(outsider).get(reverse("orgs:select"), {"q": "支部"}))
    assert "乙社区党支部" in page and "甲村党支部" not in page


# --- the workbench and the menu -------------------------------------------------------------------------


def test_the_workbench_counts_the_current_subtree(tree, county_admin, login):
    page = body(login(county_admin).get(reverse("core:home")))
    assert "甲县委" in page
    figures = page.split('id="figures"')[1].split("</div>\n</div>")[0]
    assert '<div class="figure-number">3</div>' in figures  # 甲县委, 甲镇党委, 甲村党支部


def test_the_menu_shows_only_what_the_user_may_open(tree, secretary, auditor, login, client):
    page = body(login(secretary).get(reverse("core:home")))
    assert "组织列表" in page and "审计日志" not in page and "用户管理" not in page
    client.force_login(auditor)
    page = body(client.get(reverse("core:home")))
    assert "审计日志" in page and "组织列表" not in page


def test_a_person_without_roles_is_told_whom_to_ask(stranger, login):
    assert "请联系本单位的安全管理员" in body(login(stranger).get(reverse("core:home")))


def test_pages_need_a_login(tree, client):
    response = client.get(reverse("orgs:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_the_list_sorts_by_code_when_asked(tree, dept_admin, login):
    page = body(login(dept_admin).get(reverse("orgs:list"), {"sort": "code"}))
    codes = [code for code in ("A0", "A1", "A2", "B0", "B1", "C0") if f"<code>{code}</code>" in page]
    positions = [page.index(f"<code>{code}</code>") for code in codes]
    assert positions == sorted(positions) and len(codes) == 6
