"""Importing members: the error matrix, preview, commit, error workbook, undo, updates by ID number."""

import io
from datetime import date

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dangjian.core import importing
from dangjian.core.errors import ConflictError
from dangjian.core.models import AuditEntry, ImportBatch
from dangjian.core.tests.walking import text_of
from dangjian.members import services
from dangjian.members.importers import MemberImporter, MemberUpdateImporter
from dangjian.members.models import Member, MemberEvent

from .conftest import id_number

HEADERS = [
    "姓名*",
    "公民身份号码*",
    "性别",
    "出生日期",
    "学历",
    "人员类别*",
    "所在党组织编码*",
    "申请入党日期",
    "入党日期",
    "转正日期",
    "台账标签",
    "联系电话",
]
A = id_number(date(1970, 1, 1), 11)
B = id_number(date(1985, 6, 15), 22)
EXISTING = id_number(date(1960, 2, 2), 33)
ROWS = {
    2: [
        "甲一",
        A,
        "男",
        "",
        "大学本科",
        "正式党员",
        "A2",
        "",
        date(1995, 7, 1),
        date(1996, 7, 1),
        "老党员、困难党员",
        "13811110000",
    ],
    3: ["甲二", B.lower(), "", "1985-06-15", "研究生", "预备党员", "A2", "", "2025-07-01", "", "", ""],
    4: [
        "错号",
        "110105194912310021",
        "",
        "",
        "",
        "正式党员",
        "A2",
        "",
        date(1995, 7, 1),
        date(1996, 7, 1),
        "",
        "",
    ],
    5: [
        "无组织",
        id_number(date(1971, 1, 1), 1),
        "",
        "",
        "",
        "正式党员",
        "ZZ9",
        "",
        date(1995, 7, 1),
        date(1996, 7, 1),
        "",
        "",
    ],
    6: [
        "乙县人",
        id_number(date(1972, 1, 1), 1),
        "",
        "",
        "",
        "正式党员",
        "B1",
        "",
        date(1995, 7, 1),
        date(1996, 7, 1),
        "",
        "",
    ],
    7: ["文件内重复", A, "", "", "", "正式党员", "A2", "", date(1995, 7, 1), date(1996, 7, 1), "", ""],
    8: ["库内重复", EXISTING, "", "", "", "正式党员", "A2", "", date(1985, 7, 1), date(1986, 7, 1), "", ""],
    9: [
        "先转正",
        id_number(date(1973, 1, 1), 1),
        "",
        "",
        "",
        "正式党员",
        "A2",
        "",
        date(1997, 7, 1),
        date(1996, 7, 1),
        "",
        "",
    ],
    10: [
        "少年",
        id_number(date(2009, 5, 1), 1),
        "",
        "",
        "",
        "入党申请人",
        "A2",
        date(2026, 2, 1),
        "",
        "",
        "",
        "",
    ],
    11: [
        "性别错",
        id_number(date(1974, 1, 1), 1),
        "女",
        "",
        "",
        "正式党员",
        "A2",
        "",
        date(1995, 7, 1),
        date(1996, 7, 1),
        "",
        "",
    ],
    12: ["十五位", "440524800506001", "", "", "", "入党申请人", "A2", date(2025, 1, 1), "", "", "", ""],
    13: [
        "错标签",
        id_number(date(1975, 1, 1), 1),
        "",
        "",
        "",
        "正式党员",
        "A2",
        "",
        date(1995, 7, 1),
        date(1996, 7, 1),
        "优秀党员",
        "",
    ],
}
EXPECTED_ERRORS = {
    4: ("公民身份号码", "公民身份号码校验位不正确,请核对号码。"),
    5: ("所在党组织编码", "所在党组织编码“ZZ9”对应的党组织不存在或无权操作。"),
    6: ("所在党组织编码", "所在党组织编码“B1”对应的党组织不存在或无权操作。"),
    7: ("公民身份号码", "公民身份号码与本文件中前面“甲一”的一行重复。"),
    8: ("公民身份号码", "该公民身份号码已在其他党组织登记,不能重复建档。"),
    9: ("转正日期", "转正日期早于入党日期。"),
    10: ("申请入党日期", "申请入党时未满18周岁。"),
    11: ("性别", "性别与公民身份号码不符(号码中为男)。"),
    13: ("台账标签", "台账标签“优秀党员”不存在,可选:老党员、困难党员、烈士遗属、因公殉职。"),
}


def xlsx(rows: dict, headers=HEADERS) -> bytes:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, headers)
    for number, cells in rows.items():
        for col, value in enumerate(cells):
            if isinstance(value, date):
                sheet.write_datetime(number - 1, col, value, date_format)
            elif value != "":
                sheet.write_string(number - 1, col, str(value))
    book.close()
    return output.getvalue()


@pytest.fixture
def existing(tree, make_member):
    # In 乙社区党支部: the county admin of 甲县 must not learn who holds the number.
    return make_member(
        tree["branch_b"],
        name="乙方老党员",
        id_number=EXISTING,
        joined_on=date(1985, 7, 1),
        converted_on=date(1986, 7, 1),
    )


