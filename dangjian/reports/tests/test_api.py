"""GET /api/v1/indicators, /indicators/{key} and /indicators/{key}/records."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.reports import registry

pytestmark = pytest.mark.django_db


def test_it_lists_every_indicator_with_its_definition(api, county_admin):
    response = api(county_admin)("/indicators")
    assert response.status_code == 200
    found = {item["key"]: item for item in response.json()}
    assert set(found) == {indicator.key for indicator in registry.all_indicators()}
    assert found["members.age.0"]["name"] == "30岁及以下"
    assert found["members.age.0"]["unit"] == "人"
    assert "12月31日" in found["members.age.0"]["description"]


def test_it_answers_a_figure_with_its_drill_down_links(population, tree, api, dept_admin):
    get = api(dept_admin)
    response = get(
        "/indicators/members.age.0", org=tree["city"].pk, **{"from": "2025-01-01", "to": "2025-12-31"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["value"] == 2
    assert (body["from"], body["to"], body["org_id"]) == ("2025-01-01", "2025-12-31", tree["city"].pk)
    assert "/api/v1/indicators/members.age.0/records?" in body["records"]
    assert "/reports/indicators/members.age.0/?" in body["page"]
    records = get(
        body["records"].split("/api/v1", 1)[1].split("?")[0],
        **dict(part.split("=") for part in body["records"].split("?", 1)[1].split("&")),
    )
    assert records.status_code == 200
    assert records.json()["count"] == 2
    assert {item["name"] for item in records.json()["items"]} == {"张年末", "李年初"}


def test_it_answers_the_own_records_of_an_org(population, tree, api, dept_admin):
    get = api(dept_admin)
    args = {"from": "2025-01-01", "to": "2025-12-31"}
    assert get("/indicators/members.total", org=tree["town_a"].pk, **args).json()["value"] == 6
    assert get("/indicators/members.total", org=tree["town_a"].pk, direct="true", **args).json()["value"] == 1


def test_it_defaults_to_the_top_of_the_scope_and_today(population, tree, api, county_admin):
    body = api(county_admin)("/indicators/members.total").json()
    assert body["org_id"] == tree["county_a"].pk
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-03-01")
    # 6 members in 甲县委 on 1 March 2026 (the member in transit still counts here).
    assert body["value"] == 6


def test_it_hides_orgs_and_records_outside_the_scope(population, tree, api, outsider, stranger, sysadmin):
    get = api(outsider)
    assert get("/indicators/members.total", org=tree["county_a"].pk).status_code == 404
    assert get("/indicators/members.total/records", org=tree["county_a"].pk).status_code == 404
    # At the top of the outsider's scope (their branch), nothing of 甲县委 is listed.
    names = {item["name"] for item in get("/indicators/members.total/records").json()["items"]}
    assert names == {"吴女"}
    assert api(stranger)("/indicators").status_code == 403
    assert api(sysadmin)("/indicators/members.total").status_code == 403


def test_it_refuses_an_unknown_indicator_and_a_reversed_period(api, county_admin, tree):
    get = api(county_admin)
    assert get("/indicators/no.such").status_code == 404
    response = get("/indicators/members.total", **{"from": "2025-12-31", "to": "2025-01-01"})
    assert response.status_code == 400
    assert "开始日期晚于" in response.json()["message"]


def test_it_answers_the_records_in_a_fixed_number_of_queries(population, tree, api, dept_admin):
    get = api(dept_admin)
    get("/indicators/members.total/records", org=tree["city"].pk)
    with CaptureQueriesContext(connection) as few:
        get("/indicators/members.total/records", org=tree["city"].pk, limit=2)
    with CaptureQueriesContext(connection) as many:
        get("/indicators/members.total/records", org=tree["city"].pk, limit=50)
    assert len(many) == len(few)
