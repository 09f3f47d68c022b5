"""In a real browser: a branch secretary sees the term is overdue and records the re-election."""

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.orgs import services
from dangjian.orgs.models import Committee
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_secretary_re_elects_the_branch_committee(live_server, page, tree, secretary, system_actor):
    branch = tree["branch_a"]
    services.elect_committee(
        system_actor,
        branch,
        elected_on=date(2020, 5, 1),  # a three-year village term then: long overdue
        number=4,
        members=[{"post": "secretary", "name": "老书记"}, {"post": "organization_member", "name": "老委员"}],
    )
    log_in(page, live_server, secretary)

    page.get_by_role("link", name="组织建设提醒").click()
    expect(page.locator("#finding-table")).to_contain_text("班子任期已于2023年5月1日届满")
    page.locator("#finding-table").get_by_role("link", name="甲村党支部").first.click()
    page.get_by_role("link", name="班子与任期 ›").click()
    expect(page.locator("#holders")).to_contain_text("老书记")

    page.get_by_role("link", name="换届选举").click()
    page.get_by_label("选举日期").fill(timezone.localdate().isoformat())
    page.get_by_label("书记", exact=True).fill("新书记")
    page.get_by_label("组织委员").fill("新组织委员")
    page.get_by_label("其他委员").fill("委员甲、委员乙")
    page.get_by_label("文号").fill("甲镇党〔2026〕8号")
    page.get_by_role("button", name="登记选举结果").click()

    expect(page.locator("main")).to_contain_text("已登记“甲村党支部”的换届选举")
    expect(page.locator("#current-term")).to_contain_text("第5届")
    expect(page.locator("#holders")).to_contain_text("新书记")
    expect(page.locator("#holders")).not_to_contain_text("老书记")
    expect(page.locator("#history")).to_contain_text("第4届")
    current = Committee.objects.current().get(org=branch)
    assert sorted(current.members.values_list("name", flat=True)) == [
        "委员乙",
        "委员甲",
        "新书记",
        "新组织委员",
    ]
