"""/api/v1/dues: bases, bills, payments, arrears, figures, remittance, allocation and the ledger."""

import pytest

from dangjian.accounts import services as account_services
from dangjian.dues import services
from dangjian.dues.models import DuesBase, DuesBill, DuesPayment


@pytest.fixture
def api(client, actor_for):
    def for_user(user):
        _, raw = account_services.issue_token(actor_for(user, "api"))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        def call(method, url, data=None):
            kwargs = {"content_type": "application/json"} if method != "get" else {}
            return getattr(client, method)(f"/api/v1/dues{url}", data=data, **kwargs, **headers)

        return call

    return for_user


@pytest.fixture
def members(tree, make_member):
    return make_member(tree["branch_a"], base=None, name="甲村王五"), make_member(
        tree["branch_b"], name="乙社区赵六"
    )


def test_a_base_then_a_run_then_a_payment(tree, members, api, secretary, django_assert_max_num_queries):
    a, _ = members
    call = api(secretary)
    base = call("post", "/bases", {"member_id": a.pk, "member_type": "in_service", "effective_month": "2026-06",
                                   "base": "10000.01"})  # fmt: skip
    assert base.status_code == 201, base.json()
    assert base.json()["base"] == "10000.01"
    run = call("post", "/bills/run", {"within": tree["branch_a"].pk, "month": "2026-11"})
    assert run.json()["created"] == 1
    assert (
        call("post", "/bills/run", {"within": tree["branch_a"].pk, "month": "2026-11"}).json()["created"] == 0
    )
    with django_assert_max_num_queries(8):
        bills = call("get", "/bills?status=unpaid").json()
    assert bills["count"] == 1 and bills["items"][0]["amount"] == "200.00"
    paid = call("post", "/payments", {"member_id": a.pk, "first_month": "2026-11", "amount": "200.00",
                                      "proxy_name": "王五之子"})  # fmt: skip
    assert (
        paid.status_code == 201
        and paid.json()["kind"] == "monthly"
        and paid.json()["proxy_name"] == "王五之子"
    )
    assert DuesBill.objects.get(member=a).paid_on is not None
    assert call("get", "/payments").json()["count"] == 1


def test_service_refusals_come_back_as_chinese_errors(members, api, secretary):
    a, _ = members
    call = api(secretary)
    call(
        "post",
        "/bases",
        {"member_id": a.pk, "member_type": "in_service", "effective_month": "2026-01", "base": "4000"},
    )
    response = call(
        "post", "/payments", {"member_id": a.pk, "first_month": "2026-01", "last_month": "2026-11"}
    )
    assert response.status_code == 400 and response.json()["details"]["field"] == "note"
    bad_month = call("get", "/bills?month=2026/11")
    assert bad_month.status_code == 400


def test_arrears_collection_and_ledger(tree, members, api, county_admin, system_actor):
    _, b = members
    a = members[0]
    services.declare_base(system_actor, a, member_type="in_service", effective_month="2026-01", base="4000")
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        services.bill_month(system_actor, None, month)
    services.record_payment(system_actor, a, first_month="2026-08", voluntary_amount="1000")
    call = api(county_admin)
    arrears = call("get", "/arrears").json()
    assert [row["member_name"] for row in arrears] == ["甲村王五"] and arrears[0]["rule_ids"] == [
        "dues.arrears_3"
    ]
    figures = call("get", f"/collection?within={tree['county_a'].pk}&year=2026").json()
    assert figures[0]["billed"] == "160.00" and figures[0]["paid"] == "40.00" and figures[0]["rate"] == "25.0"
    remitted = call("post", "/remittances", {"org_id": tree["branch_a"].pk, "amount": "1040.00"})
    assert remitted.status_code == 201
    allocated = call("post", "/allocations", {"org_id": tree["town_a"].pk, "to_org_id": tree["branch_a"].pk,
                                              "amount": "40", "purpose": "修缮阵地"})  # fmt: skip
    assert allocated.status_code == 201
    ledger = call("get", f"/ledger/{tree['branch_a'].pk}").json()
    assert ledger["balance"] == "40.00" and ledger["voluntary_in_full"] == "1000.00"
    assert call("get", "/remittances").json()["count"] == 1
    assert call("get", "/allocations").json()["count"] == 1


def test_the_outsider_gets_404_for_everything_of_another_subtree(tree, members, api, outsider):
    a, _ = members
    call = api(outsider)
    for method, url, data in [
        (
            "post",
            "/bases",
            {"member_id": a.pk, "member_type": "in_service", "effective_month": "2026-11", "base": "1"},
        ),
        ("post", "/payments", {"member_id": a.pk, "voluntary_amount": "5"}),
        ("post", "/bills/run", {"within": tree["branch_a"].pk, "month": "2026-11"}),
        ("post", "/remittances", {"org_id": tree["branch_a"].pk, "amount": "1"}),
        ("get", f"/ledger/{tree['branch_a'].pk}", None),
        ("get", f"/collection?within={tree['county_a'].pk}&year=2026", None),
    ]:
        assert call(method, url, data).status_code == 404, url
    assert not DuesPayment.objects.exists()


def test_a_member_may_read_but_not_bill(tree, members, api, member_user):
    response = api(member_user)("post", "/bills/run", {"within": tree["branch_a"].pk, "month": "2026-11"})
    assert response.status_code == 403


def test_system_roles_are_refused(api, sysadmin):
    assert api(sysadmin)("get", "/bills").status_code == 403


def test_amounts_are_never_floats(members, api, secretary):
    a, _ = members
    response = api(secretary)("post", "/bases", {"member_id": a.pk, "member_type": "in_service",
                                                 "effective_month": "2026-11", "base": "3000.005"})  # fmt: skip
    assert response.status_code == 400
    assert not DuesBase.objects.filter(member=a).exists()
