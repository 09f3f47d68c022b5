"""The three system roles see no party data, and the audit administrator cannot change anything.

Separation of duties (accounts/roles.py): the system administrator manages logins, the security
administrator grants roles, the audit administrator reads the log — none of them reads the org tree.
The test walks every page URL of the resolver and every /api/v1/orgs route with each of them, so new
pages are checked without being listed here; only the pages a role owns are skipped.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD
from dangjian.accounts import services as account_services
from dangjian.accounts.models import ApiToken, RoleAssignment, User
from dangjian.api import api
from dangjian.core.models import AuditEntry, ImportBatch
from dangjian.core.tests.walking import OPENAPI_PARAM, PARAM, fill, page_routes, text_of
from dangjian.orgs.models import Org, OrgEvent

TREE_NAMES = ["测试市委", "甲县委", "甲镇党委", "甲村党支部", "乙县委", "乙社区党支部"]

# The pages each role exists to use. They are checked by their own tests, not here.
OWN_PAGES = {
    "sysadmin": {"accounts:user_list", "accounts:user_create", "accounts:user_detail"},
    # orgs:select gives the security administrator org names and codes: needed to grant party roles.
    "secadmin": {"accounts:role_list", "accounts:role_grant", "accounts:role_end", "orgs:select"},
    # The log names the objects that were written, org names included: that is what it is for.
    "auditor": {"core:audit_list"},
}
# The auditor's own account: changing one's own password, issuing or revoking one's own API token and
# logging out are writes to one's own login, not to anything the audit role is separated from.
AUDITOR_OWN_ACCOUNT = {
    "accounts:password_change",
    "accounts:tokens",
    "accounts:token_revoke",
    "accounts:logout",
}


def assert_no_party_data(response, where):
    if response.status_code != 200:
        return
    body = text_of(response)
    for name in TREE_NAMES:
        assert name not in body, f"{where} answered 200 and showed {name}"


@pytest.fixture
def party_ids(tree, dept_admin, county_admin, secretary, member_user):
    """Ids of party records and of the people who hold party roles: every org, its events, a batch."""
    batch = ImportBatch.objects.create(
        kind="orgs", file_name="甲县委组织.xlsx", content=b"", created_by=county_admin
    )
    return sorted(
        {org.pk for org in tree.values()}
        | set(OrgEvent.objects.values_list("pk", flat=True)[:6])
        | set(RoleAssignment.objects.values_list("pk", flat=True))
        | {batch.pk}
    )


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditor"])
def test_system_roles_see_no_party_data_on_any_page(tree, party_ids, client, request, persona):
    user = request.getfixturevalue(persona)
    walked = set()
    city = tree["city"].pk
    for route, name in page_routes():
        if name in OWN_PAGES[persona]:
            continue
        has_param = bool(PARAM.search(route))
        for value in party_ids if has_param else [None]:
            url = "/" + fill(route, value)
            queries = [""] if has_param else ["", f"?within={city}&parent={city}&org={city}&q=县委"]
            for query in queries:
                client.force_login(user)  # again each time: the walk also meets the logout URL
                response = client.get(url + query)
                assert_no_party_data(response, f"{persona} GET {url}{query}")
                if has_param:
                    assert response.status_code in (403, 404, 405), (
                        f"{persona} GET {url}: {response.status_code}"
                    )
        walked.add(name)
    # The org pages must have been walked, or the test proves nothing.
    assert {"orgs:list", "orgs:detail", "orgs:tree_children", "org_io:export", "imports:list"} <= walked


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditor"])
def test_system_roles_see_no_party_data_through_the_api(tree, client, request, persona, actor_for):
    _, raw = account_services.issue_token(actor_for(request.getfixturevalue(persona), "api"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    walked = 0
    for route, operations in api.get_openapi_schema()["paths"].items():
        if not route.startswith("/api/v1/orgs") or "get" not in operations:
            continue
        has_param = bool(OPENAPI_PARAM.search(route))
        for org in tree.values():
            url = OPENAPI_PARAM.sub(str(org.pk), route)
            query = "" if has_param else f"?within={org.pk}"
            for extra in {query, ""}:
                response = client.get(url + extra, **headers)
                assert_no_party_data(response, f"{persona} GET {url}{extra}")
                if has_param or extra:
                    assert response.status_code in (403, 404), f"{persona} GET {url}{extra}"
                walked += 1
        if not has_param:
            listed = client.get(route, **headers)
            assert listed.status_code != 200 or listed.json()["count"] == 0
    assert walked >= 12, "the walk found too few org routes"


def state(auditor):
    """Everything a write could change, except the auditor's own login and tokens."""
    return (
        sorted(Org.objects.values_list("pk", "name", "code", "path", "status", "kind", "sector")),
        sorted(OrgEvent.objects.values_list("pk", "kind", "occurred_on")),
        sorted(
            User.objects.exclude(pk=auditor.pk).values_list(
                "pk", "username", "password", "is_active", "locked_until", "failed_logins"
            )
        ),
        sorted(RoleAssignment.objects.values_list("pk", "user_id", "role", "org_id", "ended_at")),
        sorted(ApiToken.objects.exclude(user=auditor).values_list("pk", "revoked_at")),
        sorted(ImportBatch.objects.values_list("pk", "status")),
        User.objects.count(),
        ApiToken.objects.count(),
        AuditEntry.objects.count(),
    )