def test_the_preview_reports_each_kind_of_row_error_and_saves_nothing(
    existing, county_admin, actor_for, frozen_today
):
    batch = importing.preview(MemberImporter(), actor_for(county_admin, "import"), "党员.xlsx", xlsx(ROWS))
    errors = {e["row"]: (e["column"], e["message"]) for e in batch.errors}
    assert errors == EXPECTED_ERRORS
    assert (batch.total_rows, batch.valid_rows) == (12, 3)
    assert Member.objects.count() == 1 and not MemberEvent.objects.exclude(member=existing).exists()


def test_commit_imports_the_valid_rows_and_undo_takes_them_back(
    existing, tree, county_admin, actor_for, frozen_today
):
    actor = actor_for(county_admin, "import")
    batch = importing.preview(MemberImporter(), actor, "党员.xlsx", xlsx(ROWS))
    importing.commit(actor, batch)
    imported = Member.objects.filter(org=tree["branch_a"]).order_by("name")
    assert [m.name for m in imported] == ["十五位", "甲一", "甲二"]
    first = Member.objects.get(name="甲一")
    assert (
        sorted(first.tags.values_list("code", flat=True)) == ["hardship", "veteran"]
        and first.phone_masked == "138****0000"
    )
    fifteen = Member.objects.get(name="十五位")
    assert "升位为18位" in fifteen.events.get().details["warnings"][0]
    # The audited form of a bulk import: one entry per chunk, naming the count and the records.
    entry = AuditEntry.objects.get(action="member.import", via="import")
    assert entry.after["count"] == 3 and sorted(entry.after["member_ids"]) == sorted(m.pk for m in imported)
    assert entry.object_id == str(batch.pk) and entry.org_path == tree["branch_a"].path
    importing.undo(actor, batch)
    assert not Member.objects.filter(org=tree["branch_a"]).exists()
    # Undone like it was imported: one entry per chunk, naming the records taken back.
    undone = AuditEntry.objects.get(action="member.import_undo")
    assert undone.object_id == str(batch.pk) and undone.before["count"] == 3
    assert sorted(undone.before["member_ids"]) == sorted(entry.after["member_ids"])


def test_undo_is_refused_once_something_was_recorded_on_an_imported_member(
    tree, county_admin, actor_for, frozen_today
):
    actor = actor_for(county_admin, "import")
    batch = importing.preview(MemberImporter(), actor, "党员.xlsx", xlsx({2: ROWS[2]}))
    importing.commit(actor, batch)
    services.record_event(
        actor_for(county_admin), Member.objects.get(), "commended", details={"title": "优秀党员"}
    )
    with pytest.raises(ConflictError, match="导入后已有其他记录"):
        importing.undo(actor, batch)


def test_the_pages_preview_commit_and_give_back_the_error_rows(existing, login, county_admin, frozen_today):
    client = login(county_admin)
    response = client.post(
        reverse("members_io:import"), {"file": SimpleUploadedFile("党员.xlsx", xlsx(ROWS))}
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.kind == "members"
    errors = client.get(reverse("imports:errors", args=[batch.pk]))
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(errors.streaming_content)))
    grid = book.get_sheet_by_index(0).to_python()
    assert grid[0][-1] == "错误说明" and len(grid) == 1 + len(EXPECTED_ERRORS)
    assert grid[1][0] == "错号" and "校验位不正确" in grid[1][-1]
    client.post(reverse("imports:commit", args=[batch.pk]))
    assert Member.objects.count() == 4


def test_the_template_has_the_export_headers(login, county_admin):
    text = text_of(login(county_admin).get(reverse("members_io:template")))
    assert "公民身份号码*" in text and "所在党组织编码*" in text and "台账标签" in text


def test_an_unmasked_export_imports_again_as_an_update_matched_by_id_number(
    tree, make_member, login, county_admin, actor_for, frozen_today
):
    member = make_member(tree["branch_a"], name="旧名", phone="13900000000", work_unit="旧单位")
    client = login(county_admin)
    exported = b"".join(client.get(reverse("members_io:export") + "?unmask=1").streaming_content)
    grid = CalamineWorkbook.from_filelike(io.BytesIO(exported)).get_sheet_by_index(0).to_python()
    headers = grid[0]
    row = list(grid[1])
    row[headers.index("工作单位")] = "新单位"
    row[headers.index("联系电话")] = "13700000000"
    unknown = list(row)
    unknown[headers.index("公民身份号码*")] = id_number(date(1990, 1, 1), 1)
    content = xlsx({2: row, 3: unknown}, headers=headers)
    actor = actor_for(county_admin, "import")
    batch = importing.preview(MemberUpdateImporter(), actor, "更新.xlsx", content)
    assert [(e["row"], e["message"]) for e in batch.errors] == [
        (3, "未找到该公民身份号码的在册党员,或您无权修改。")
    ]
    importing.commit(actor, batch)
    member.refresh_from_db()
    assert (
        member.work_unit == "新单位" and member.phone_masked == "137****0000" and Member.objects.count() == 1
    )
    with pytest.raises(ConflictError, match="信息更新批次不能撤销"):
        importing.undo(actor, batch)
    # A masked export is refused row by row rather than written over the records.
    masked = b"".join(client.get(reverse("members_io:export")).streaming_content)
    masked_grid = CalamineWorkbook.from_filelike(io.BytesIO(masked)).get_sheet_by_index(0).to_python()
    again = importing.preview(
        MemberUpdateImporter(), actor, "掩码.xlsx", xlsx({2: masked_grid[1]}, headers=masked_grid[0])
    )
    assert again.valid_rows == 0 and "公民身份号码" in again.errors[0]["column"]


