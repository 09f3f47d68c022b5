"""Exporting orgs to Excel: the user's scope only, the filters, the import headers, and a round trip."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dangjian.core import importing
from dangjian.core.audit import Actor
from dangjian.orgs import services
from dangjian.orgs.importers import OrgImporter
from dangjian.orgs.models import Org
from dangjian.orgs.services import org_state

HEADERS = ["组织名称*", "简称", "组织类别*", "所属领域", "组织编码*", "上级组织编码*", "成立日期", "批准文号"]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def export(client, **params):
    return client.get(reverse("org_io:export"), params)


def rows_of(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content)
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def codes(response) -> list[str]:
    return [row[4] for row in rows_of(response)[1:]]


def test_it_exports_the_current_org_with_the_import_headers(tree, county_admin, login):
    response = export(login(county_admin))
    assert "filename*=utf-8''" in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == HEADERS == OrgImporter().headers()
    assert rows[1:] == [
        ["甲县委", "", "党委", "其他", "A0", "C0", date(2020, 1, 1), ""],
        ["甲镇党委", "", "党委", "农村", "A1", "A0", date(2020, 1, 1), ""],
        ["甲村党支部", "", "党支部", "农村", "A2", "A1", date(2020, 1, 1), ""],
    ]


def test_the_export_holds_only_orgs_in_the_users_scope(tree, outsider, dept_admin, login):
    assert codes(export(login(outsider))) == ["B1"]
    assert codes(export(login(outsider), within=tree["branch_b"].pk)) == ["B1"]
    assert codes(export(login(dept_admin))) == ["C0", "A0", "A1", "A2", "B0", "B1"]


@pytest.mark.parametrize("org_name", ["county_a", "branch_a", "county_b", "city"])
def test_an_export_within_an_org_out_of_scope_is_404(tree, outsider, login, org_name):
    response = export(login(outsider), within=tree[org_name].pk)
    assert response.status_code == 404
    assert "甲" not in response.content.decode()


@pytest.mark.parametrize("persona", ["stranger", "sysadmin", "auditor"])
def test_users_without_party_data_get_404(persona, tree, request, login):
    assert export(login(request.getfixturevalue(persona))).status_code == 404


def test_the_filters_narrow_the_export(tree, dept_admin, login, system_actor):
    client = login(dept_admin)
    assert codes(export(client, within=tree["county_a"].pk, kind="branch")) == ["A2"]
    assert codes(export(client, q="县委")) == ["A0", "B0"]
    assert codes(export(client, sector="village")) == ["A1", "A2"]
    assert codes(export(client, kind="nonsense")) == ["C0", "A0", "A1", "A2", "B0", "B1"]
    services.dissolve_org(system_actor, tree["branch_b"])
    assert "B1" not in codes(export(client))
    assert codes(export(client, status="dissolved")) == ["B1"]
    assert "B1" in codes(export(client, status="all"))


def test_the_export_carries_the_founding_document_number(tree, county_admin, login, actor_for):
    services.create_org(
        actor_for(county_admin),
        parent=tree["town_a"],
        name="甲二村党支部",
        kind="branch",
        code="A3",
        sector="village",
        short_name="二村",
        founded_on=date(2024, 5, 1),
        document_number="甲镇发〔2024〕3号",
    )
    rows = rows_of(export(login(county_admin), within=tree["town_a"].pk))
    assert rows[-1] == [
        "甲二村党支部",
        "二村",
        "党支部",
        "农村",
        "A3",
        "A1",
        date(2024, 5, 1),
        "甲镇发〔2024〕3号",
    ]


def test_an_export_imports_again_unchanged(tree, county_admin, login):
    """Import a small tree, export it, undo the import, and import the export: the same orgs come back."""
    client = login(county_admin)
    actor = Actor(county_admin, via="import")
    rows = [
        HEADERS,
        ["甲新镇党委", "新镇", "党委", "农村", "N1", "A0", "2021-03-01", "甲组发〔2021〕1号"],
        ["甲新村党支部", "", "联合党支部", "非公企业", "N2", "N1", "2021-04-01", ""],
    ]
    content = "".join(",".join(row) + "\r\n" for row in rows).encode("gb18030")
    batch = importing.commit(actor, importing.preview(OrgImporter(), actor, "orgs.csv", content))
    before = [
        org_state(o) | {"doc": o.events.get().document_number}
        for o in Org.objects.filter(code__in=["N1", "N2"])
    ]
    response = export(client, within=Org.objects.get(code="N1").pk)
    exported = b"".join(response.streaming_content)
    importing.undo(actor, batch)
    assert not Org.objects.filter(code__in=["N1", "N2"]).exists()

    upload = client.post(reverse("org_io:import"), {"file": SimpleUploadedFile("导出.xlsx", exported)})
    again = importing.batches_of(county_admin).get(pk=upload.url.rstrip("/").split("/")[-1])
    assert (again.valid_rows, again.errors) == (2, [])
    client.post(reverse("imports:commit", args=[again.pk]))
    after = [
        org_state(o) | {"doc": o.events.get().document_number}
        for o in Org.objects.filter(code__in=["N1", "N2"])
    ]
    assert after == before


def test_the_export_costs_the_same_queries_however_many_orgs(
    tree, dept_admin, login, system_actor, django_assert_max_num_queries
):
    client = login(dept_admin)
    with django_assert_max_num_queries(20) as few:
        rows_of(export(client))
    queries_for_six = len(few)
    for i in range(10):
        services.create_org(system_actor, parent=tree["town_a"], name=f"支部{i}", kind="branch", code=f"M{i}")
    with django_assert_max_num_queries(queries_for_six):
        response = export(client)
        assert len(rows_of(response)) == 1 + 16
