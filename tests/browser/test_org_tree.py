"""In a real browser: log in, pick an org in the tree, create a child branch, see it in the list."""

import pytest
from playwright.sync_api import expect

from dangjian.orgs.models import Org
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_county_admin_picks_a_town_and_creates_a_branch(live_server, page, tree, county_admin):
    log_in(page, live_server, county_admin)

    # The tree picker: open it, expand the county (children load lazily), pick the town.
    page.locator("#current-org-button").click()
    page.get_by_role("button", name="展开甲县委").click()
    page.locator("#org-tree").get_by_role("button", name="甲镇党委", exact=True).click()
    # Picking returns to the page the picker was opened on, now with the town as the current org.
    expect(page.locator("#current-org-button")).to_contain_text("甲镇党委")
    page.get_by_role("link", name="组织列表").click()
    expect(page.locator("h1")).to_have_text("甲镇党委 · 党组织")

    page.get_by_role("link", name="设立下级党组织").click()
    page.get_by_label("名称").first.fill("甲镇第二村党支部")
    page.get_by_label("类别").select_option(label="党支部")
    page.get_by_label("领域").select_option(label="农村")
    page.get_by_label("组织编码").fill("A5")
    page.get_by_role("button", name="设立").click()
    page.wait_for_url(f"{live_server.url}/orgs/*/")
    expect(page.locator("main")).to_contain_text("已在“甲镇党委”下设立“甲镇第二村党支部”")

    page.get_by_role("link", name="组织列表").click()
    expect(page.locator("#org-table").get_by_role("link", name="甲镇第二村党支部")).to_be_visible()
    assert Org.objects.get(code="A5").get_parent().pk == tree["town_a"].pk
