"""The administration pages of the code tables: a top org's department admin adds a kind and a new
version of a frequency rule; everyone else is refused."""

from datetime import date

import pytest

from dangjian.activities import queries
from dangjian.activities.models import ActivityKind, ComplianceRule
from dangjian.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_admin_adds_a_kind_on_the_page(frozen_today, dept_admin, login):
    client = login(dept_admin)
    page = client.get("/activities/rules/").content.decode()
    assert "/activities/rules/kinds/new/" in page and "/activities/rules/new/?from=" in page
    response = client.post(
        "/activities/rules/kinds/new/",
        {"name": "红色观影", "code": "red_film", "category": "education", "default_study_hours": "2"},
    )
    assert response.status_code == 302 and response.url == "/activities/rules/"
    kind = ActivityKind.objects.get(code="red_film")
    assert kind.name == "红色观影" and kind.default_study_hours == 2
    assert AuditEntry.objects.filter(action="activities.add_kind", actor=dept_admin).exists()
    again = client.post(
        "/activities/rules/kinds/new/",
        {"name": "红色观影", "code": "red_film2", "category": "education", "default_study_hours": "2"},
    )
    assert again.status_code == 200 and "已存在" in again.content.decode()
    bad = client.post(
        "/activities/rules/kinds/new/",
        {"name": "观影", "code": "红色", "category": "education", "default_study_hours": "0"},
    )
    assert "代码只能由英文字母、数字和下划线组成" in bad.content.decode()


def test_a_new_rule_version_applies_from_its_date(frozen_today, dept_admin, login):
    old = ComplianceRule.objects.get(kind__code="general_meeting", applies_to="branch", effective_until=None)
    client = login(dept_admin)
    form = client.get(f"/activities/rules/new/?from={old.pk}").content.decode()
    assert old.source in form
    response = client.post(
        "/activities/rules/new/",
        {
            "kind": "general_meeting",
            "label": "支部党员大会",
            "frequency": "month",
            "times": 1,
            "applies_to": "branch",
            "effective_from": "2026-01-01",
            "source": "本地试行规定",
        },
    )
    assert response.status_code == 302
    assert "自2026年1月1日起适用" in client.get("/activities/rules/").content.decode()
    old.refresh_from_db()
    assert old.effective_until == date(2026, 1, 1)
    new = ComplianceRule.objects.get(kind__code="general_meeting", applies_to="branch", effective_until=None)
    assert new.frequency == "month" and new.effective_from == date(2026, 1, 1)
    # The day before the new version, the old one is in force; on its first day, the new one.
    in_force = {r.pk for r in queries.rules_in_force(date(2025, 12, 31))}
    assert old.pk in in_force and new.pk not in in_force
    in_force = {r.pk for r in queries.rules_in_force(date(2026, 1, 1))}
    assert new.pk in in_force and old.pk not in in_force


def test_others_are_refused(frozen_today, secretary, county_admin, outsider, login):
    for user in (secretary, county_admin, outsider):
        client = login(user)
        assert "/activities/rules/kinds/new/" not in client.get("/activities/rules/").content.decode()
        assert client.get("/activities/rules/kinds/new/").status_code == 403
        response = client.post(
            "/activities/rules/kinds/new/",
            {"name": "越权", "code": "x", "category": "education", "default_study_hours": "0"},
        )
        assert response.status_code == 403
        assert client.get("/activities/rules/new/").status_code == 403
    assert not ActivityKind.objects.filter(code="x").exists()
