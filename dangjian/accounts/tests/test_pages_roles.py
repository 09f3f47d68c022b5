"""The security administrator's role pages: list with filters, grant by username and org code, end."""

import pytest
from django.urls import reverse

from conftest import make_user
from dangjian.accounts.models import RoleAssignment
from dangjian.accounts.roles import Role
from dangjian.accounts.services import end_role
from dangjian.core.models import AuditEntry

LIST = "/accounts/roles/"
GRANT = "/accounts/roles/grant/"


@pytest.fixture
def sec_client(client, secadmin):
    client.force_login(secadmin)
    return client


def usernames(body: str) -> set[str]:
    return {
        name for name in ("secretary", "member_user", "outsider", "sysadmin", "auditor") if f">{name}" in body
    }


def test_the_list_shows_active_grants_with_their_org(tree, sec_client, secretary, outsider, sysadmin):
    body = sec_client.get(LIST).content.decode()
    assert usernames(body) == {"secretary", "outsider", "sysadmin"}
    assert "甲村党支部 <code>A2</code>" in body and "系统管理员" in body


def test_the_list_filters_by_role_and_username(tree, sec_client, secretary, member_user, sysadmin):
    assert usernames(sec_client.get(LIST, {"role": "member"}).content.decode()) == {"member_user"}
    assert usernames(sec_client.get(LIST, {"username": "SECRET"}).content.decode()) == {"secretary"}


def test_ended_grants_show_only_with_the_toggle(tree, sec_client, secadmin, secretary, outsider, actor_for):
    end_role(actor_for(secadmin), secretary.role_assignments.get())
    assert usernames(sec_client.get(LIST).content.decode()) == {"outsider"}
    with_ended = sec_client.get(LIST, {"ended": "on"}).content.decode()
    assert usernames(with_ended) == {"outsider", "secretary"}


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    tree, sec_client, django_assert_max_num_queries
):
    for i in range(30):
        make_user(f"m{i:02d}", Role.MEMBER, tree["branch_a"])
    with django_assert_max_num_queries(9):
        body = sec_client.get(LIST).content.decode()
    assert body.count("甲村党支部 <code>") == 25 and "第 1 / 2 页" in body


def test_the_grant_form_suggests_orgs_from_the_org_picker(tree, sec_client):
    body = sec_client.get(GRANT).content.decode()
    assert 'list="org-options"' in body and '<datalist id="org-options">' in body
    assert f'hx-get="{reverse("orgs:select")}"' in body and 'hx-params="q"' in body


def test_it_grants_a_party_role_at_an_org_by_its_code(tree, sec_client, stranger, secadmin):
    response = sec_client.post(GRANT, {"username": "stranger", "role": "secretary", "org_code": "B1"})
    assert response.status_code == 302 and response.url == LIST
    assignment = RoleAssignment.objects.get(user=stranger)
    assert (assignment.role, assignment.org, assignment.granted_by) == (
        "secretary",
        tree["branch_b"],
        secadmin,
    )
    entry = AuditEntry.objects.get(action="role.grant", object_id=str(assignment.pk))
    assert (entry.actor_name, entry.via, entry.org_path) == ("secadmin", "page", tree["branch_b"].path)


def test_it_grants_a_system_role_without_an_org(tree, sec_client, stranger):
    sec_client.post(GRANT, {"username": "stranger", "role": "audit_admin", "org_code": ""})
    assignment = RoleAssignment.objects.get(user=stranger)
    assert assignment.role == "audit_admin" and assignment.org is None
    assert AuditEntry.objects.filter(action="role.grant", object_id=str(assignment.pk)).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "secretary", "org_code": ""}, "书记须指定所在党组织。"),
        ({"org_code": "NOPE"}, "组织编码“NOPE”不存在或该组织已撤销。"),
        ({"username": "nobody"}, "用户“nobody”不存在。"),
        ({"username": "secadmin"}, "不能给自己授予角色。"),
        ({"username": "secretary", "org_code": "A2"}, "该用户已持有此角色。"),
        ({"role": "king"}, "选择一个有效的选项"),
    ],
)
def test_a_refused_grant_says_why(tree, sec_client, stranger, secretary, data, message):
    before = RoleAssignment.objects.count()
    form = {"username": "stranger", "role": "secretary", "org_code": "A2", **data}
    response = sec_client.post(GRANT, form)
    assert response.status_code == 200 and message in response.content.decode()
    assert RoleAssignment.objects.count() == before
    assert not AuditEntry.objects.filter(action="role.grant").exists()


def test_it_ends_a_grant(tree, sec_client, secretary):
    assignment = secretary.role_assignments.get()
    response = sec_client.post(reverse("accounts:role_end", args=[assignment.pk]), follow=True)
    assert "已终止" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    entry = AuditEntry.objects.get(action="role.end", object_id=str(assignment.pk))
    assert entry.actor_name == "secadmin" and entry.after["ended_at"] is not None


def test_ending_an_ended_grant_says_so(tree, sec_client, secadmin, secretary, actor_for):
    assignment = end_role(actor_for(secadmin), secretary.role_assignments.get())
    response = sec_client.post(reverse("accounts:role_end", args=[assignment.pk]), follow=True)
    assert "该授权已终止。" in response.content.decode()
    assert AuditEntry.objects.filter(action="role.end").count() == 1


def test_ending_needs_a_post_and_a_real_grant(tree, sec_client, secretary):
    assignment = secretary.role_assignments.get()
    assert sec_client.get(reverse("accounts:role_end", args=[assignment.pk])).status_code == 405
    assert sec_client.post(reverse("accounts:role_end", args=[999999])).status_code == 404
    assignment.refresh_from_db()
    assert assignment.ended_at is None
