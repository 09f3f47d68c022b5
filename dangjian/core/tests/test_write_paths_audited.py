"""Every route a write can take — page, API, management command, import — leaves an audit entry
naming that route, for each of the org writes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from dangjian.accounts import services as account_services
from dangjian.core.models import AuditEntry, ImportBatch
from dangjian.orgs.models import Org

pytestmark = pytest.mark.django_db


def entries(action, via):
    return AuditEntry.objects.filter(action=action, via=via)


def test_page_writes_are_audited(tree, dept_admin, login):
    client = login(dept_admin)
    client.post(
        reverse("orgs:create_child", args=[tree["town_a"].pk]),
        {"name": "甲村二支部", "kind": "branch", "sector": "village", "code": "N1"},
    )
    new = Org.objects.get(code="N1")
    client.post(
        reverse("orgs:edit", args=[new.pk]), {"name": "甲村第二支部", "sector": "village", "code": "N1"}
    )
    client.post(reverse("orgs:move", args=[tree["branch_a"].pk]), {"new_parent_code": "B0"})
    client.post(reverse("orgs:dissolve", args=[new.pk]), {"reason": "合并", "confirm": "on"})
    for action in ("org.create", "org.update", "org.move", "org.dissolve"):
        entry = entries(action, "page").get()
        assert entry.actor == dept_admin


def test_api_writes_are_audited(tree, dept_admin, client, actor_for):
    _, raw = account_services.issue_token(actor_for(dept_admin, "api"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.post(
        "/api/v1/orgs",
        {"parent_id": tree["town_a"].pk, "name": "甲村三支部", "kind": "branch", "code": "N2"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    client.patch(
        f"/api/v1/orgs/{response.json()['id']}",
        {"name": "甲村第三支部"},
        content_type="application/json",
        **headers,
    )
    assert entries("org.create", "api").count() == 1
    assert entries("org.update", "api").count() == 1
    assert entries("token.issue", "api").count() == 1


def test_command_and_import_writes_are_audited(tree, county_admin, login, tmp_path):
    csv = "组织名称,组织类别,组织编码,上级组织编码\n甲村四支部,党支部,N3,A1\n".encode()
    path = tmp_path / "orgs.csv"
    path.write_bytes(csv)
    call_command("import_orgs", str(path), "--commit", stdout=None)
    entry = entries("org.create", "command").get(actor_name="命令 import_orgs")
    assert entry.object_id == str(Org.objects.get(code="N3").pk)

    client = login(county_admin)
    csv_page = "组织名称,组织类别,组织编码,上级组织编码\n甲村五支部,党支部,N4,A1\n".encode()
    client.post(reverse("org_io:import"), {"file": SimpleUploadedFile("orgs.csv", csv_page)})
    batch = ImportBatch.objects.get(created_by=county_admin)
    client.post(reverse("imports:commit", args=[batch.pk]))
    assert entries("org.create", "import").get().object_id == str(Org.objects.get(code="N4").pk)
    assert AuditEntry.objects.filter(action="import.commit", object_id=str(batch.pk)).exists()
