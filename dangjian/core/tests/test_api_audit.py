"""GET /api/v1/audit: the audit log, for audit administrators only."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from dangjian.accounts.services import end_role, issue_token
from dangjian.core.audit import Actor
from dangjian.core.models import AuditEntry
from dangjian.orgs import services

CHINA = timezone.get_fixed_timezone(480)


@pytest.fixture
def get_as(client):
    def get(user, **params):
        _, raw = issue_token(Actor(user=user, via="api"))
        return client.get("/api/v1/audit", params, headers={"Authorization": f"Bearer {raw}"})

    return get


@pytest.fixture
def renames(tree, county_admin, dept_admin, actor_for):
    """Two renames on known days: 甲村党支部 by the county admin, 乙社区党支部 by the city admin."""
    with time_machine.travel(datetime(2025, 3, 1, 10, 0, tzinfo=CHINA), tick=False):
        services.update_org(actor_for(county_admin), tree["branch_a"], name="甲村第一党支部")
    with time_machine.travel(datetime(2025, 4, 1, 10, 0, tzinfo=CHINA), tick=False):
        services.update_org(actor_for(dept_admin, "api"), tree["branch_b"], name="乙社区第一党支部")


def items(response):
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_the_auditor_reads_the_log_newest_first(tree, auditor, renames, get_as):
    entries = items(get_as(auditor, action="org.update"))
    assert [e["object_repr"] for e in entries] == ["乙社区第一党支部", "甲村第一党支部"]
    newest = entries[0]
    assert set(newest) == {
        "seq",
        "occurred_at",
        "actor_name",
        "via",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "org_path",
        "before",
        "after",
        "request_id",
        "client_ip",
    }
    assert (newest["actor_name"], newest["via"], newest["object_type"]) == ("dept_admin", "api", "orgs.org")
    assert newest["object_id"] == str(tree["branch_b"].pk) and newest["org_path"] == tree["branch_b"].path
    assert (newest["before"]["name"], newest["after"]["name"]) == ("乙社区党支部", "乙社区第一党支部")
    seqs = [e["seq"] for e in items(get_as(auditor))]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == AuditEntry.objects.count()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "county_admin"}, ["甲村第一党支部"]),
        ({"org": "county_a"}, ["甲村第一党支部"]),
        ({"org": "city"}, ["乙社区第一党支部", "甲村第一党支部"]),
        ({"object_id": "branch_b"}, ["乙社区第一党支部"]),
        ({"since": "2025-03-15T00:00:00"}, ["乙社区第一党支部"]),
        ({"until": "2025-03-15"}, ["甲村第一党支部"]),
        ({"since": "2025-03-01T10:00:00+08:00", "until": "2025-03-01T10:00:01+08:00"}, ["甲村第一党支部"]),
        ({"since": "2025-03-01T10:00:01+08:00", "until": "2025-04-01T10:00:00+08:00"}, []),
        ({"object_type": "accounts.user"}, []),
    ],
)
def test_the_auditor_filters_the_log(tree, auditor, renames, get_as, params, expected):
    query = {"action": "org.update"}
    for key, value in params.items():
        query[key] = str(tree[value].pk) if key in ("org", "object_id") else value
    assert [e["object_repr"] for e in items(get_as(auditor, **query))] == expected


def test_an_unknown_org_filter_is_a_404(tree, auditor, get_as):
    response = get_as(auditor, org=999999)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_audit_log_is_paginated(tree, auditor, get_as):
    body = get_as(auditor, limit=2).json()
    assert body["count"] == AuditEntry.objects.count() and len(body["items"]) == 2
    assert body["next"].endswith("/api/v1/audit?limit=2&offset=2")


@pytest.mark.parametrize(
    "persona", ["dept_admin", "county_admin", "secretary", "sysadmin", "secadmin", "stranger"]
)
def test_nobody_but_the_auditor_reads_the_log(tree, get_as, persona, request):
    response = get_as(request.getfixturevalue(persona))
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "只有审计管理员可以查看审计日志。",
        "details": {"field": None},
    }


def test_an_ended_audit_role_no_longer_reads_the_log(tree, auditor, secadmin, actor_for, get_as):
    end_role(actor_for(secadmin), auditor.role_assignments.get())
    assert get_as(auditor).status_code == 403


def test_the_log_needs_a_token(db, client):
    assert client.get("/api/v1/audit").status_code == 401


def test_an_audit_entry_records_the_api_request(tree, county_admin, auditor, client, get_as):
    _, raw = issue_token(Actor(user=county_admin, via="api"))
    response = client.patch(
        f"/api/v1/orgs/{tree['branch_a'].pk}",
        {"name": "甲村新党支部", "occurred_on": str(timezone.localdate() - timedelta(days=1))},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "X-Real-IP": "10.1.2.3"},
    )
    assert response.status_code == 200
    entry = items(get_as(auditor, action="org.update"))[0]
    assert (entry["via"], entry["client_ip"], entry["request_id"]) == (
        "api",
        "10.1.2.3",
        response["X-Request-ID"],
    )
