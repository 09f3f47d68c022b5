"""In a real browser at phone size: the member's hub uses the whole width; the menu opens from the top bar."""

from datetime import date

import pytest
from playwright.sync_api import expect

from dangjian.members import services as member_services
from dangjian.members.rules import check_character
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_hub_takes_the_full_width_of_a_phone(live_server, browser, tree, member_user, system_actor):
    first17 = "44052419850506031"
    member = member_services.create_member(
        system_actor,
        org=tree["branch_a"],
        name="手机党员",
        id_number=first17 + check_character(first17),
        category="full",
        joined_on=date(2010, 7, 1),
        converted_on=date(2011, 7, 1),
    )
    member_services.link_login(system_actor, member_user, member)
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, member_user)
        page.goto(f"{live_server.url}/members/mine/")
        expect(page.locator("#my-record")).to_contain_text("手机党员")
        assert page.locator("main").bounding_box()["width"] >= 340
        assert page.locator("#my-record").bounding_box()["width"] >= 300
        # The side menu is hidden until the toggler opens it.
        menu_link = page.locator("#side-menu").get_by_role("link", name="我的党费")
        expect(menu_link).to_be_hidden()
        page.get_by_role("button", name="菜单").click()
        expect(menu_link).to_be_visible()
        menu_link.click()
        page.wait_for_url(f"{live_server.url}/dues/mine/")
        assert page.locator("main").bounding_box()["width"] >= 340
    finally:
        context.close()