@pytest.mark.parametrize(("extra", "analyzed"), [(0, True), (1, False)])
def test_a_large_commit_refreshes_the_planner_statistics(
    tree, county_admin, actor_for, frozen_today, settings, django_capture_on_commit_callbacks, extra, analyzed
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = actor_for(county_admin, "import")
    batch = importing.preview(MemberImporter(), actor, "党员.xlsx", xlsx(ROWS))
    # At the threshold, and one row short of it.
    settings.IMPORT_ANALYZE_ROWS = batch.valid_rows + extra
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        importing.commit(actor, batch)
    statements = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    expected = ['ANALYZE "members_member"', 'ANALYZE "members_memberevent"'] if analyzed else []
    assert statements == expected


def test_import_at_once_reads_each_row_once_and_records_upload_and_commit(
    existing, tree, county_admin, actor_for, frozen_today
):
    actor = actor_for(county_admin, "import")
    batch = importing.import_at_once(MemberImporter(), actor, "党员.xlsx", xlsx(ROWS))
    assert batch.status == ImportBatch.Status.COMMITTED and (batch.total_rows, batch.imported_rows) == (12, 3)
    assert {e["row"]: (e["column"], e["message"]) for e in batch.errors} == EXPECTED_ERRORS
    assert sorted(Member.objects.filter(org=tree["branch_a"]).values_list("name", flat=True)) == [
        "十五位",
        "甲一",
        "甲二",
    ]
    entries = AuditEntry.objects.filter(object_type="core.importbatch", object_id=str(batch.pk))
    actions = list(entries.order_by("seq").values_list("action", flat=True))
    # The rows are written chunk by chunk first; the upload entry then records what the check found.
    assert actions == ["member.import", "import.upload", "import.commit"]
    assert batch.objects_created.count() == 3
    importing.undo(actor, batch)
    assert Member.objects.count() == 1  # only 乙方老党员, who was there before


def test_import_at_once_with_no_valid_row_saves_nothing(existing, county_admin, actor_for, frozen_today):
    actor = actor_for(county_admin, "import")
    before = AuditEntry.objects.count()
    with pytest.raises(importing.NothingToImport) as refusal:
        importing.import_at_once(MemberImporter(), actor, "错.xlsx", xlsx({4: ROWS[4], 5: ROWS[5]}))
    assert [e["row"] for e in refusal.value.errors] == [4, 5]
    assert not ImportBatch.objects.exists() and Member.objects.count() == 1
    assert AuditEntry.objects.count() == before


def test_undo_checks_every_chunk_before_taking_anything_back(
    tree, county_admin, actor_for, frozen_today, monkeypatch
):
    monkeypatch.setattr(services, "UNDO_CHUNK", 2)
    actor = actor_for(county_admin, "import")
    batch = importing.import_at_once(MemberImporter(), actor, "党员.xlsx", xlsx(ROWS))
    # Rows 2, 3, 8 and 12 are imported; undo takes the latest first, two at a time: 甲一 (row 2) is in
    # the last chunk, so the first chunk would be gone already if the chunks were checked one by one.
    last = Member.objects.get(name="甲一")
    services.add_care(actor_for(county_admin), last, kind="visit", given_by="镇党委", content="走访")
    with pytest.raises(ConflictError, match="“甲一”导入后已有其他记录"):
        importing.undo(actor, batch)
    assert Member.objects.count() == 4 and batch.objects_created.count() == 4


def test_undo_is_refused_when_another_record_refers_to_an_imported_member(
    tree, county_admin, actor_for, frozen_today
):
    from dangjian.orgs import services as org_services

    actor = actor_for(county_admin, "import")
    batch = importing.import_at_once(MemberImporter(), actor, "党员.xlsx", xlsx({2: ROWS[2]}))
    group = org_services.create_group(actor_for(county_admin), tree["branch_a"], name="第一党小组")
    org_services.add_group_member(actor_for(county_admin), group, member_id=Member.objects.get().pk)
    with pytest.raises(ConflictError, match="导入后已有其他记录"):
        importing.undo(actor, batch)
    assert Member.objects.count() == 1
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
