import json
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.services import issue_token
from dangjian.core.audit import Actor
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Org, OrgEvent


@pytest.fixture
def api(client):
    """``api(user).get(url)``, ``.post(url, body)``, ``.patch(url, body)`` with a fresh bearer token."""

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


def names(response):
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def new_branch(parent, **fields):
    return {"parent_id": parent.pk, "name": "新建党支部", "kind": "branch", "code": "N1", **fields}


def test_it_lists_the_orgs_in_scope_in_tree_order(tree, dept_admin, county_admin, api):
    assert names(api(dept_admin).get("/api/v1/orgs")) == [
        "测试市委",
        "甲县委",
        "甲镇党委",
        "甲村党支部",
        "乙县委",
        "乙社区党支部",
    ]
    assert names(api(county_admin).get("/api/v1/orgs")) == ["甲县委", "甲镇党委", "甲村党支部"]


def test_an_org_answers_with_code_names_labels_and_tree_position(tree, dept_admin, api):
    item = api(dept_admin).get(f"/api/v1/orgs/{tree['branch_a'].pk}").json()
    assert item == {
        "id": tree["branch_a"].pk,
        "name": "甲村党支部",
        "short_name": "",
        "kind": "branch",
        "kind_label": "党支部",
        "sector": "village",
        "sector_label": "农村",
        "code": "A2",
        "status": "active",
        "status_label": "正常",
        "founded_on": "2020-01-01",
        "dissolved_on": None,
        "parent_id": tree["town_a"].pk,
        "depth": 4,
        "child_count": 0,
    }
    city = api(dept_admin).get(f"/api/v1/orgs/{tree['city'].pk}").json()
    assert (city["parent_id"], city["depth"], city["child_count"]) == (None, 1, 2)


def test_list_items_carry_their_parent_id(tree, dept_admin, api):
    items = api(dept_admin).get("/api/v1/orgs").json()["items"]
    parents = {item["name"]: item["parent_id"] for item in items}
    assert parents["乙社区党支部"] == tree["county_b"].pk
    assert parents["甲镇党委"] == tree["county_a"].pk
    assert parents["测试市委"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"within": "county_a"}, ["甲县委", "甲镇党委", "甲村党支部"]),
        ({"within": "county_b", "kind": "branch"}, ["乙社区党支部"]),
        ({"kind": "branch"}, ["甲村党支部", "乙社区党支部"]),
        ({"sector": "village"}, ["甲镇党委", "甲村党支部"]),
        ({"q": "县"}, ["甲县委", "乙县委"]),
        ({"q": "社区", "kind": "committee"}, []),
        ({"status": "dissolved"}, ["乙社区党支部"]),
        ({"status": "active", "kind": "branch"}, ["甲村党支部"]),
    ],
)
def test_it_filters_the_list(tree, dept_admin, system_actor, api, params, expected):
    services.dissolve_org(system_actor, tree["branch_b"], occurred_on=date(2024, 1, 1))
    query = {key: tree[value].pk if key == "within" else value for key, value in params.items()}
    response = api(dept_admin).get("/api/v1/orgs", **query)
    assert names(response) == expected
    assert response.json()["count"] == len(expected)


def test_an_unknown_filter_value_is_a_validation_error(tree, dept_admin, api):
    response = api(dept_admin).get("/api/v1/orgs", kind="party", within="x")
    assert response.status_code == 400
    details = {d["field"]: d["message"] for d in response.json()["details"]}
    assert details["kind"].startswith("取值无效,应为:committee、") and "branch" in details["kind"]
    assert details["within"] == "应为整数"


