"""The organization module's API: scoped lists with within/kind/from/to, writes through the services."""

import json
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.services import issue_token
from dangjian.core.audit import Actor
from dangjian.orgs import services
from dangjian.orgs.models import Committee, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(date(2026, 6, 15), tick=False):
        yield


@pytest.fixture
def api(client):
    class As:
        def __init__(self, user):
            _, raw = issue_token(Actor(user=user, via="api"))
            self.headers = {"Authorization": f"Bearer {raw}"}

        def get(self, url, **params):
            return client.get(url, params, headers=self.headers)

        def post(self, url, body):
            return client.post(url, json.dumps(body), content_type="application/json", headers=self.headers)

        def patch(self, url, body):
            return client.patch(url, json.dumps(body), content_type="application/json", headers=self.headers)

    return As


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def test_events_filter_by_within_kind_indicator_and_period(tree, county_admin, api, system_actor):
    services.update_org(system_actor, tree["branch_a"], name="甲村新党支部", occurred_on=date(2026, 3, 1))
    services.update_org(system_actor, tree["branch_b"], name="乙社区新党支部", occurred_on=date(2026, 3, 1))
    client = api(county_admin)
    items = ok(
        client.get("/api/v1/orgs/events", kind="renamed", **{"from": "2026-01-01", "to": "2026-12-31"})
    )["items"]
    assert [(i["org_name"], i["details"]["to"]) for i in items] == [("甲村新党支部", "甲村新党支部")]
    assert ok(client.get("/api/v1/orgs/events", within=tree["town_a"].pk, indicator="founded"))["count"] == 2
    assert ok(client.get("/api/v1/orgs/events", **{"to": "2019-12-31"}))["count"] == 0
    assert client.get("/api/v1/orgs/events", within=tree["branch_b"].pk).status_code == 404
    counts = {
        c["key"]: c["count"] for c in ok(client.get("/api/v1/orgs/event-counts", **{"from": "2026-01-01"}))
    }
    assert counts["renamed"] == 1 and counts["founded"] == 0


def test_a_correction_and_a_merge_through_the_api(tree, county_admin, api, system_actor):
    client = api(county_admin)
    founded = tree["branch_a"].events.get()
    body = ok(
        client.post(
            f"/api/v1/orgs/events/{founded.pk}/corrections", {"reason": "有误", "occurred_on": "2019-01-01"}
        ),
        201,
    )
    assert body["kind"] == "corrected" and body["corrects_id"] == founded.pk
    assert (
        client.post(f"/api/v1/orgs/events/{founded.pk}/corrections", {}).json()["message"]
        == "更正原因不能为空。"
    )
    town_b = services.create_org(
        system_actor, parent=tree["county_a"], name="丙镇党委", kind="committee", code="A5"
    )
    merged = ok(client.post("/api/v1/orgs/merges", {"org_id": tree["town_a"].pk, "into_id": town_b.pk}), 201)
    assert merged["kind"] == "merged" and merged["details"]["into"] == "丙镇党委"


def test_units_through_the_api(tree, county_admin, secretary, api):
    client = api(county_admin)
    unit = ok(
        client.post(
            "/api/v1/orgs/units",
            {
                "responsible_org_id": tree["town_a"].pk,
                "org_id": tree["branch_a"].pk,
                "name": "甲村小学",
                "sector": "school",
            },
        ),
        201,
    )
    assert unit["org_id"] == tree["branch_a"].pk and unit["is_new_sector"] is False
    bad = client.post(
        "/api/v1/orgs/units", {"responsible_org_id": tree["town_a"].pk, "name": "x", "credit_code": "123"}
    )
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "credit_code"
    assert ok(api(secretary).get("/api/v1/orgs/units"))["count"] == 1  # the branch sees the unit it covers
    patched = ok(client.patch(f"/api/v1/orgs/units/{unit['id']}", {"org_id": None, "headcount": 40}))
    assert patched["org_id"] is None and patched["headcount"] == 40
    assert ok(client.get("/api/v1/orgs/units", covered=False))["count"] == 1
    assert Unit.objects.get().org is None


