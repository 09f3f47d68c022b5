"""Importing units and committees through the import framework: preview errors, commit, undo, export."""

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.core import importing
from dangjian.core.models import ImportBatch
from dangjian.orgs import services
from dangjian.orgs.importers import COMMITTEE_IMPORTER, UNIT_IMPORTER
from dangjian.orgs.models import Committee, CommitteeMember, OrgEvent, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(date(2026, 6, 15), tick=False):
        yield


def csv(rows: list[list]) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode("utf-8")


UNIT_ROWS = [
    UNIT_IMPORTER.headers(),
    ["甲村小学", "91350100M000100Y43", "学校", "", "30", "A1", "A2", "", "", ""],
    ["甲镇电子厂", "", "非公企业", "", "", "A1", "", "是", "否", "是"],
    ["坏代码厂", "91350100M000100Y44", "", "", "", "A1", "", "", "", ""],
    ["乙县单位", "", "", "", "", "B0", "", "", "", ""],
    ["模糊厂", "", "", "也许", "", "A1", "", "", "", ""],
]


def test_units_import_with_row_errors_then_commit_and_undo(tree, county_admin, actor_for):
    actor = actor_for(county_admin, "import")
    batch = importing.preview(UNIT_IMPORTER, actor, "units.csv", csv(UNIT_ROWS))
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (4, "统一社会信用代码"),
        (5, "主管党组织编码"),
        (6, "是否两新组织"),
    ]
    assert not Unit.objects.exists()
    importing.commit(actor, batch)
    school, firm = Unit.objects.get(name="甲村小学"), Unit.objects.get(name="甲镇电子厂")
    assert (school.org, school.headcount, school.is_new_sector) == (tree["branch_a"], 30, False)
    assert (
        firm.is_new_sector,
        firm.charter_includes_party_building,
        firm.cross_appointment,
        firm.secretary_is_head,
    ) == (
        True,
        True,
        False,
        True,
    )
    importing.undo(actor, ImportBatch.objects.get(pk=batch.pk))
    assert not Unit.objects.exists()


def test_the_unit_export_imports_again(tree, county_admin, login, actor_for, system_actor):
    services.create_unit(
        system_actor, responsible_org=tree["town_a"], org=tree["branch_a"], name="甲村小学", sector="school"
    )
    response = login(county_admin).get(reverse("orgs:units_export"))
    content = b"".join(response.streaming_content)
    Unit.objects.all().delete()
    batch = importing.preview(UNIT_IMPORTER, actor_for(county_admin, "import"), "units.xlsx", content)
    assert batch.errors == [] and batch.valid_rows == 1


COMMITTEE_ROWS = [
    COMMITTEE_IMPORTER.headers(),
    ["A2", "2024-03-01", "5", "", "书记", "王书记", "", "甲镇党〔2024〕3号"],
    ["A2", "2024-03-01", "5", "", "组织委员", "赵组织", "", ""],
    ["A2", "2024-03-01", "5", "", "书记", "又一个书记", "", ""],
    ["A1", "2023-01-10", "", "", "书记", "镇书记", "", ""],
    ["B1", "2024-01-01", "", "", "书记", "乙书记", "", ""],
    ["A1", "2023-01-10", "", "", "队长", "某人", "", ""],
]


def test_committees_import_one_row_per_person(tree, county_admin, actor_for):
    actor = actor_for(county_admin, "import")
    batch = importing.preview(COMMITTEE_IMPORTER, actor, "committees.csv", csv(COMMITTEE_ROWS))
    assert [(e["row"], e["column"], e["message"]) for e in batch.errors] == [
        (4, "职务", "一个班子只能有一名书记。"),
        (6, "组织编码", "组织编码“B1”对应的党组织不存在或无权操作。"),
        (7, "职务", "职务“队长”无效,应为:书记、副书记、组织委员、宣传委员、纪检委员、委员。"),
    ]
    importing.commit(actor, batch)
    branch = Committee.objects.get(org=tree["branch_a"])
    assert (branch.number, branch.started_on, branch.ends_on) == (5, date(2024, 3, 1), date(2029, 3, 1))
    assert sorted(branch.members.values_list("name", flat=True)) == ["王书记", "赵组织"]
    event = OrgEvent.objects.get(org=tree["branch_a"], kind="re_elected")
    assert (
        event.details["members"] == ["书记 王书记", "组织委员 赵组织"]
        and event.document_number == "甲镇党〔2024〕3号"
    )
    assert Committee.objects.get(org=tree["town_a"]).ends_on == date(2028, 1, 10)
    importing.undo(actor, ImportBatch.objects.get(pk=batch.pk))
    assert not Committee.objects.exists() and not OrgEvent.objects.filter(kind="re_elected").exists()


def test_undoing_an_imported_re_election_restores_the_previous_committee(
    tree, county_admin, actor_for, system_actor
):
    earlier = services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2021, 3, 1),
        members=[{"post": "secretary", "name": "老书记"}],
    )
    actor = actor_for(county_admin, "import")
    rows = [COMMITTEE_IMPORTER.headers(), ["A2", "2024-03-01", "", "", "书记", "新书记", "", ""]]
    batch = importing.commit(actor, importing.preview(COMMITTEE_IMPORTER, actor, "c.csv", csv(rows)))
    earlier.refresh_from_db()
    assert earlier.ended_on == date(2024, 3, 1)
    importing.undo(actor, batch)
    earlier.refresh_from_db()
    assert earlier.is_current and earlier.members.get().ended_on is None


def test_an_imported_committee_changed_since_cannot_be_undone(tree, county_admin, actor_for):
    actor = actor_for(county_admin, "import")
    rows = [COMMITTEE_IMPORTER.headers(), ["A2", "2024-03-01", "", "", "书记", "新书记", "", ""]]
    batch = importing.commit(actor, importing.preview(COMMITTEE_IMPORTER, actor, "c.csv", csv(rows)))
    services.end_committee_member(
        actor, CommitteeMember.objects.get(), ended_on=date(2025, 1, 1), reason="调动"
    )
    with pytest.raises(importing.ConflictError, match="已登记离任"):
        importing.undo(actor, batch)


def test_the_upload_pages_of_units_and_committees(tree, county_admin, login):
    client = login(county_admin)
    for name in ("orgs:unit_import", "orgs:committee_import"):
        assert client.get(reverse(name)).status_code == 200
    upload = SimpleUploadedFile("units.csv", csv(UNIT_ROWS[:2]))
    response = client.post(reverse("orgs:unit_import"), {"file": upload})
    assert response.status_code == 302 and ImportBatch.objects.get().kind == "units"
    assert client.get(reverse("orgs:committee_template")).status_code == 200
