"""Every error of the API has one shape: {"code", "message", "details"}, with a Chinese message."""

import json

import pytest

from dangjian.accounts.services import issue_token
from dangjian.core.api import validation_message
from dangjian.core.audit import Actor
from dangjian.orgs import services


@pytest.fixture
def call(client):
    def do(user, method, url, body=None):
        _, raw = issue_token(Actor(user=user, via="api"))
        kwargs = {"headers": {"Authorization": f"Bearer {raw}"}}
        if body is not None:
            kwargs.update(
                data=body if isinstance(body, str) else json.dumps(body), content_type="application/json"
            )
        return getattr(client, method)(url, **kwargs)

    return do


def error_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    return body


def test_a_validation_error_names_each_field_in_chinese(tree, dept_admin, call):
    response = call(
        dept_admin,
        "post",
        "/api/v1/orgs",
        {"parent_id": "甲", "name": 5, "kind": "branch", "founded_on": "2020-13-01", "short_name": "长" * 61},
    )
    body = error_of(response, 400)
    assert (body["code"], body["message"]) == ("validation_error", "请求数据有误")
    assert sorted(body["details"], key=lambda d: d["field"]) == [
        {"field": "code", "message": "必填"},
        {"field": "founded_on", "message": "日期格式不正确,应为 YYYY-MM-DD"},
        {"field": "name", "message": "应为文本"},
        {"field": "parent_id", "message": "应为整数"},
        {"field": "short_name", "message": "不能超过60个字符"},
    ]


def test_a_path_or_query_parameter_error_names_the_parameter(tree, dept_admin, call):
    body = error_of(call(dept_admin, "get", "/api/v1/orgs/abc"), 400)
    assert body["details"] == [{"field": "org_id", "message": "应为整数"}]
    body = error_of(call(dept_admin, "get", "/api/v1/orgs?offset=-1"), 400)
    assert body["details"] == [{"field": "offset", "message": "不能小于0"}]


def test_a_body_that_is_not_json_is_a_400(tree, dept_admin, call):
    body = error_of(call(dept_admin, "post", "/api/v1/orgs", "{not json"), 400)
    assert body["code"] == "bad_request" and "JSON" in body["message"]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ({"type": "missing"}, "必填"),
        ({"type": "int_parsing"}, "应为整数"),
        ({"type": "less_than_equal", "ctx": {"le": 500}}, "不能大于500"),
        ({"type": "enum", "ctx": {"expected": "'a', 'b' or 'c'"}}, "取值无效,应为:a、b、c"),
        ({"type": "something_new"}, "格式不正确"),
        ({"type": "less_than_equal"}, "格式不正确"),  # a template whose ctx is missing
    ],
)
def test_pydantic_error_types_read_as_chinese(error, message):
    assert validation_message(error) == message


def test_a_service_refusal_is_a_400_naming_its_field(tree, county_admin, call):
    body = error_of(call(county_admin, "patch", f"/api/v1/orgs/{tree['branch_a'].pk}", {"name": "  "}), 400)
    assert body == {"code": "invalid", "message": "名称不能为空。", "details": {"field": "name"}}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer dj_wrong", "Token abc"])
def test_no_or_a_bad_token_is_a_401(tree, client, header):
    headers = {"Authorization": header} if header else {}
    body = error_of(client.get("/api/v1/orgs", headers=headers), 401)
    assert body == {"code": "unauthorized", "message": "未登录或令牌无效", "details": {}}


def test_a_session_login_does_not_open_the_api(tree, dept_admin, login):
    # The API takes bearer tokens only, so a page session cannot be ridden by a cross-site request.
    error_of(login(dept_admin).get("/api/v1/orgs"), 401)


def test_a_role_that_may_not_do_this_is_a_403(tree, member_user, call):
    body = error_of(call(member_user, "patch", f"/api/v1/orgs/{tree['branch_a'].pk}", {"name": "新名"}), 403)
    assert body["code"] == "forbidden" and body["message"] == "您没有在“甲村党支部”修改信息的权限。"


def test_an_absent_or_hidden_record_is_the_same_404(tree, secretary, call):
    absent = error_of(call(secretary, "get", "/api/v1/orgs/999999"), 404)
    hidden = error_of(call(secretary, "get", f"/api/v1/orgs/{tree['branch_b'].pk}"), 404)
    assert absent == hidden == {"code": "not_found", "message": "未找到该记录,或您无权查看。", "details": {}}


def test_a_conflict_is_a_409(tree, county_admin, call):
    body = error_of(call(county_admin, "patch", f"/api/v1/orgs/{tree['branch_a'].pk}", {"code": "B1"}), 409)
    assert body["code"] == "conflict" and body["details"] == {"field": "code"}


def test_an_unexpected_failure_is_a_500_with_the_request_id(tree, county_admin, call, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "update_org", broken)
    response = call(county_admin, "patch", f"/api/v1/orgs/{tree['branch_a'].pk}", {"name": "新名"})
    body = error_of(response, 500)
    assert body["code"] == "server_error" and "disk full" not in response.content.decode()
    assert body["details"] == {"request_id": response["X-Request-ID"]}
