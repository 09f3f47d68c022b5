"""Every API list answers {"count", "items", "next"} with limit (default 50, at most 500) and offset."""

import pytest

from dangjian.accounts.services import issue_token
from dangjian.core.audit import Actor


@pytest.fixture
def token_of():
    def issue(user):
        _, raw = issue_token(Actor(user=user, via="api"))
        return {"Authorization": f"Bearer {raw}"}

    return issue


def test_it_walks_a_list_page_by_page_through_next(tree, dept_admin, client, token_of):
    headers = token_of(dept_admin)
    first = client.get("/api/v1/orgs?limit=4", headers=headers).json()
    assert first["count"] == 6 and len(first["items"]) == 4
    assert first["next"] == "http://testserver/api/v1/orgs?limit=4&offset=4"
    second = client.get(first["next"], headers=headers).json()
    assert second["count"] == 6 and second["next"] is None
    assert [o["name"] for o in first["items"] + second["items"]] == [
        "测试市委",
        "甲县委",
        "甲镇党委",
        "甲村党支部",
        "乙县委",
        "乙社区党支部",
    ]


def test_next_keeps_the_filters(tree, dept_admin, client, token_of):
    body = client.get(
        f"/api/v1/orgs?within={tree['county_a'].pk}&limit=1&offset=1", headers=token_of(dept_admin)
    )
    assert body.json()["items"][0]["name"] == "甲镇党委"
    assert (
        body.json()["next"] == f"http://testserver/api/v1/orgs?within={tree['county_a'].pk}&limit=1&offset=2"
    )


def test_an_offset_past_the_end_gives_an_empty_page(tree, dept_admin, client, token_of):
    body = client.get("/api/v1/orgs?offset=6", headers=token_of(dept_admin)).json()
    assert body == {"count": 6, "items": [], "next": None}


def test_the_default_page_holds_fifty(secretary, client, token_of):
    for _ in range(50):
        issue_token(Actor(user=secretary, via="api"))
    headers = token_of(secretary)
    body = client.get("/api/v1/auth/tokens", headers=headers).json()
    assert body["count"] == 51 and len(body["items"]) == 50
    assert body["next"] == "http://testserver/api/v1/auth/tokens?limit=50&offset=50"
    assert len(client.get(body["next"], headers=headers).json()["items"]) == 1


@pytest.mark.parametrize(("limit", "status"), [(500, 200), (501, 400), (0, 400), ("many", 400)])
def test_the_limit_is_between_one_and_five_hundred(tree, dept_admin, client, token_of, limit, status):
    response = client.get(f"/api/v1/orgs?limit={limit}", headers=token_of(dept_admin))
    assert response.status_code == status
    if status == 400:
        body = response.json()
        assert body["code"] == "validation_error" and body["details"][0]["field"] == "limit"


def test_a_limit_over_five_hundred_says_so(tree, dept_admin, client, token_of):
    body = client.get("/api/v1/orgs?limit=501", headers=token_of(dept_admin)).json()
    assert body["details"] == [{"field": "limit", "message": "不能大于500"}]
