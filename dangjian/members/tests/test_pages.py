"""Member pages: lists and search, the record with its timeline, unmasking, the writes, ledgers, reminders."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.core.tests.walking import text_of
from dangjian.members import services
from dangjian.members.models import Member, MemberTag

from .conftest import id_number


@pytest.fixture
def people(tree, make_member, system_actor):
    branch = tree["branch_a"]
    veteran = MemberTag.objects.get(code="veteran")
    return {
        "zhang": make_member(
            branch,
            name="张三丰",
            birth_date=date(1940, 3, 3),
            joined_on=date(1965, 7, 1),
            converted_on=date(1966, 7, 1),
            tags=[veteran],
            phone="13911112222",
        ),
        "li": make_member(
            branch,
            name="李四",
            birth_date=date(1995, 1, 2),
            joined_on=date(2020, 7, 1),
            converted_on=date(2021, 7, 1),
            education="postgraduate",
        ),
        "wang": make_member(
            branch,
            name="王五",
            category="applicant",
            joined_on=None,
            converted_on=None,
            birth_date=date(2000, 4, 4),
            applied_on=date(2025, 1, 1),
        ),
        "zhao": make_member(tree["branch_b"], name="赵六"),
    }


def names(response) -> list[str]:
    return [m.name for m in response.context["page_obj"]]


def test_the_list_shows_the_subtree_masked_and_filters(people, login, county_admin, tree):
    client = login(county_admin)
    response = client.get(reverse("members:list"))
    assert response.status_code == 200
    assert sorted(names(response)) == ["张三丰", "李四", "王五"]
    body = response.content.decode()
    assert people["zhang"].id_number_masked in body and "139****2222" in body
    assert "13911112222" not in body and id_number(date(1940, 3, 3), 1) not in body
    url = reverse("members:list")
    assert names(client.get(url, {"q": "zsf"})) == ["张三丰"]
    assert names(client.get(url, {"q": "李"})) == ["李四"]
    assert names(client.get(url, {"category": "applicant"})) == ["王五"]
    assert names(client.get(url, {"tag": "veteran"})) == ["张三丰"]
    assert names(client.get(url, {"education": "postgraduate"})) == ["李四"]
    assert names(client.get(url, {"age_band": 0})) == ["王五"]  # 26 on 31 December 2026
    assert names(client.get(url, {"age_band": 1})) == ["李四"]  # 31
    assert names(client.get(url, {"age_band": 7})) == ["张三丰"]
    assert names(client.get(url, {"joined_from": "2019-01-01", "joined_to": "2021-01-01"})) == ["李四"]
    assert names(client.get(url, {"sort": "-joined_on"}))[:2] == ["李四", "张三丰"]
    full = id_number(date(1995, 1, 2), 3)
    li = Member.objects.get(name="李四")
    assert li.id_number_masked[-4:] == full[-4:]
    assert names(client.get(url, {"id_number": full.lower()})) == ["李四"]


def test_the_list_costs_the_same_queries_for_many_rows(tree, make_member, login, county_admin):
    client = login(county_admin)
    make_member(tree["branch_a"], name="甲")
    client.get(reverse("members:list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("members:list"))
    for i in range(12):
        make_member(tree["branch_a"], name=f"乙{i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("members:list"))
    assert len(response.context["page_obj"]) == 13
    assert len(many) == len(one)


def test_the_detail_shows_the_record_masked_with_its_timeline(people, login, secretary, actor_for):
    zhang = people["zhang"]
    services.record_event(
        actor_for(secretary),
        zhang,
        "commended",
        occurred_on=date(2025, 7, 1),
        details={"title": "光荣在党50年"},
    )
    response = login(secretary).get(reverse("members:detail", args=[zhang.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "光荣在党50年" in body and "建立档案" in body and "老党员" in body
    assert "139****2222" in body and "13911112222" not in body
    assert "显示完整信息" not in body  # a secretary does not hold the unmask permission


def test_unmasking_on_the_page_is_a_post_that_is_audited(people, login, county_admin, secretary):
    zhang = people["zhang"]
    url = reverse("members:reveal", args=[zhang.pk])
    assert login(county_admin).get(url).status_code == 405
    response = login(county_admin).post(url, {"purpose": "核对"})
    assert "13911112222" in response.content.decode() and response["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action="member.unmask", actor_name="county_admin").count() == 1
    refused = login(secretary).post(url, follow=True)
    assert (
        "13911112222" not in refused.content.decode()
        and "没有查看完整个人信息的权限" in refused.content.decode()
    )
    assert AuditEntry.objects.filter(action="member.unmask").count() == 1


def test_a_secretary_creates_a_record_and_sees_the_refusals_on_the_form(tree, login, secretary, frozen_today):
    client = login(secretary)
    data = {
        "name": "新党员",
        "id_number": id_number(date(1990, 2, 2), 9),
        "org_code": "A2",
        "category": "full",
        "status": "normal",
        "ethnicity": "汉族",
        "joined_on": "2015-07-01",
        "converted_on": "2015-08-01",
    }
    response = client.post(reverse("members:create"), data)
    assert response.status_code == 200 and "预备期未满" in response.content.decode()
    data["converted_on"] = "2016-07-01"
    response = client.post(reverse("members:create"), data)
    member = Member.objects.get(name="新党员")
    assert response.status_code == 302 and member.org == tree["branch_a"] and member.sex == "male"
    data.update(org_code="B1", id_number=id_number(date(1990, 2, 2), 11))
    response = client.post(reverse("members:create"), data)
    assert "无权在其中登记" in response.content.decode()


def test_the_edit_page_changes_particulars_and_records_a_change_event(people, login, secretary):
    li = people["li"]
    response = login(secretary).post(
        reverse("members:edit", args=[li.pk]),
        {
            "name": "李四",
            "ethnicity": "回族",
            "phone": "13600001111",
            "address": "",
            "id_number": "",
            "education": "postgraduate",
            "occupation": "professional",
        },
    )
    assert response.status_code == 302
    li.refresh_from_db()
    assert li.ethnicity == "回族" and li.phone_masked == "136****1111"
    assert li.events.get(kind="changed").details["fields"] == ["民族", "联系电话"]


def test_events_are_recorded_on_the_event_page(people, login, secretary):
    li = people["li"]
    url = reverse("members:event", args=[li.pk])
    response = login(secretary).post(
        url, {"kind": "moved_away", "occurred_on": "2026-01-05", "destination": "广州", "fixed_place": "on"}
    )
    assert response.status_code == 302
    li.refresh_from_db()
    assert li.status == "mobile"
    response = login(secretary).post(url, {"kind": "exited", "occurred_on": "2026-01-06"})
    assert "请选择出党方式" in response.content.decode()


def test_members_cannot_write_and_outsiders_get_404(people, login, member_user, outsider):
    li = people["li"]
    assert login(member_user).get(reverse("members:detail", args=[li.pk])).status_code == 200
    assert login(member_user).get(reverse("members:event", args=[li.pk])).status_code == 404
    assert login(outsider).get(reverse("members:detail", args=[li.pk])).status_code == 404


def test_a_transfer_through_the_pages(people, login, secretary, outsider, tree):
    li = people["li"]
    response = login(secretary).post(
        reverse("members:transfer", args=[li.pk]),
        {"to_org_code": "B1", "letter_number": "甲转9号", "dues_paid_until": "2026-02-01"},
    )
    assert response.status_code == 302
    incoming = login(outsider).get(reverse("members:transfers"))
    assert "李四" in incoming.content.decode() and "甲转9号" in incoming.content.decode()
    transfer = li.transfers.get()
    response = login(outsider).post(reverse("members:transfer_accept", args=[transfer.pk]))
    assert response.status_code == 302
    li.refresh_from_db()
    assert li.org == tree["branch_b"]
    assert login(secretary).get(reverse("members:detail", args=[li.pk])).status_code == 404
    history = login(secretary).get(reverse("members:events"))
    assert "组织关系转出" in history.content.decode() and "李四" in history.content.decode()


def test_care_contacts_ledgers_and_reminders(people, login, secretary, county_admin, actor_for, frozen_today):
    zhang, li = people["zhang"], people["li"]
    client = login(secretary)
    response = client.post(
        reverse("members:care", args=[zhang.pk]),
        {
            "kind": "visit",
            "occurred_on": "2026-01-20",
            "given_by": "支部书记",
            "content": "春节慰问",
            "amount": "500",
        },
    )
    assert response.status_code == 302
    assert "500.00 元" in client.get(reverse("members:detail", args=[zhang.pk])).content.decode()
    services.record_event(
        actor_for(secretary), li, "moved_away", occurred_on=date(2025, 8, 1), details={"destination": "深圳"}
    )
    assert (
        client.post(reverse("members:contact", args=[li.pk]), {"note": "电话联系,一切正常"}).status_code
        == 302
    )
    ledgers = login(county_admin).get(reverse("members:ledgers"))
    assert dict((tag.code, n) for tag, n in ledgers.context["ledgers"])["veteran"] == 1
    reminders = client.get(reverse("members:reminders")).context["reminders"]
    assert [r.finding.rule_id for r in reminders] == ["member.mobile_should_transfer"]


def test_the_export_is_masked_unless_an_unmasking_user_asks(people, login, county_admin, secretary):
    response = login(secretary).get(reverse("members_io:export"))
    text = text_of(response)
    assert "张三丰" in text and "13911112222" not in text and people["zhang"].id_number_masked in text
    assert login(secretary).get(reverse("members_io:export") + "?unmask=1").status_code == 403
    response = login(county_admin).get(reverse("members_io:export") + "?unmask=1&tag=veteran")
    text = text_of(response)
    assert "13911112222" in text and "李四" not in text
    entry = AuditEntry.objects.get(action="member.export_unmasked")
    assert entry.after["rows"] == 1 and entry.actor_name == "county_admin"
