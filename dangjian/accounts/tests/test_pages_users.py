"""The system administrator's user pages: search, create, disable, unlock, reset — each write audited."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, make_user
from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.core.errors import NotPermitted
from dangjian.core.models import AuditEntry

LIST = "/accounts/users/"
NEW_PASSWORD = "Neu#2026pass"


@pytest.fixture
def admin_client(client, sysadmin):
    client.force_login(sysadmin)
    return client


def detail(user):
    return reverse("accounts:user_detail", args=[user.pk])


def audited(action, user) -> AuditEntry:
    return AuditEntry.objects.get(action=action, object_id=str(user.pk), actor_name="sysadmin", via="page")


def test_the_list_searches_by_username_and_name(db, admin_client):
    User.objects.bulk_create(
        [User(username="zhangsan", display_name="张三"), User(username="lisi", display_name="李四")]
    )
    by_name = admin_client.get(LIST, {"q": "张"}).content.decode()
    assert "zhangsan" in by_name and "lisi" not in by_name
    by_username = admin_client.get(LIST, {"q": "LIS"}).content.decode()
    assert "lisi" in by_username and "zhangsan" not in by_username


def test_the_list_shows_disabled_and_locked_accounts(db, admin_client):
    make_user("gone", is_active=False)
    make_user("locked", locked_until=timezone.now() + timedelta(minutes=10))
    body = admin_client.get(LIST).content.decode()
    rows = dict(re.findall(r'<a href="/accounts/users/\d+/">(\w+)</a></td>(.*?)</tr>', body, re.DOTALL))
    assert "已停用" in rows["gone"] and "已锁定" in rows["locked"] and "正常" in rows["sysadmin"]


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    db, admin_client, django_assert_max_num_queries
):
    for i in range(30):
        make_user(f"user{i:02d}")
    with django_assert_max_num_queries(9):
        first = admin_client.get(LIST).content.decode()
    assert "user00" in first and "user30" not in first and "第 1 / 2 页" in first
    second = admin_client.get(LIST, {"page": 2}).content.decode()
    assert "user29" in second and "user00" not in second


def test_it_creates_a_user(db, admin_client):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "wangwu",
            "display_name": "王五",
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    user = User.objects.get(username="wangwu")
    assert response.status_code == 302 and response.url == detail(user)
    assert user.display_name == "王五" and user.check_password(NEW_PASSWORD)
    assert not user.role_assignments.exists()  # roles are the security administrator's to grant
    assert audited("user.create", user).after["username"] == "wangwu"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "sysadmin"}, "用户名“sysadmin”已存在。"),
        ({"new_password": "abcdefgh", "new_password2": "abcdefgh"}, "密码须包含大写字母"),
        ({"new_password2": "Other#2026pass"}, "两次输入的新密码不一致。"),
        ({"username": ""}, "这个字段是必填项。"),
    ],
)
def test_a_refused_user_says_why(db, admin_client, data, message):
    form = {"username": "wangwu", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **data}
    response = admin_client.post(reverse("accounts:user_create"), form)
    assert response.status_code == 200 and message in response.content.decode()
    assert not User.objects.filter(username="wangwu").exists()
    assert not AuditEntry.objects.filter(action="user.create").exists()


def test_it_disables_and_enables_an_account(tree, admin_client, secretary):
    admin_client.post(detail(secretary), {"action": "disable"})
    secretary.refresh_from_db()
    assert not secretary.is_active
    assert audited("user.disable", secretary).after["is_active"] is False
    admin_client.post(detail(secretary), {"action": "enable"})
    secretary.refresh_from_db()
    assert secretary.is_active
    assert audited("user.enable", secretary).before["is_active"] is False


def test_the_administrator_cannot_disable_their_own_account(db, admin_client, sysadmin):
    page = admin_client.get(detail(sysadmin)).content.decode()
    assert 'value="disable"' not in page
    response = admin_client.post(detail(sysadmin), {"action": "disable"}, follow=True)
    assert "不能停用自己的账号。" in response.content.decode()
    sysadmin.refresh_from_db()
    assert sysadmin.is_active


def test_it_unlocks_an_account(tree, admin_client, secretary, client):
    secretary.locked_until = timezone.now() + timedelta(minutes=10)
    secretary.failed_logins = 0
    secretary.save()
    assert "已锁定至" in admin_client.get(detail(secretary)).content.decode()
    admin_client.post(detail(secretary), {"action": "unlock"})
    secretary.refresh_from_db()
    assert not secretary.is_locked()
    assert audited("user.unlock", secretary).before["locked_until"] is not None


def test_it_resets_a_password(tree, admin_client, secretary):
    response = admin_client.post(
        detail(secretary),
        {"action": "reset_password", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "密码已重置" in response.content.decode()
    secretary.refresh_from_db()
    assert secretary.check_password(NEW_PASSWORD) and not secretary.check_password(PASSWORD)
    entry = audited("user.reset_password", secretary)
    assert NEW_PASSWORD not in f"{entry.before}{entry.after}"


def test_a_weak_reset_password_is_refused(tree, admin_client, secretary):
    response = admin_client.post(
        detail(secretary),
        {"action": "reset_password", "new_password": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert response.status_code == 200 and "密码须包含大写字母" in response.content.decode()
    secretary.refresh_from_db()
    assert secretary.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="user.reset_password").exists()


def test_an_unknown_action_changes_nothing(tree, admin_client, secretary):
    response = admin_client.post(detail(secretary), {"action": "grant_role"}, follow=True)
    assert "未知的操作。" in response.content.decode()
    assert AuditEntry.objects.filter(actor_name="sysadmin").count() == 0


def test_the_user_pages_show_no_party_data(tree, admin_client, secretary, county_admin):
    for url in (LIST, detail(secretary), detail(county_admin)):
        body = admin_client.get(url).content.decode()
        for name in ("测试市委", "甲县委", "甲村党支部", "书记", "组织部管理员"):
            assert name not in body, f"{url} shows {name}"


def test_an_unknown_user_is_not_found(db, admin_client):
    assert admin_client.get(reverse("accounts:user_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("persona", ["secadmin", "auditor", "dept_admin"])
def test_only_the_system_administrator_may_unlock_or_disable(tree, secretary, actor_for, request, persona):
    actor = actor_for(request.getfixturevalue(persona))
    secretary.locked_until = timezone.now() + timedelta(minutes=10)
    secretary.save()
    for call in (
        lambda: services.unlock_user(actor, secretary),
        lambda: services.set_user_active(actor, secretary, False),
    ):
        with pytest.raises(NotPermitted):
            call()
    secretary.refresh_from_db()
    assert secretary.is_locked() and secretary.is_active


def test_the_auditors_password_cannot_be_reset_on_a_page(tree, admin_client, auditor):
    # Resetting it would let the system administrator log in as the audit administrator.
    response = admin_client.post(
        detail(auditor),
        {"action": "reset_password", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert "不能在页面上重置系统管理类账号的密码" in response.content.decode()
    auditor.refresh_from_db()
    assert auditor.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="user.reset_password").exists()


def test_the_operator_resets_a_system_account_with_the_command(tree, auditor, monkeypatch):
    import io

    from django.core.management import call_command

    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    out = io.StringIO()
    call_command("reset_password", "auditor", "--stdin", stdout=out)
    auditor.refresh_from_db()
    assert auditor.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="user.reset_password", object_id=str(auditor.pk))
    assert entry.via == "command" and entry.actor_name == "命令 reset_password"
