"""The API token page: the raw token shown once, own tokens listed and revoked, others' tokens unseen."""

import re

from django.urls import reverse

from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import hash_token, issue_token
from dangjian.core.models import AuditEntry

URL = "/accounts/tokens/"
RAW = re.compile(r'value="(dj_[A-Za-z0-9_-]+)"')


def test_a_new_token_is_shown_once(tree, secretary, client):
    client.force_login(secretary)
    response = client.post(URL, {"name": "统计脚本"})
    assert response.status_code == 200
    raw = RAW.search(response.content.decode()).group(1)
    token = ApiToken.objects.get(user=secretary)
    assert token.key_hash == hash_token(raw) and token.name == "统计脚本"
    assert AuditEntry.objects.filter(action="token.issue", object_id=str(token.pk)).exists()
    # The raw token works against the API, and the page never shows it again.
    api = client.get("/api/v1/auth/tokens", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200
    again = client.get(URL).content.decode()
    assert raw not in again
    assert f"{token.prefix}…" in again and "统计脚本" in again


def test_the_list_shows_only_own_tokens(tree, secretary, outsider, client, actor_for):
    mine, _ = issue_token(actor_for(secretary), name="我的令牌")
    theirs, _ = issue_token(actor_for(outsider), name="别人的令牌")
    client.force_login(secretary)
    body = client.get(URL).content.decode()
    assert "我的令牌" in body and "别人的令牌" not in body and theirs.prefix not in body


def test_it_revokes_an_own_token(tree, secretary, client, actor_for):
    token, raw = issue_token(actor_for(secretary), name="旧脚本")
    client.force_login(secretary)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302 and response.url == URL
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="token.revoke", object_id=str(token.pk), via="page").exists()
    assert client.get("/api/v1/auth/tokens", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert "已吊销" in client.get(URL).content.decode()


def test_someone_elses_token_is_not_found(tree, secretary, outsider, client, actor_for):
    theirs, _ = issue_token(actor_for(outsider))
    client.force_login(secretary)
    assert client.post(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("accounts:token_revoke", args=[theirs.pk + 1000])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert not AuditEntry.objects.filter(action="token.revoke").exists()


def test_revoking_needs_a_post(tree, secretary, client, actor_for):
    token, _ = issue_token(actor_for(secretary))
    client.force_login(secretary)
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_too_long_name_is_refused(tree, secretary, client):
    client.force_login(secretary)
    response = client.post(URL, {"name": "长" * 101})
    assert response.status_code == 200 and not ApiToken.objects.exists()
    assert "dj_" not in response.content.decode()
