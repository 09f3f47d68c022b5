"""In a real browser: the dashboard shows the other apps' headline figures (development, activities, dues)
with the page, from their roll-ups."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from dangjian.activities import services as activity_services
from dangjian.activities.defaults import seed_defaults
from dangjian.activities.models import ActivityKind, ComplianceRule
from dangjian.members import services as member_services
from dangjian.members.rules import check_character
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_shows_the_work_figures(live_server, page, tree, dept_admin, system_actor):
    # Browser tests run on a flushed database: put back the code tables migration 0002 fills.
    seed_defaults(ActivityKind, ComplianceRule)
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        first17 = "44052419800506011"
        member = member_services.create_member(
            system_actor,
            org=tree["branch_a"],
            name="赵一",
            id_number=first17 + check_character(first17),
            category="full",
            joined_on=date(2010, 7, 1),
            converted_on=date(2011, 7, 1),
        )
        meeting = activity_services.record_activity(
            system_actor, org=tree["branch_a"], kind="theme_day", held_on=date(2026, 3, 1), topic="主题党日"
        )
        activity_services.mark_attendance(system_actor, meeting, {member.pk: "present"})
        log_in(page, live_server, dept_admin)
        page.goto(f"{live_server.url}/reports/dashboard/?org={tree['city'].pk}")
        expect(page.locator('[data-work="activities.held"]')).to_have_text("1")
        expect(page.locator('[data-work="activities.present"]')).to_have_text("1")
        expect(page.locator("#work-headline")).not_to_contain_text("统计中")