def test_committees_through_the_api(tree, county_admin, api, system_actor):
    client = api(county_admin)
    body = {
        "org_id": tree["branch_a"].pk,
        "elected_on": "2021-01-10",
        "members": [{"post": "secretary", "name": "王书记"}, {"post": "organization_member", "name": "赵"}],
        "document_number": "甲组〔2021〕1号",
    }
    committee = ok(client.post("/api/v1/orgs/committees", body), 201)
    assert committee["ends_on"] == "2026-01-10" and [m["post_label"] for m in committee["members"]] == [
        "书记",
        "组织委员",
    ]
    assert [c["id"] for c in ok(client.get("/api/v1/orgs/committees", overdue=True))["items"]] == [
        committee["id"]
    ]
    holder = committee["members"][1]["id"]
    left = ok(
        client.post(
            f"/api/v1/orgs/committee-members/{holder}/end", {"ended_on": "2026-05-01", "reason": "调动"}
        )
    )
    assert left["ended_on"] == "2026-05-01"
    added = ok(
        client.post(
            "/api/v1/orgs/committee-members",
            {
                "committee_id": committee["id"],
                "post": "organization_member",
                "name": "钱",
                "started_on": "2026-06-01",
            },
        ),
        201,
    )
    assert added["origin"] == "by_election"
    temp = services.create_org(
        system_actor, parent=tree["town_a"], name="临时支部", kind="temporary_branch", code="T1"
    )
    refused = client.post("/api/v1/orgs/committees", {**body, "org_id": temp.pk, "elected_on": "2026-06-01"})
    assert refused.status_code == 400 and refused.json()["details"]["rule"] == "org.temporary_no_election"
    appointed = client.post(
        "/api/v1/orgs/committees", {**body, "org_id": temp.pk, "elected_on": "2026-06-01", "appointed": True}
    )
    assert ok(appointed, 201)["origin"] == "appointed"
    assert Committee.objects.count() == 2


def test_groups_places_and_flags_through_the_api(tree, county_admin, api):
    client = api(county_admin)
    group = ok(client.post("/api/v1/orgs/groups", {"org_id": tree["branch_a"].pk, "name": "第一党小组"}), 201)
    ok(client.post("/api/v1/orgs/group-members", {"group_id": group["id"], "name": "刘一"}), 201)
    assert ok(client.get(f"/api/v1/orgs/groups/{group['id']}"))["members"][0]["name"] == "刘一"
    refused = client.post("/api/v1/orgs/groups", {"org_id": tree["town_a"].pk, "name": "镇党小组"})
    assert refused.status_code == 400
    place = ok(
        client.post(
            "/api/v1/orgs/places",
            {"org_id": tree["town_a"].pk, "kind": "service_center", "name": "中心", "area": 300},
        ),
        201,
    )
    assert (
        ok(client.patch(f"/api/v1/orgs/places/{place['id']}", {"address": "甲镇大街1号"}))["address"]
        == "甲镇大街1号"
    )
    assert client.patch(f"/api/v1/orgs/places/{place['id']}", {"kind": "temple"}).status_code == 400
    assert ok(client.get("/api/v1/orgs/places", kind="service_center"))["count"] == 1
    flag = ok(
        client.post(
            "/api/v1/orgs/weak-flags",
            {"org_id": tree["branch_a"].pk, "reason": "涣散", "flagged_on": "2026-01-01"},
        ),
        201,
    )
    assert ok(client.get("/api/v1/orgs/weak-flags"))["items"][0]["id"] == flag["id"]
    findings = ok(client.get("/api/v1/orgs/findings", rule="org.weak"))
    assert [(f["org_name"], f["level"]) for f in findings] == [("甲村党支部", "warn")]


def test_a_pairing_names_only_the_sides_in_scope(tree, dept_admin, outsider, api):
    pairing = ok(
        api(dept_admin).post(
            "/api/v1/orgs/pairings",
            {
                "scheme": "城乡联建",
                "org_ids": [tree["branch_a"].pk, tree["branch_b"].pk],
                "started_on": "2026-01-01",
            },
        ),
        201,
    )
    assert {o["name"] for o in pairing["orgs"]} == {"甲村党支部", "乙社区党支部"}
    seen = ok(api(outsider).get(f"/api/v1/orgs/pairings/{pairing['id']}"))
    assert (
        seen["orgs"] == [{"id": tree["branch_b"].pk, "name": "乙社区党支部"}] and seen["other_org_count"] == 1
    )
    ok(
        api(outsider).post(
            "/api/v1/orgs/pairing-activities",
            {"pairing_id": pairing["id"], "held_on": "2026-05-01", "title": "共建"},
        ),
        201,
    )
    assert ok(api(dept_admin).get("/api/v1/orgs/pairings"))["items"][0]["activity_count"] == 1
    assert ok(api(dept_admin).get(f"/api/v1/orgs/pairings/{pairing['id']}/activities"))["count"] == 1


@pytest.mark.parametrize("persona", ["sysadmin", "auditor", "stranger"])
def test_people_without_a_party_role_get_403(tree, persona, request, api):
    response = api(request.getfixturevalue(persona)).get("/api/v1/orgs/units")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_the_committee_list_costs_the_same_queries_for_many_rows(tree, dept_admin, api, system_actor):
    client = api(dept_admin)
    ok(client.get("/api/v1/orgs/committees"))  # the token's first use is recorded once

    def queries(n):
        for i in range(n):
            org = services.create_org(
                system_actor, parent=tree["town_a"], name=f"支部{n}{i}", kind="branch", code=f"Q{n}{i}"
            )
            services.elect_committee(
                system_actor, org, elected_on=date(2025, 1, 1), members=[{"post": "secretary", "name": "x"}]
            )
        with CaptureQueriesContext(connection) as captured:
            ok(client.get("/api/v1/orgs/committees"))
        return len(captured)

    assert queries(2) == queries(6)
