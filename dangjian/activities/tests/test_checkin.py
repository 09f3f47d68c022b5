"""QR check-in: the code, the signed token, the window, and the member's phone page."""

from datetime import date, datetime, time

import pytest
import time_machine

from dangjian.activities import services
from dangjian.activities.models import Attendance
from dangjian.activities.tests.conftest import ZONE
from dangjian.members import services as member_services
from dangjian.members.models import MemberLogin


@pytest.fixture
def linked(frozen_today, tree, branch_members, member_user, system_actor):
    member_services.link_login(system_actor, member_user, branch_members[0])
    return branch_members[0]


@pytest.fixture
def meeting(frozen_today, tree, linked, system_actor):
    return services.record_activity(
        system_actor,
        org=tree["branch_a"],
        kind="theme_day",
        held_on=date(2025, 10, 20),
        starts_at=time(14, 30),
        ends_at=time(16, 30),
        topic="主题党日",
        status="planned",
    )


@pytest.mark.parametrize(
    "moment, allowed",
    [
        (datetime(2025, 10, 20, 13, 59, tzinfo=ZONE), False),  # 31 minutes early
        (datetime(2025, 10, 20, 14, 0, tzinfo=ZONE), True),  # the window opens 30 minutes before
        (datetime(2025, 10, 20, 17, 0, tzinfo=ZONE), True),  # and closes 30 minutes after the end
        (datetime(2025, 10, 20, 17, 1, tzinfo=ZONE), False),
        (datetime(2025, 10, 21, 15, 0, tzinfo=ZONE), False),
    ],
)
def test_check_in_only_within_the_window(meeting, linked, member_user, login, moment, allowed):
    token = services.checkin_token(meeting)
    with time_machine.travel(moment, tick=False):
        client = login(member_user)
        assert client.get(f"/activities/checkin/{token}/").status_code == 200
        response = client.post(f"/activities/checkin/{token}/")
    row = Attendance.objects.get(activity=meeting, member=linked)
    if allowed:
        assert response.status_code == 302 and row.status == "present" and row.method == "qr"
        meeting.refresh_from_db()
        assert meeting.status == "held"
    else:
        assert response.status_code == 200 and "不在签到时间内" in response.content.decode()
        assert row.status == "expected"


def test_a_forged_token_or_a_stranger_finds_nothing(meeting, member_user, stranger, login):
    assert login(member_user).get("/activities/checkin/not-a-token/").status_code == 404
    token = services.checkin_token(meeting)
    assert login(stranger).get(f"/activities/checkin/{token}/").status_code == 404


def test_the_qr_code_is_an_svg_made_on_the_server(meeting, secretary, login):
    response = login(secretary).get(f"/activities/{meeting.pk}/qr.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


def test_the_phone_page_lists_upcoming_activities_and_hours(meeting, member_user, login):
    page = login(member_user).get("/activities/m/").content.decode()
    assert "主题党日" in page and "2025年10月20日" in page and "/ 32" in page


def test_the_phone_page_without_a_linked_record(frozen_today, tree, member_user, login):
    assert not MemberLogin.objects.exists()
    assert "尚未关联党员档案" in login(member_user).get("/activities/m/").content.decode()