def test_it_creates_an_org_through_the_service(tree, county_admin, api):
    response = api(county_admin).post(
        "/api/v1/orgs",
        new_branch(
            tree["town_a"], sector="village", founded_on="2024-05-01", document_number="甲组〔2024〕1号"
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    org = Org.objects.get(code="N1")
    assert body["id"] == org.pk and body["parent_id"] == tree["town_a"].pk and body["kind"] == "branch"
    assert org.get_parent() == tree["town_a"]
    event = org.events.get()
    assert (event.kind, event.occurred_on, event.document_number, event.recorded_by) == (
        "founded",
        date(2024, 5, 1),
        "甲组〔2024〕1号",
        county_admin,
    )
    entry = AuditEntry.objects.get(action="org.create", object_id=str(org.pk))
    assert (entry.via, entry.actor_name, entry.org_path) == ("api", "county_admin", org.path)
    assert entry.request_id == response["X-Request-ID"]


def test_it_renames_and_changes_an_org_with_dated_events(tree, county_admin, api):
    branch = tree["branch_a"]
    response = api(county_admin).patch(
        f"/api/v1/orgs/{branch.pk}",
        {
            "name": "甲村第一党支部",
            "short_name": "甲村一支",
            "occurred_on": "2025-03-01",
            "document_number": "甲组〔2025〕3号",
        },
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["short_name"]) == ("甲村第一党支部", "甲村一支")
    assert response.json()["parent_id"] == tree["town_a"].pk
    renamed = OrgEvent.objects.get(org=branch, kind="renamed")
    assert renamed.details == {"from": "甲村党支部", "to": "甲村第一党支部"}
    assert (renamed.occurred_on, renamed.document_number) == (date(2025, 3, 1), "甲组〔2025〕3号")
    changed = OrgEvent.objects.get(org=branch, kind="changed")
    assert changed.details == {"short_name": ["", "甲村一支"]}
    entry = AuditEntry.objects.get(action="org.update", object_id=str(branch.pk))
    assert (
        entry.via == "api"
        and entry.before["name"] == "甲村党支部"
        and entry.after["name"] == "甲村第一党支部"
    )


def test_a_patch_changes_only_the_fields_sent(tree, county_admin, api):
    branch = tree["branch_a"]
    response = api(county_admin).patch(f"/api/v1/orgs/{branch.pk}", {"founded_on": None})
    assert response.status_code == 200 and response.json()["founded_on"] is None
    branch.refresh_from_db()
    assert (branch.name, branch.code, branch.sector, branch.founded_on) == (
        "甲村党支部",
        "A2",
        "village",
        None,
    )


def test_it_lists_an_orgs_events_newest_first(tree, county_admin, api):
    branch = tree["branch_a"]
    with time_machine.travel(date(2025, 6, 1)):
        for number, name in enumerate(["甲村一支部", "甲村二支部"], start=1):
            api(county_admin).patch(
                f"/api/v1/orgs/{branch.pk}",
                {"name": name, "occurred_on": f"2025-0{number}-01", "document_number": f"文{number}"},
            )
    body = api(county_admin).get(f"/api/v1/orgs/{branch.pk}/events").json()
    assert body["count"] == 3 and body["next"] is None
    assert [(e["kind"], e["occurred_on"]) for e in body["items"]] == [
        ("renamed", "2025-02-01"),
        ("renamed", "2025-01-01"),
        ("founded", "2020-01-01"),
    ]
    newest = body["items"][0]
    assert newest["kind_label"] == "更名" and newest["recorded_by"] == "county_admin"
    assert newest["details"] == {"from": "甲村一支部", "to": "甲村二支部"}
    assert body["items"][2]["recorded_by"] is None  # founded by the fixture's command
    page = api(county_admin).get(f"/api/v1/orgs/{branch.pk}/events", limit=1, offset=1).json()
    assert [e["document_number"] for e in page["items"]] == ["文1"]


def test_the_outsider_gets_404_for_another_subtree(tree, outsider, api):
    branch = tree["branch_a"]
    client = api(outsider)
    for response in (
        client.get(f"/api/v1/orgs/{branch.pk}"),
        client.get(f"/api/v1/orgs/{branch.pk}/events"),
        client.patch(f"/api/v1/orgs/{branch.pk}", {"name": "被改名"}),
        client.get("/api/v1/orgs", within=tree["county_a"].pk),
        client.post("/api/v1/orgs", new_branch(tree["county_a"], kind="committee")),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "code": "not_found",
            "message": "未找到该记录,或您无权查看。",
            "details": {},
        }
    assert names(client.get("/api/v1/orgs")) == ["乙社区党支部"]
    assert not Org.objects.filter(code="N1").exists()
    assert Org.objects.get(pk=branch.pk).name == "甲村党支部"


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditor", "stranger"])
def test_people_without_a_party_role_see_no_orgs(tree, api, persona, request):
    client = api(request.getfixturevalue(persona))
    assert client.get("/api/v1/orgs").json() == {"count": 0, "items": [], "next": None}
    assert client.get(f"/api/v1/orgs/{tree['city'].pk}").status_code == 404
    assert client.get(f"/api/v1/orgs/{tree['city'].pk}/events").status_code == 404


def test_the_auditor_cannot_write_orgs(tree, auditor, api):
    client = api(auditor)
    assert client.post("/api/v1/orgs", new_branch(tree["town_a"])).status_code == 404
    assert client.patch(f"/api/v1/orgs/{tree['branch_a'].pk}", {"name": "审计改名"}).status_code == 404
    assert not Org.objects.filter(code="N1").exists()
    assert not AuditEntry.objects.filter(action__startswith="org.", actor_name="auditor").exists()


def test_a_member_sees_their_org_but_may_not_change_it(tree, member_user, api):
    client = api(member_user)
    assert names(client.get("/api/v1/orgs")) == ["甲村党支部"]
    response = client.patch(f"/api/v1/orgs/{tree['branch_a'].pk}", {"name": "党员改名"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden" and "没有" in response.json()["message"]
    assert client.post("/api/v1/orgs", new_branch(tree["branch_a"])).status_code == 403
    assert Org.objects.get(pk=tree["branch_a"].pk).name == "甲村党支部"


def test_a_duplicate_code_is_a_conflict(tree, county_admin, api):
    response = api(county_admin).post("/api/v1/orgs", new_branch(tree["town_a"], code="B1"))
    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        # 乙社区党支部 lies outside the county admin's scope: the message does not name it.
        "message": "组织编码“B1”已被使用。",
        "details": {"field": "code"},
    }


def test_a_rule_refusal_names_the_field_and_the_rule(tree, county_admin, api):
    response = api(county_admin).post("/api/v1/orgs", new_branch(tree["branch_a"]))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["details"] == {
        "field": "kind",
        "rule": "org.branch_has_no_child_orgs",
    }
    assert "不能再设立党组织" in body["message"]


def test_the_list_costs_the_same_queries_for_3_and_20_orgs(tree, county_admin, system_actor, api):
    client = api(county_admin)
    client.get("/api/v1/orgs")  # the token's first use records last_used_at; later calls do not write

    def queries_for_list(expected_count):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/orgs").json()["count"] == expected_count
        return len(queries)

    few = queries_for_list(3)
    for number in range(17):
        services.create_org(
            system_actor, parent=tree["town_a"], name=f"支部{number}", kind="branch", code=f"Q{number}"
        )
    assert queries_for_list(20) == few
    assert few <= 5  # token, scope, count, page; nothing per row
