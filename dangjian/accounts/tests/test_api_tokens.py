from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from conftest import PASSWORD
from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import hash_token
from dangjian.core.models import AuditEntry

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(480))


def ask_token(client, username, password, **extra):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password, **extra},
        content_type="application/json",
    )


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_it_issues_a_token_that_opens_the_api(secretary, client):
    response = ask_token(client, "secretary", PASSWORD, name="统计脚本")
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("dj_")
    token = ApiToken.objects.get(user=secretary)
    assert token.name == "统计脚本" and token.key_hash == hash_token(body["token"])
    # JSON carries milliseconds.
    assert abs(datetime.fromisoformat(body["expires_at"]) - token.expires_at) < timedelta(milliseconds=1)
    assert client.get("/api/v1/orgs", headers=bearer(body["token"])).status_code == 200
    assert AuditEntry.objects.filter(action="token.issue", via="api", actor_name="secretary").exists()
    assert AuditEntry.objects.filter(action="user.login", via="api", actor_name="secretary").exists()


def test_it_refuses_wrong_credentials_with_the_login_message(secretary, client):
    for username, password in (("secretary", "wrong-password"), ("nobody", PASSWORD)):
        response = ask_token(client, username, password)
        assert response.status_code == 401
        assert response.json() == {"code": "login_failed", "message": "用户名或密码错误。", "details": {}}
    assert not ApiToken.objects.exists()


def test_it_locks_the_account_after_five_wrong_passwords_for_fifteen_minutes(secretary, client):
    with time_machine.travel(START, tick=False):
        messages = [ask_token(client, "secretary", "wrong-password").json()["message"] for _ in range(5)]
        assert "账号已锁定15分钟" in messages[-1]
        refused = ask_token(client, "secretary", PASSWORD)
        assert refused.status_code == 401 and "已锁定" in refused.json()["message"]
    with time_machine.travel(START + timedelta(minutes=14, seconds=59), tick=False):
        assert "已锁定" in ask_token(client, "secretary", PASSWORD).json()["message"]
    with time_machine.travel(START + timedelta(minutes=15, seconds=1), tick=False):
        assert ask_token(client, "secretary", PASSWORD).status_code == 200
    assert ApiToken.objects.filter(user=secretary).count() == 1


def test_it_lists_only_the_callers_own_tokens_without_their_hash(secretary, outsider, client):
    raw = ask_token(client, "secretary", PASSWORD, name="一").json()["token"]
    ask_token(client, "secretary", PASSWORD, name="二")
    ask_token(client, "outsider", PASSWORD, name="别人的")
    response = client.get("/api/v1/auth/tokens", headers=bearer(raw))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None
    assert [item["name"] for item in body["items"]] == ["二", "一"]
    assert set(body["items"][0]) == {
        "id",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    }
    assert body["items"][1]["last_used_at"] is not None  # the token in use was touched
    assert raw[:10] in {item["prefix"] for item in body["items"]}
    assert "key_hash" not in response.content.decode() and hash_token(raw) not in response.content.decode()


def test_a_revoked_token_no_longer_opens_the_api(secretary, client):
    raw = ask_token(client, "secretary", PASSWORD).json()["token"]
    other = ask_token(client, "secretary", PASSWORD).json()["token"]
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    response = client.delete(f"/api/v1/auth/tokens/{token.pk}", headers=bearer(other))
    assert response.status_code == 200 and response.json()["revoked_at"] is not None
    refused = client.get("/api/v1/orgs", headers=bearer(raw))
    assert refused.status_code == 401
    assert refused.json() == {"code": "unauthorized", "message": "未登录或令牌无效", "details": {}}
    assert client.get("/api/v1/orgs", headers=bearer(other)).status_code == 200
    entry = AuditEntry.objects.get(action="token.revoke")
    assert (entry.via, entry.object_id) == ("api", str(token.pk))


def test_a_token_can_revoke_itself(secretary, client):
    raw = ask_token(client, "secretary", PASSWORD).json()["token"]
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    assert client.delete(f"/api/v1/auth/tokens/{token.pk}", headers=bearer(raw)).status_code == 200
    assert client.get("/api/v1/auth/tokens", headers=bearer(raw)).status_code == 401


def test_an_expired_token_no_longer_opens_the_api(secretary, client, settings):
    with time_machine.travel(START, tick=False):
        raw = ask_token(client, "secretary", PASSWORD).json()["token"]
    days = settings.API_TOKEN_DAYS
    with time_machine.travel(START + timedelta(days=days, seconds=-1), tick=False):
        assert client.get("/api/v1/orgs", headers=bearer(raw)).status_code == 200
    with time_machine.travel(START + timedelta(days=days, seconds=1), tick=False):
        assert client.get("/api/v1/orgs", headers=bearer(raw)).status_code == 401


def test_another_users_token_cannot_be_revoked_and_is_not_found(secretary, outsider, client):
    mine = ask_token(client, "secretary", PASSWORD).json()["token"]
    theirs = ask_token(client, "outsider", PASSWORD).json()["token"]
    their_token = ApiToken.objects.get(key_hash=hash_token(theirs))
    response = client.delete(f"/api/v1/auth/tokens/{their_token.pk}", headers=bearer(mine))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    their_token.refresh_from_db()
    assert their_token.revoked_at is None
    assert client.get("/api/v1/orgs", headers=bearer(theirs)).status_code == 200


def test_token_routes_need_a_token(secretary, client):
    for header in ({}, bearer("dj_not-a-real-token"), {"Authorization": "Basic c2VjcmV0YXJ5Og=="}):
        assert client.get("/api/v1/auth/tokens", headers=header).status_code == 401
        assert client.delete("/api/v1/auth/tokens/1", headers=header).status_code == 401


def test_a_disabled_users_token_stops_working(secretary, client):
    raw = ask_token(client, "secretary", PASSWORD).json()["token"]
    secretary.is_active = False
    secretary.save(update_fields=["is_active"])
    assert client.get("/api/v1/orgs", headers=bearer(raw)).status_code == 401
