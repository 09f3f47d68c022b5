"""In a real browser: a branch secretary records a general meeting and marks who attended."""

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.activities.defaults import seed_defaults
from dangjian.activities.models import Activity, ActivityKind, ComplianceRule
from dangjian.members import services as member_services
from dangjian.members.rules import check_character
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def id_number(sequence: int) -> str:
    first17 = f"44052419800506{sequence:03d}"
    return first17 + check_character(first17)


def test_a_secretary_records_a_general_meeting_with_attendance(
    live_server, page, tree, secretary, system_actor
):
    # Browser tests run on a flushed database: put back the code tables migration 0002 fills.
    seed_defaults(ActivityKind, ComplianceRule)
    branch = tree["branch_a"]
    names = ["赵一", "钱二", "孙三"]
    for number, name in enumerate(names, start=1):
        member_services.create_member(
            system_actor,
            org=branch,
            name=name,
            id_number=id_number(number),
            category="full",
            joined_on=date(2010, 7, 1),
            converted_on=date(2011, 7, 1),
        )
    log_in(page, live_server, secretary)

    page.get_by_role("link", name="活动记录").click()
    page.get_by_role("link", name="登记组织生活").click()
    page.get_by_label("活动类型").select_option(label="支部党员大会")
    page.get_by_label("日期").fill(timezone.localdate().isoformat())
    page.get_by_label("主题").fill("学习贯彻全会精神")
    page.get_by_label("第一议题").fill("学习习近平总书记重要讲话精神")
    page.get_by_label("主持人").fill("书记")
    page.get_by_role("button", name="保存").click()

    expect(page.locator("main")).to_contain_text("已登记“支部党员大会:学习贯彻全会精神”")
    expect(page.locator("#agenda")).to_contain_text("第一议题")
    expect(page.locator("#attendance-counts")).to_contain_text("应到 3 人")
    expect(page.locator("#quorum")).to_contain_text("到会人数未过半")

    page.get_by_label("赵一的出勤").select_option(label="实到")
    page.get_by_label("钱二的出勤").select_option(label="实到")
    page.get_by_label("孙三的出勤").select_option(label="请假")
    page.get_by_label("孙三的请假事由").fill("外出务工")
    page.get_by_role("button", name="保存出勤").click()

    expect(page.locator("main")).to_contain_text("已保存出勤:应到3人,实到2人,请假1人。")
    expect(page.locator("#quorum")).to_contain_text("到会人数过半")
    activity = Activity.objects.get()
    assert activity.quorum is True
    assert sorted(activity.attendance.filter(status="present").values_list("member__name", flat=True)) == [
        "赵一",
        "钱二",
    ]
