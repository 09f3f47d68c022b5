"""The member's own page (我的): their record in brief and the links to their meetings, dues and case."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from dangjian.members import services
from dangjian.recruitment import services as recruitment_services

ZONE = ZoneInfo("Asia/Shanghai")


def test_the_member_sees_their_record_in_brief(tree, make_member, member_user, system_actor, login):
    member = make_member(tree["branch_a"], name="甲村本人", sequence=7)
    services.link_login(system_actor, member_user, member)
    page = login(member_user).get("/members/mine/").content.decode()
    assert "甲村本人" in page and "甲村党支部" in page and "正式党员" in page
    assert member.id_number_masked in page
    assert services.reveal_member(system_actor, member, ["id_number"])["id_number"] not in page
    assert "/activities/m/" in page and "/dues/mine/" in page
    assert "我的发展纪实" not in page


def test_party_standing_counts_from_the_conversion_date(tree, make_member, member_user, system_actor, login):
    member = make_member(tree["branch_a"], converted_on=date(2011, 7, 1))
    services.link_login(system_actor, member_user, member)
    # Logged in inside each frozen day: a jump of months would end the session by its idle timeout.
    with time_machine.travel(datetime(2026, 6, 30, 9, tzinfo=ZONE), tick=False):
        assert "14年" in login(member_user).get("/members/mine/").content.decode()
    with time_machine.travel(datetime(2026, 7, 1, 9, tzinfo=ZONE), tick=False):
        assert "15年" in login(member_user).get("/members/mine/").content.decode()


def test_an_applicant_sees_their_development_case(tree, make_member, member_user, system_actor, login):
    applicant = make_member(
        tree["branch_a"],
        category="applicant",
        birth_date=date(1998, 2, 3),
        applied_on=None,
        joined_on=None,
        converted_on=None,
    )
    case = recruitment_services.open_case(system_actor, applicant, applied_on=date(2026, 2, 20))
    services.link_login(system_actor, member_user, applicant)
    page = login(member_user).get("/members/mine/").content.decode()
    assert "我的发展纪实" in page and f"/recruitment/{case.pk}/" in page
    assert "尚未转正" in page


def test_a_login_without_a_member_record_is_told_so(tree, member_user, stranger, login):
    for user in (member_user, stranger):
        response = login(user).get("/members/mine/")
        assert response.status_code == 200
        assert "尚未关联党员档案" in response.content.decode()


def test_the_menu_shows_the_hub_only_to_linked_logins(tree, make_member, member_user, system_actor, login):
    client = login(member_user)
    assert "/members/mine/" not in client.get("/").content.decode()
    services.link_login(system_actor, member_user, make_member(tree["branch_a"]))
    assert "/members/mine/" in client.get("/").content.decode()
