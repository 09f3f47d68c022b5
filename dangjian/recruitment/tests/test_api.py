"""The API: cases, steps (with the rule's refusal), votes, plans and the to-do list; scoped."""

from datetime import date

import pytest

from dangjian.accounts import services as account_services
from dangjian.recruitment.models import Recruitment

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