def plausible_form(tree):
    """Values for every field the write pages ask for, so a page that wrongly allowed the write would do it."""
    return {
        "name": "审计篡改支部",
        "short_name": "篡改",
        "kind": "branch",
        "sector": "other",
        "code": "HACK1",
        "founded_on": "2025-01-01",
        "occurred_on": "2025-01-02",
        "document_number": "审〔2025〕1号",
        "reason": "篡改",
        "note": "篡改",
        "confirm": "on",
        "parent": tree["county_a"].pk,
        "new_parent_code": "B0",
        "org": tree["branch_a"].pk,
        "org_code": "A2",
        "within": tree["city"].pk,
        "username": "auditor_friend",
        "display_name": "帮手",
        "new_password": "Hack#2026pass",
        "new_password2": "Hack#2026pass",
        "role": "department_admin",
        "action": "disable",
        "file": SimpleUploadedFile("orgs.csv", "名称,组织编码,上级组织编码\n篡改支部,HACK2,A0\n".encode()),
    }


@pytest.fixture
def others_records(party_ids, sysadmin, secadmin, stranger, county_admin, actor_for):
    """More ids for the write walk: users, a foreign token, besides the party records."""
    token, _ = account_services.issue_token(actor_for(county_admin, "api"))
    return sorted(set(party_ids) | {sysadmin.pk, secadmin.pk, stranger.pk, county_admin.pk, token.pk})


def test_the_auditor_changes_nothing_through_any_page(tree, auditor, others_records, client):
    before = state(auditor)
    walked = set()
    for route, name in page_routes():
        if name in AUDITOR_OWN_ACCOUNT:
            continue
        for value in others_records if PARAM.search(route) else [None]:
            client.force_login(auditor)
            client.post("/" + fill(route, value), plausible_form(tree))
        walked.add(name)
    assert {
        "orgs:create_child",
        "orgs:dissolve",
        "org_io:import",
        "accounts:role_grant",
        "accounts:user_detail",
    } <= walked
    assert state(auditor) == before
    assert not User.objects.filter(username="auditor_friend").exists()
    auditor.refresh_from_db()
    assert auditor.check_password(PASSWORD) and auditor.is_active


def test_the_auditor_changes_nothing_through_the_api(tree, auditor, others_records, client, actor_for):
    _, raw = account_services.issue_token(actor_for(auditor, "api"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = {
        "parent_id": tree["county_a"].pk,
        "name": "审计篡改支部",
        "kind": "branch",
        "code": "HACK1",
        "occurred_on": "2025-01-02",
    }
    before = state(auditor)
    walked = 0
    for route, operations in api.get_openapi_schema()["paths"].items():
        # /auth is the auditor's own token: issuing and revoking it is their own account.
        if route.startswith("/api/v1/auth"):
            continue
        for method in set(operations) & {"post", "put", "patch", "delete"}:
            for value in others_records if OPENAPI_PARAM.search(route) else [None]:
                url = OPENAPI_PARAM.sub(str(value), route)
                response = getattr(client, method)(url, data=body, content_type="application/json", **headers)
                assert response.status_code in (403, 404, 405), (
                    f"{method.upper()} {url}: {response.status_code}"
                )
                walked += 1
    assert walked >= 2, "the walk found too few write routes"
    assert state(auditor) == before
