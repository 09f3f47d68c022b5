"""Changing one's own password: old password checked, the validators' Chinese messages, session kept."""

import re

import pytest
from django.urls import reverse

from conftest import PASSWORD
from dangjian.core.models import AuditEntry

URL = "/accounts/password/"
NEW = "Neu#2026pass"


def errors_of(body: str) -> str:
    """The form's error messages only, not its help texts."""
    return " ".join(
        re.findall(r'<div class="(?:invalid-feedback d-block|alert alert-danger)"[^>]*>(.*?)</div>', body)
    )


def change(client, old=PASSWORD, new=NEW, repeat=None):
    return client.post(URL, {"old_password": old, "new_password": new, "new_password2": repeat or new})


def test_it_changes_the_password_and_keeps_the_session(tree, secretary, client):
    client.force_login(secretary)
    response = change(client)
    assert response.status_code == 302 and response.url == URL
    secretary.refresh_from_db()
    assert secretary.check_password(NEW)
    # The session survives the new password hash, and the page says it worked.
    page = client.get(URL)
    assert page.status_code == 200 and "密码已修改" in page.content.decode()
    entry = AuditEntry.objects.get(action="user.change_password")
    assert (entry.object_id, entry.actor_name, entry.via) == (str(secretary.pk), "secretary", "page")
    assert NEW not in str(entry.before) + str(entry.after)


@pytest.mark.parametrize(
    ("old", "new", "repeat", "message"),
    [
        ("Wrong#2026", NEW, None, "原密码不正确。"),
        (PASSWORD, NEW, "Other#2026pass", "两次输入的新密码不一致。"),
        (PASSWORD, "abcdefgh", None, "密码须包含大写字母、小写字母、数字、特殊字符中的至少3类。"),
        (PASSWORD, "secretary#1A", None, "密码跟 用户名 太相似了。"),
        (PASSWORD, "Password1", None, "这个密码太常见了。"),
        (PASSWORD, "Ab1#cD", None, re.compile(r"密码太短,至少需要8个字符")),
    ],
)
def test_a_refused_change_says_why_in_chinese(tree, secretary, client, old, new, repeat, message):
    client.force_login(secretary)
    response = change(client, old, new, repeat)
    assert response.status_code == 200
    errors = errors_of(response.content.decode())
    assert message.search(errors) if isinstance(message, re.Pattern) else message in errors
    secretary.refresh_from_db()
    assert secretary.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="user.change_password").exists()


def test_the_form_explains_the_password_rules(tree, secretary, client):
    client.force_login(secretary)
    assert "大写字母、小写字母、数字、特殊字符中的至少3类" in client.get(URL).content.decode()


def test_anonymous_visitors_cannot_change_a_password(db, client):
    response = client.post(URL, {"old_password": PASSWORD, "new_password": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
