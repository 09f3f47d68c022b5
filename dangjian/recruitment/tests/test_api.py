"""The API: cases, steps (with the rule's refusal), votes, plans and the to-do list; scoped."""

from datetime import date

import pytest

from dangjian.accounts import services as account_services
from dangjian.recruitment.models import Recruitment, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, actor_for):
    def make(user):
        _, raw = account_services.issue_token(actor_for(user, "api"))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        def call(method, url, data=None):
            return getattr(client, method)(
                f"/api/v1/recruitment{url}", data=data, content_type="application/json", **headers
            )

        return call

    return make


def test_a_case_through_the_api(api, secretary, people, frozen_today):
    call = api(secretary)
    applicant = people(category="applicant", name="赵申请")
    response = call("post", "/cases", {"member_id": applicant.pk, "applied_on": "2023-01-05"})
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    assert response.json()["steps"][0]["label"] == "递交入党申请书"
    response = call("post", f"/cases/{case_id}/steps", {"number": 3, "occurred_on": "2023-01-20"})
    assert response.status_code == 400 and response.json()["details"]["rule"] == "recruitment.step_order"
    response = call("post", f"/cases/{case_id}/steps", {"number": 2, "occurred_on": "2023-03-01"})
    assert response.status_code == 201
    assert response.json()["findings"][0]["rule_id"] == "recruitment.talk_within_month"
    assert call("get", "/cases").json()["count"] == 1
    assert call("get", f"/cases/{case_id}/steps").json()[1]["number"] == 2


def test_votes_plans_and_todo(api, dept_admin, walk, tree, frozen_today):
    walk(17)
    call = api(dept_admin)
    votes = call("get", "/votes?year=2024").json()
    assert votes["count"] == 1 and votes["items"][0]["should_attend"] == 9 and votes["items"][0]["passed"]
    response = call("put", "/plans", {"org_id": tree["county_a"].pk, "year": 2024, "quota": 4})
    assert response.status_code == 200
    report = call("get", f"/plans?within={tree['city'].pk}&year=2024").json()
    county = next(r for r in report["subordinates"] if r["org_id"] == tree["county_a"].pk)
    assert county["planned"] == 4 and county["admitted"] == 1 and county["share_of_plan"] == "25.0"
    todo = call("get", "/todo").json()
    assert any(item["finding"]["rule_id"] == "recruitment.oath_pending" for item in todo["items"])


def test_the_vote_refusal_names_the_rule(api, secretary, walk, frozen_today):
    case = walk(14)
    response = api(secretary)(
        "post",
        f"/cases/{case.pk}/steps",
        {
            "number": 15,
            "occurred_on": "2024-05-10",
            "vote": {"should_attend": 10, "present": 5, "yes": 5, "no": 0, "abstain": 0},
        },
    )
    assert response.status_code == 400
    assert response.json()["details"]["rule"] == "recruitment.vote_quorum"
    assert "至少须到会6人" in response.json()["message"]


def test_the_outsider_sees_nothing(api, outsider, walk, frozen_today):
    case = walk(3)
    call = api(outsider)
    assert call("get", f"/cases/{case.pk}").status_code == 404
    assert (
        call("post", f"/cases/{case.pk}/steps", {"number": 4, "occurred_on": "2023-03-15"}).status_code == 404
    )
    assert call("get", "/cases").json()["count"] == 0
    assert Recruitment.objects.get(pk=case.pk).last_step == 3
    assert date(2023, 3, 10) == case.last_step_on


def test_votes_route_stores_a_failed_vote_then_a_passing_one(api, secretary, walk, frozen_today):
    case = walk(14)
    call = api(secretary)
    failed = call(
        "post",
        f"/cases/{case.pk}/votes",
        {
            "number": 15,
            "occurred_on": "2024-05-10",
            "should_attend": 10,
            "present": 6,
            "yes": 5,
            "no": 1,
            "abstain": 0,
        },
    )
    assert failed.status_code == 201, failed.content
    body = failed.json()
    assert body["passed"] is False and body["outcome"] == "未通过" and body["failure_reason"] == "majority"
    assert body["step"] == 15
    passed = call(
        "post",
        f"/cases/{case.pk}/votes",
        {
            "number": 15,
            "occurred_on": "2024-05-11",
            "should_attend": 9,
            "present": 5,
            "yes": 5,
            "no": 0,
            "abstain": 0,
        },
    )
    assert passed.status_code == 201 and passed.json()["passed"] is True
    assert call("get", f"/cases/{case.pk}").json()["last_step"] == 15
    listed = call("get", "/votes?year=2024").json()
    assert [v["outcome"] for v in listed["items"]] == ["通过", "未通过"]


def test_rule_sets_are_listed_and_switched_with_the_page_permission(api, dept_admin, county_admin):
    listed = api(county_admin)("get", "/rule-sets").json()
    assert listed["can_switch"] is False
    assert [s["key"] for s in listed["sets"]] == ["2014", "2026"]
    refused = api(county_admin)("post", "/rule-sets/2026/switch", {"effective_from": "2026-01-01"})
    assert refused.status_code == 403
    call = api(dept_admin)
    missing = call("post", "/rule-sets/2026/switch", {"active": True})
    assert missing.status_code == 400 and "生效日期" in missing.json()["message"]
    assert call("post", "/rule-sets/2014/switch", {"active": False}).status_code == 400
    response = call("post", "/rule-sets/2026/switch", {"effective_from": "2026-01-01", "note": "试行"})
    assert response.status_code == 201, response.content
    revision = response.json()["sets"][1]
    assert revision["active"] is True and revision["effective_from"] == "2026-01-01"
    assert revision["switches"][0]["note"] == "试行"
    assert api(county_admin)("get", "/rule-sets").json()["sets"][1]["active"] is True


def test_the_audit_lists_each_admitted_person_with_findings(
    api, dept_admin, outsider, walk, tree, frozen_today
):
    good = walk(15, name="合规人")
    late = walk(15, name="提前人")
    # An old file's record: the candidate confirmed 11 months after the activist (the services refuse it).
    Step.objects.filter(recruitment=late, number=7).update(occurred_on=date(2024, 2, 10))
    call = api(dept_admin)
    report = call("get", f"/audit?year=2024&org={tree['city'].pk}").json()
    assert report["total"] == 2 and report["year"] == 2024
    by_name = {p["member_name"]: p for p in report["people"]}
    assert by_name["合规人"]["findings"] == [] and by_name["合规人"]["case_id"] == good.pk
    rules_found = {f["rule_id"] for f in by_name["提前人"]["findings"]}
    assert "recruitment.activist_one_year" in rules_found and by_name["提前人"]["case_id"] == late.pk
    only = call("get", f"/audit?year=2024&org={tree['city'].pk}&only_findings=true").json()
    assert [p["member_name"] for p in only["people"]] == ["提前人"]
    assert call("get", f"/audit?year=2023&org={tree['city'].pk}").json()["total"] == 0
    hidden = api(outsider)
    assert hidden("get", f"/audit?year=2024&org={tree['city'].pk}").status_code == 404
    assert hidden("get", "/audit?year=2024").json()["total"] == 0
    assert hidden("post", f"/cases/{good.pk}/votes", {"number": 23}).status_code == 404
