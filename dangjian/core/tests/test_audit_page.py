"""The audit log page: for the audit administrator only, filterable, paginated and read-only."""

import html
import re
from datetime import datetime

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.services import end_role
from dangjian.core import audit
from dangjian.core.models import AuditEntry
from dangjian.orgs import services

URL = "/audit/"
CHINA = timezone.get_fixed_timezone(480)


@pytest.fixture
def audit_client(client, auditor):
    client.force_login(auditor)
    return client


@pytest.fixture
def renames(tree, county_admin, dept_admin, actor_for):
    """Two renames on known days: 甲村党支部 by the county admin, 乙社区党支部 by the city admin."""
    with time_machine.travel(datetime(2025, 3, 1, 23, 30, tzinfo=CHINA), tick=False):
        services.update_org(actor_for(county_admin), tree["branch_a"], name="甲村第一党支部")
    with time_machine.travel(datetime(2025, 4, 1, 0, 30, tzinfo=CHINA), tick=False):
        services.update_org(actor_for(dept_admin, "api"), tree["branch_b"], name="乙社区第一党支部")


def seqs(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(s) for s in re.findall(r'<td class="text-end">(\d+)</td>', response.content.decode())]


def seqs_of(**lookup) -> list[int]:
    return list(AuditEntry.objects.filter(**lookup).order_by("-seq").values_list("seq", flat=True))


def test_the_auditor_reads_the_log_newest_first(tree, renames, audit_client):
    response = audit_client.get(URL)
    body = response.content.decode()
    assert seqs(response) == seqs_of()[:25]
    assert "2025年4月1日 00:30" in body and "乙社区第一党支部" in body and "接口" in body
    # The org column names the org by its code.
    assert f'<code title="组织路径 {tree["branch_b"].path}">B1</code>' in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"user": "county_admin"}, ["branch_a"]),
        ({"org": "A0"}, ["branch_a"]),
        ({"org": "C0"}, ["branch_b", "branch_a"]),
        ({"object_type": "orgs.org", "object_id": "branch_b"}, ["branch_b"]),
        ({"date_from": "2025-03-02"}, ["branch_b"]),
        ({"date_to": "2025-03-01"}, ["branch_a"]),
        ({"date_from": "2025-03-01", "date_to": "2025-03-31"}, ["branch_a"]),
        ({"date_from": "2025-04-01", "date_to": "2025-04-01"}, ["branch_b"]),
        ({"object_type": "accounts.user"}, []),
    ],
)
def test_the_auditor_filters_the_log(tree, renames, audit_client, params, expected):
    query = {"action": "org.update", **params}
    if "object_id" in params:
        query["object_id"] = str(tree[params["object_id"]].pk)
    wanted = [seqs_of(action="org.update", object_id=str(tree[name].pk))[0] for name in expected]
    assert seqs(audit_client.get(URL, query)) == wanted


def test_an_unknown_org_code_shows_an_error_and_no_entries(tree, renames, audit_client):
    response = audit_client.get(URL, {"org": "NOPE"})
    assert "组织编码“NOPE”不存在。" in response.content.decode() and seqs(response) == []


def test_a_reversed_date_range_is_refused(tree, renames, audit_client):
    response = audit_client.get(URL, {"date_from": "2025-04-01", "date_to": "2025-03-01"})
    assert "截止日期不能早于起始日期。" in response.content.decode() and seqs(response) == []


def test_the_log_is_paginated_by_25_with_a_fixed_number_of_queries(
    tree, county_admin, audit_client, actor_for, django_assert_max_num_queries
):
    for i in range(30):
        services.update_org(actor_for(county_admin), tree[("branch_a", "town_a")[i % 2]], name=f"第{i}次更名")
    everything = seqs_of()
    assert len(everything) > 25
    with django_assert_max_num_queries(10):
        first = seqs(audit_client.get(URL))
    assert first == everything[:25]
    assert seqs(audit_client.get(URL, {"page": 2})) == everything[25:50]


def test_the_detail_shows_before_and_after_with_masked_values_masked(
    tree, renames, audit_client, system_actor
):
    with transaction.atomic():
        audit.record(
            system_actor,
            "test.mask",
            tree["branch_a"],
            org=tree["branch_a"],
            before={"phone": "13800001111", "note": "旧"},
            after={"phone": "13900002222", "note": "新"},
            sensitive=["phone"],
        )
    body = html.unescape(audit_client.get(URL, {"action": "test.mask"}).content.decode())
    assert "13800001111" not in body and "13900002222" not in body
    assert '"phone": "******"' in body and '"note": "旧"' in body and '"note": "新"' in body
    rename = html.unescape(audit_client.get(URL, {"action": "org.update", "org": "A2"}).content.decode())
    assert '"name": "甲村党支部"' in rename and '"name": "甲村第一党支部"' in rename


def test_the_page_is_read_only(tree, renames, audit_client):
    count = AuditEntry.objects.count()
    for method in ("post", "put", "patch", "delete"):
        assert getattr(audit_client, method)(URL).status_code == 405
    assert AuditEntry.objects.count() == count


@pytest.mark.parametrize(
    "persona",
    [
        "dept_admin",
        "county_admin",
        "secretary",
        "member_user",
        "outsider",
        "stranger",
        "sysadmin",
        "secadmin",
    ],
)
def test_nobody_but_the_auditor_opens_the_page(tree, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(db, client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url == f"{reverse('accounts:login')}?next={URL}"


def test_an_ended_audit_role_no_longer_opens_the_page(tree, auditor, secadmin, client, actor_for):
    end_role(actor_for(secadmin), auditor.role_assignments.get())
    client.force_login(auditor)
    assert client.get(URL).status_code == 403
