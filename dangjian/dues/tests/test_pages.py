"""The dues pages: what a secretary and the organization department see and do, and what stays hidden."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.dues import services
from dangjian.dues.models import Allocation, DuesBase, DuesBill, DuesPayment, Remittance

D = Decimal


@pytest.fixture
def billed(tree, make_member, system_actor):
    a = make_member(tree["branch_a"], base="4000", name="甲村王五")
    b = make_member(tree["branch_b"], base="4000", name="乙社区赵六")
    for month in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        services.bill_month(system_actor, None, month)
    services.record_payment(system_actor, a, first_month="2026-07", last_month="2026-08")
    return a, b


def test_the_secretary_sees_the_branch_s_bills_and_not_others(
    billed, secretary, login, django_assert_max_num_queries
):
    client = login(secretary)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("dues:bills"))
    text = page.content.decode()
    assert page.status_code == 200 and "甲村王五" in text and "乙社区赵六" not in text
    unpaid = client.get(reverse("dues:bills"), {"status": "unpaid", "month": "2026-08"}).content.decode()
    assert "甲村王五" not in unpaid


def test_the_bill_list_exports_to_excel(billed, secretary, login):
    response = login(secretary).get(reverse("dues:bills"), {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")


def test_the_secretary_runs_billing_for_the_branch(tree, make_member, secretary, login):
    member = make_member(tree["branch_a"])
    client = login(secretary)
    response = client.post(reverse("dues:bill_run"), {"month": "2026-11"})
    assert response.status_code == 302
    assert DuesBill.objects.filter(member=member).count() == 1
    client.post(reverse("dues:bill_run"), {"month": "2026-11"})
    assert DuesBill.objects.filter(member=member).count() == 1


def test_a_member_only_sees_no_run_button_and_cannot_bill(tree, member_user, login):
    client = login(member_user)
    assert client.get(reverse("dues:bill_run")).status_code == 403


def test_the_secretary_records_a_payment_and_sees_the_rule_when_refused(billed, secretary, login):
    a, _ = billed
    client = login(secretary)
    response = client.post(
        reverse("dues:payment_create", args=[a.pk]),
        {"first_month": "2026-09", "last_month": "2026-11", "method": "cash"},
    )
    assert response.status_code == 302
    assert DuesPayment.objects.filter(member=a).count() == 2
    again = client.post(
        reverse("dues:payment_create", args=[a.pk]), {"first_month": "2026-11", "method": "cash"}
    )
    assert again.status_code == 200 and "已交纳" in again.content.decode()


def test_the_secretary_declares_a_base(tree, make_member, secretary, login):
    member = make_member(tree["branch_a"], base=None)
    response = login(secretary).post(
        reverse("dues:base_create", args=[member.pk]),
        {"member_type": "retired", "effective_month": "2026-11", "base": "5000.01", "relief": "none"},
    )
    assert response.status_code == 302
    assert DuesBase.objects.get(member=member).base == D("5000.01")


def test_arrears_list_shows_three_months_and_the_rule(billed, secretary, dept_admin, login, outsider):
    text = login(secretary).get(reverse("dues:arrears")).content.decode()
    assert "甲村王五" in text and "连续3个月未交纳党费" in text
    city = login(dept_admin).get(reverse("dues:arrears")).content.decode()
    assert "甲村王五" in city and "乙社区赵六" in city and "连续5个月" in city
    assert "甲村王五" not in login(outsider).get(reverse("dues:arrears")).content.decode()


def test_the_report_sums_the_subtree_and_links_to_the_bills(billed, tree, dept_admin, login):
    client = login(dept_admin)
    page = client.get(reverse("dues:report"), {"year": 2026})
    text = page.content.decode()
    assert "甲县委" in text and "乙县委" in text
    rows = {r.org.pk: r for r in page.context["rows"]}
    assert rows[tree["city"].pk].billed == D("400.00") and rows[tree["city"].pk].paid == D("80.00")
    assert rows[tree["county_a"].pk].rate == D("40.0")
    unpaid = f"/reports/indicators/dues.unpaid_amount/?org={tree['county_a'].pk}&amp;from=2026-01-01&amp;to=2026-12-31"
    assert unpaid in text
    export = client.get(reverse("dues:report"), {"year": 2026, "month": 11, "format": "xlsx"})
    assert export.status_code == 200


def test_the_member_dues_page_and_bases_list(billed, secretary, login):
    a, _ = billed
    client = login(secretary)
    text = client.get(reverse("dues:member", args=[a.pk])).content.decode()
    assert "4000.00" in text and "未交" in text
    assert "甲村王五" in client.get(reverse("dues:bases")).content.decode()


def test_the_ledger_pages_remit_and_allocate(billed, tree, secretary, county_admin, login):
    client = login(secretary)
    response = client.post(reverse("dues:remit"), {"amount": "80.00", "period": "2026年三季度"})
    assert response.status_code == 302 and Remittance.objects.get().to_org == tree["town_a"]
    refused = client.post(reverse("dues:remit"), {"amount": "0.01"})
    assert "不足" in refused.content.decode()
    town = login(county_admin)
    town.post(f"{reverse('dues:remit')}?within={tree['town_a'].pk}", {"amount": "80.00"})
    response = town.post(
        reverse("dues:allocate"), {"to_org_code": "A2", "amount": "50", "purpose": "修缮党群服务中心"}
    )
    assert response.status_code == 302 and Allocation.objects.get().to_org == tree["branch_a"]
    text = town.get(f"{reverse('dues:ledger')}?within={tree['branch_a'].pk}").content.decode()
    assert "修缮党群服务中心" in text


def test_pages_hide_other_subtrees(billed, outsider, login):
    a, _ = billed
    client = login(outsider)
    assert client.get(reverse("dues:member", args=[a.pk])).status_code == 404
    assert client.get(reverse("dues:payment_create", args=[a.pk])).status_code == 404
    assert "甲村王五" not in client.get(reverse("dues:bills")).content.decode()
    assert client.get(reverse("dues:bills"), {"within": a.org_id}).status_code == 404
    assert client.get(reverse("dues:report"), {"within": a.org_id}).status_code == 404


def test_people_without_a_party_role_see_nothing(stranger, login):
    assert login(stranger).get(reverse("dues:bills")).status_code == 403


def test_the_menu_has_a_dues_section(secretary, login):
    assert "党费管理" in login(secretary).get(reverse("dues:bills")).content.decode()
