"""The login page: generic message on failure, lockout, safe ?next=, logout by POST, idle timeout."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from dangjian.core.models import AuditEntry

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(480))
LOGIN = "/accounts/login/"
GENERIC = "用户名或密码错误。"


def log_in(client, username="secretary", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def logged_in_as(client):
    return client.session.get("_auth_user_id")


def test_the_login_page_shows_no_menu(db, client):
    response = client.get(LOGIN)
    body = response.content.decode()
    assert response.status_code == 200
    assert "登录党建云" in body and 'name="password"' in body
    assert "主菜单" not in body and reverse("accounts:logout") not in body


def test_it_logs_in_and_goes_to_the_workbench(tree, secretary, client):
    response = log_in(client)
    assert response.status_code == 302 and response.url == reverse("core:home")
    assert logged_in_as(client) == str(secretary.pk)
    assert AuditEntry.objects.filter(action="user.login", object_id=str(secretary.pk), via="page").exists()


@pytest.mark.parametrize(("username", "password"), [("secretary", "wrong-Pass1"), ("nobody", PASSWORD)])
def test_a_wrong_password_or_user_gets_one_generic_message(tree, secretary, client, username, password):
    response = log_in(client, username, password)
    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert logged_in_as(client) is None


def test_a_disabled_account_cannot_log_in(tree, secretary, client):
    secretary.is_active = False
    secretary.save()
    assert GENERIC in log_in(client).content.decode()
    assert logged_in_as(client) is None


def test_five_failures_lock_the_account_for_fifteen_minutes(tree, secretary, client):
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            assert GENERIC in log_in(client, password="wrong").content.decode()
        fifth = log_in(client, password="wrong").content.decode()
        assert "账号已锁定15分钟" in fifth and "解锁时间:2026年3月2日 09:15" in fifth
        refused = log_in(client).content.decode()
        assert "已锁定" in refused and "2026年3月2日 09:15" in refused
    with time_machine.travel(START + timedelta(minutes=14, seconds=59), tick=False):
        assert "已锁定" in log_in(client).content.decode()
        assert logged_in_as(client) is None
    with time_machine.travel(START + timedelta(minutes=15), tick=False):
        assert log_in(client).status_code == 302
        assert logged_in_as(client) == str(secretary.pk)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/accounts/tokens/", "/accounts/tokens/"),
        ("/orgs/?within=1", "/orgs/?within=1"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example/", None),
        ("http://testserver/accounts/tokens/", None),
        ("javascript:alert(1)", None),
    ],
)
def test_next_is_honoured_only_for_local_paths(tree, secretary, client, target, expected):
    response = client.post(f"{LOGIN}?next={target}", {"username": "secretary", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == (expected or reverse("core:home"))


def test_next_survives_a_failed_attempt(tree, secretary, client):
    body = client.post(
        LOGIN, {"username": "secretary", "password": "wrong", "next": "/accounts/tokens/"}
    ).content.decode()
    assert 'name="next" value="/accounts/tokens/"' in body
    response = log_in(client, next="/accounts/tokens/")
    assert response.url == "/accounts/tokens/"


def test_a_logged_in_user_opening_the_login_page_goes_on(tree, secretary, client):
    client.force_login(secretary)
    response = client.get(f"{LOGIN}?next=/accounts/tokens/")
    assert response.status_code == 302 and response.url == "/accounts/tokens/"


def test_logout_is_post_only_and_says_goodbye(tree, secretary, client):
    client.force_login(secretary)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert logged_in_as(client) == str(secretary.pk)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    assert "您已退出" in response.content.decode()
    assert logged_in_as(client) is None


def test_an_idle_session_ends_after_thirty_minutes(tree, secretary, client):
    tokens = reverse("accounts:tokens")
    with time_machine.travel(START, tick=False):
        log_in(client)
    # Each request restarts the idle clock, so steady work keeps the session alive.
    with time_machine.travel(START + timedelta(minutes=29), tick=False):
        assert client.get(tokens).status_code == 200
    with time_machine.travel(START + timedelta(minutes=58), tick=False):
        assert client.get(tokens).status_code == 200
    with time_machine.travel(START + timedelta(minutes=88, seconds=1), tick=False):
        response = client.get(tokens)
        assert response.status_code == 302 and response.url.startswith(LOGIN)
