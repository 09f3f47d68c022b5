"""Who may open the account pages: the system tools only for their own role, one's own pages for anyone."""

import pytest
from django.urls import reverse

PERSONAS = [
    "dept_admin",
    "county_admin",
    "secretary",
    "member_user",
    "outsider",
    "stranger",
    "sysadmin",
    "secadmin",
    "auditor",
]

# (URL name, needs an id, method, the one persona it belongs to)
SYSTEM_PAGES = [
    ("accounts:user_list", False, "get", "sysadmin"),
    ("accounts:user_create", False, "get", "sysadmin"),
    ("accounts:user_create", False, "post", "sysadmin"),
    ("accounts:user_detail", True, "get", "sysadmin"),
    ("accounts:user_detail", True, "post", "sysadmin"),
    ("accounts:role_list", False, "get", "secadmin"),
    ("accounts:role_grant", False, "get", "secadmin"),
    ("accounts:role_grant", False, "post", "secadmin"),
    ("accounts:role_end", True, "post", "secadmin"),
]
OWN_PAGES = ["accounts:password_change", "accounts:tokens"]


def url_for(name, needs_id, target):
    if not needs_id:
        return reverse(name)
    # A real object of the kind the page handles, so the owner's request would succeed.
    pk = target.pk if name == "accounts:user_detail" else target.role_assignments.get().pk
    return reverse(name, args=[pk])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "needs_id", "method", "owner"), SYSTEM_PAGES)
def test_system_pages_are_for_their_role_only(tree, client, request, persona, name, needs_id, method, owner):
    user = request.getfixturevalue(persona)
    target = request.getfixturevalue("member_user")
    url = url_for(name, needs_id, target)
    client.force_login(user)
    response = getattr(client, method)(url, {})
    if persona == owner:
        # An empty form is answered with the form again, or a redirect after a harmless action.
        assert response.status_code in (200, 302), (persona, name, response.status_code)
    else:
        assert response.status_code == 403, (persona, name, method, response.status_code)


@pytest.mark.parametrize(("name", "needs_id", "method", "owner"), SYSTEM_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(tree, client, member_user, name, needs_id, method, owner):
    url = url_for(name, needs_id, member_user)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", OWN_PAGES)
def test_everyone_has_their_own_password_and_token_pages(tree, client, request, persona, name):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", OWN_PAGES)
def test_own_pages_need_a_login(db, client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_the_menu_shows_each_system_tool_to_its_role_only(tree, client, sysadmin, secadmin, auditor):
    tools = {
        sysadmin: reverse("accounts:user_list"),
        secadmin: reverse("accounts:role_list"),
        auditor: reverse("core:audit_list"),
    }
    for user, own in tools.items():
        client.force_login(user)
        body = client.get(reverse("accounts:tokens")).content.decode()
        assert f'href="{own}"' in body
        for other in set(tools.values()) - {own}:
            assert f'href="{other}"' not in body
