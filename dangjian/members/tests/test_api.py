"""/api/v1/members and /api/v1/transfers: scoped, masked, audited unmasking, the writes and their errors."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts import services as account_services
from dangjian.core.models import AuditEntry
from dangjian.members.models import Member

from .conftest import id_number


@pytest.fixture
def api(client, actor_for):
    def for_user(user):
        _, raw = account_services.issue_token(actor_for(user, "api"))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        def call(method, url, data=None):
            kwargs = {"content_type": "application/json"} if method != "get" else {}
            return getattr(client, method)(f"/api/v1{url}", data=data, **kwargs, **headers)

        return call

    return for_user


@pytest.fixture
def two(tree, make_member):
    return (
        make_member(tree["branch_a"], name="张三丰", phone="13911112222", tags=["veteran"]),
        make_member(tree["branch_b"], name="赵六"),
    )


def test_the_list_is_scoped_masked_and_filtered(two, api, county_admin, outsider):
    zhang, zhao = two
    body = api(county_admin)("get", "/members").json()
    assert [m["name"] for m in body["items"]] == ["张三丰"] and body["count"] == 1
    item = body["items"][0]
    assert item["id_number"] == zhang.id_number_masked and item["phone"] == "139****2222"
    assert item["tags"] == ["veteran"] and item["party_standing"] == 14 and item["category"] == "full"
    assert api(county_admin)("get", "/members?q=zsf").json()["count"] == 1
    assert api(county_admin)("get", "/members?q=zl").json()["count"] == 0
    assert (
        api(county_admin)("get", f"/members?id_number={id_number(date(1980, 5, 6), 1)}").json()["count"] == 1
    )
    assert [m["name"] for m in api(outsider)("get", "/members").json()["items"]] == ["赵六"]
    assert api(outsider)("get", f"/members?within={zhang.org_id}").status_code == 404


def test_the_list_costs_a_fixed_number_of_queries(tree, make_member, api, county_admin):
    call = api(county_admin)
    make_member(tree["branch_a"])
    call("get", "/members")
    with CaptureQueriesContext(connection) as one:
        call("get", "/members")
    for _ in range(10):
        make_member(tree["branch_a"])
    with CaptureQueriesContext(connection) as many:
        assert call("get", "/members").json()["count"] == 11
    assert len(many) == len(one)


def test_detail_unmasks_only_for_the_permission_and_audits_it(two, api, county_admin, secretary):
    zhang, _ = two
    assert api(secretary)("get", f"/members/{zhang.pk}").json()["phone"] == "139****2222"
    refused = api(secretary)("get", f"/members/{zhang.pk}?unmask=true")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    shown = api(county_admin)("get", f"/members/{zhang.pk}?unmask=true").json()
    assert shown["phone"] == "13911112222" and len(shown["id_number"]) == 18
    assert AuditEntry.objects.filter(action="member.unmask", via="api").count() == 1


def test_create_patch_and_events(tree, api, secretary, frozen_today):
    call = api(secretary)
    payload = {
        "org_id": tree["branch_a"].pk,
        "name": "新人",
        "id_number": id_number(date(1999, 9, 9), 2),
        "category": "probationary",
        "joined_on": "2025-06-01",
    }
    created = call("post", "/members", payload)
    assert created.status_code == 201, created.json()
    member_id = created.json()["id"]
    assert created.json()["sex"] == "female"
    again = call("post", "/members", payload)
    assert again.status_code == 409 and "已登记为“新人”" in again.json()["message"]
    bad = call("post", "/members", payload | {"id_number": "110105194912310021"})
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "id_number"
    patched = call("patch", f"/members/{member_id}", {"work_unit": "甲村村委会", "phone": "13700000000"})
    assert patched.json()["work_unit"] == "甲村村委会" and patched.json()["phone"] == "137****0000"
    event = call(
        "post",
        f"/members/{member_id}/events",
        {"kind": "probation_extended", "occurred_on": "2026-02-01", "details": {"months": 6}},
    )
    assert event.status_code == 201 and event.json()["details"]["months"] == 6
    missing = call("post", f"/members/{member_id}/events", {})
    assert missing.status_code == 400 and missing.json()["message"] == "事项不能为空。"
    events = call("get", f"/members/{member_id}/events").json()
    assert [e["kind"] for e in events["items"]] == ["changed", "created", "probation_extended"]


def test_transfers_through_the_api(two, api, secretary, outsider, tree):
    zhang, _ = two
    issued = api(secretary)(
        "post",
        "/transfers",
        {"member_id": zhang.pk, "to_org_id": tree["branch_b"].pk, "letter_number": "甲转2号"},
    )
    assert issued.status_code == 201 and issued.json()["status"] == "in_transit"
    transfer_id = issued.json()["id"]
    incoming = api(outsider)("get", "/transfers?box=incoming").json()
    assert [t["letter_number"] for t in incoming["items"]] == ["甲转2号"]
    assert api(secretary)("post", f"/transfers/{transfer_id}/accept").status_code == 403
    refused = api(outsider)("post", f"/transfers/{transfer_id}/return", {})
    assert refused.status_code == 400 and "退回原因" in refused.json()["message"]
    accepted = api(outsider)("post", f"/transfers/{transfer_id}/accept", {"accepted_on": "2026-03-01"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Member.objects.get(pk=zhang.pk).org == tree["branch_b"]
    assert api(secretary)("get", f"/members/{zhang.pk}").status_code == 404


def test_system_roles_are_refused_before_the_body_is_read(api, sysadmin, auditor):
    for user in (sysadmin, auditor):
        response = api(user)("post", "/members", {"nonsense": True})
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert api(user)("get", "/transfers").status_code == 403
