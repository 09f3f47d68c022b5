"""The activities API: scoped lists, recording with attendance, compliance and study hours."""

from datetime import date

import pytest

from dangjian.accounts import services as account_services
from dangjian.activities import services
from dangjian.activities.models import Activity


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


def test_record_mark_and_read_back(frozen_today, tree, branch_members, secretary, outsider, api):
    call = api(secretary)
    response = call(
        "post",
        "/activities",
        {
            "org_id": tree["branch_a"].pk,
            "kind": "general_meeting",
            "held_on": "2025-10-14",
            "topic": "党员大会",
            "agenda": [{"title": "学习讲话", "first_topic": True}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["kind"] == "general_meeting"
        and body["agenda"][0]["first_topic"] is True
        and body["quorum"] is False
    )
    marks = [{"member_id": m.pk, "status": "present"} for m in branch_members[:3]]
    counts = call("post", f"/activities/{body['id']}/attendance", {"marks": marks}).json()
    assert (counts["total"], counts["present"], counts["voting_present"]) == (5, 3, 3)
    assert call("get", f"/activities/{body['id']}").json()["quorum"] is True
    assert len(call("get", f"/activities/{body['id']}/attendance").json()) == 5
    listed = call("get", "/activities?kind=general_meeting").json()
    assert listed["count"] == 1
    assert api(outsider)("get", f"/activities/{body['id']}").status_code == 404
    assert api(outsider)("get", "/activities").json()["count"] == 0


def test_a_leave_without_reason_is_a_400(frozen_today, tree, branch_members, secretary, api, system_actor):
    activity = services.record_activity(
        system_actor, org=tree["branch_a"], kind="theme_day", held_on=date(2025, 10, 1), topic="主题党日"
    )
    response = api(secretary)(
        "post",
        f"/activities/{activity.pk}/attendance",
        {"marks": [{"member_id": branch_members[0].pk, "status": "on_leave"}]},
    )
    assert response.status_code == 400 and "请假事由" in response.json()["message"]


def test_back_filling_is_refused_through_the_api(frozen_today, tree, secretary, api):
    response = api(secretary)(
        "post",
        "/activities",
        {"org_id": tree["branch_a"].pk, "kind": "theme_day", "held_on": "2025-01-01", "topic": "补"},
    )
    assert response.status_code == 400 and "解锁" in response.json()["message"]
    assert not Activity.objects.exists()


def test_compliance_and_study_hours(frozen_today, tree, branch_members, county_admin, api):
    call = api(county_admin)
    rows = call("get", f"/activities/compliance?within={tree['county_a'].pk}&year=2025&quarter=3").json()
    branch = next(r for r in rows if r["org_id"] == tree["branch_a"].pk)
    assert branch["colour"] == "red" and "2025年第3季度未召开支部党员大会" in branch["missing"]
    hours = call("get", f"/activities/study-hours?within={tree['branch_a'].pk}&year=2025&below=true").json()
    assert len(hours) == 5 and hours[0]["minimum"] == "32"


def test_system_roles_are_refused(api, sysadmin):
    assert api(sysadmin)("get", "/activities").status_code == 403


def test_only_a_top_department_admin_extends_the_code_tables(frozen_today, tree, secretary, dept_admin, api):
    kind = {"code": "red_film", "name": "红色观影", "category": "education", "default_study_hours": "2"}
    assert api(secretary)("post", "/activities/kinds", kind).status_code == 403
    assert api(dept_admin)("post", "/activities/kinds", kind).status_code == 201
    rule = {
        "kind": "red_film",
        "frequency": "year",
        "applies_to": "branch",
        "effective_from": "2026-01-01",
        "label": "红色观影",
        "source": "本地规定",
    }
    assert api(dept_admin)("post", "/activities/rules", rule).status_code == 201
    assert any(r["kind"] == "red_film" for r in api(secretary)("get", "/activities/rules").json())


def test_the_list_costs_a_fixed_number_of_queries(
    frozen_today, tree, branch_members, system_actor, county_admin, api, django_assert_max_num_queries
):
    for day in range(1, 8):
        services.record_activity(
            system_actor,
            org=tree["branch_a"],
            kind="theme_day",
            held_on=date(2025, 10, day),
            topic="主题党日",
        )
    call = api(county_admin)
    with django_assert_max_num_queries(12):
        assert call("get", "/activities?limit=50").json()["count"] == 7
