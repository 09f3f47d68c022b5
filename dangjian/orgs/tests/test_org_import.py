"""Importing orgs: the preview's row errors, cancel, commit of exactly the valid rows, undo, scope, audit."""

import io
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
import xlsxwriter
import xlwt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dangjian.core import importing
from dangjian.core.models import AuditEntry, ImportBatch, ImportedObject
from dangjian.orgs import services
from dangjian.orgs.importers import OrgImporter
from dangjian.orgs.models import Org, OrgEvent

HEADERS = ["组织名称*", "简称", "组织类别*", "所属领域", "组织编码*", "上级组织编码*", "成立日期", "批准文号"]
# Row 1 is the header; row 10 is left blank on purpose (skipped, but the numbering stays the spreadsheet's).
ROWS = {
    2: ["甲新镇党委", "", "党委", "农村", "AN1", "A0", date(2021, 3, 1), "甲组发〔2021〕1号"],
    3: ["甲新村党支部", "", "党支部", "农村", "AN2", "AN1", date(2021, 3, 5), ""],  # parent is row 2
    4: ["错类别支部", "", "党小组", "", "AN3", "A0", None, ""],
    5: ["无上级支部", "", "党支部", "", "AN4", "ZZ9", None, ""],
    6: ["重复支部", "", "党支部", "", "A2", "A1", None, ""],  # A2 is 甲村党支部, already in the tree
    7: ["文件内重复", "", "党支部", "", "AN2", "A1", None, ""],  # AN2 is row 3's code
    8: ["", "", "党支部", "", "AN5", "A1", None, ""],
    9: ["乙县的支部", "", "党支部", "", "AN6", "B0", None, ""],  # 乙县委 is outside 甲县委
    11: ["明日支部", "", "党支部", "", "AN7", "A1", date(2026, 3, 2), ""],
    12: ["甲新二支部", "二支部", "branch", "社区", "AN8", "AN1", None, ""],  # code names work too
    13: ["数字代码支部", "", "党支部", "", 2024001, "AN1", "2021年5月1日", ""],
}
KINDS = "党委、党工委、党总支、党支部、联合党支部、临时党支部"
EXPECTED_ERRORS = [
    {"row": 4, "column": "组织类别", "message": f"类别“党小组”无效,应为:{KINDS}。"},
    {"row": 5, "column": "上级组织编码", "message": "上级组织编码“ZZ9”对应的党组织不存在或无权操作。"},
    {"row": 6, "column": "组织编码", "message": "组织编码“A2”已被“甲村党支部”使用。"},
    {"row": 7, "column": "组织编码", "message": "组织编码“AN2”已被“甲新村党支部”使用。"},
    {"row": 8, "column": "组织名称", "message": "名称不能为空。"},
    {"row": 9, "column": "上级组织编码", "message": "上级组织编码“B0”对应的党组织不存在或无权操作。"},
    {"row": 11, "column": "成立日期", "message": "成立日期不能晚于今天。"},
]
VALID_CODES = {"AN1", "AN2", "AN8", "2024001"}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def grid(rows: dict = ROWS, headers=HEADERS) -> list[list]:
    last = max(rows)
    return [headers] + [rows.get(number, []) for number in range(2, last + 1)]


def xlsx_file(rows: list[list]) -> bytes:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output)
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, date_format)
            elif value not in (None, ""):
                sheet.write(r, c, value)
    book.close()
    return output.getvalue()


def xls_file(rows: list[list]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("党组织")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, value, date_style)
            elif value not in (None, ""):
                sheet.write(r, c, value)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def csv_file(rows: list[list], encoding: str) -> bytes:
    def text(value):
        return value.isoformat() if isinstance(value, date) else "" if value is None else str(value)

    return "".join(",".join(text(v) for v in row) + "\r\n" for row in rows).encode(encoding)


FILES = {
    "orgs.xlsx": lambda rows: xlsx_file(rows),
    "orgs.xls": lambda rows: xls_file(rows),
    "orgs-gb18030.csv": lambda rows: csv_file(rows, "gb18030"),
    "orgs-bom.csv": lambda rows: csv_file(rows, "utf-8-sig"),
}


def upload(client, name: str, content: bytes):
    return client.post(reverse("org_io:import"), {"file": SimpleUploadedFile(name, content)})


def upload_batch(client, name="orgs.xlsx", content=None) -> ImportBatch:
    response = upload(client, name, content if content is not None else xlsx_file(grid()))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def imported_codes() -> set[str]:
    return set(
        Org.objects.filter(code__in=[r[4] for r in ROWS.values()] + ["2024001"]).values_list(
            "code", flat=True
        )
    )


def read_xlsx(response) -> list[list]:
    content = b"".join(response.streaming_content)
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


# --- the preview -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FILES))
def test_it_previews_exactly_the_expected_row_errors_and_saves_nothing(tree, county_admin, login, name):
    orgs_before = Org.objects.count()
    batch = upload_batch(login(county_admin), name, FILES[name](grid()))
    assert batch.errors == EXPECTED_ERRORS
    assert (batch.status, batch.total_rows, batch.valid_rows) == ("previewed", 11, 4)
    assert Org.objects.count() == orgs_before
    assert not OrgEvent.objects.filter(org__code__in=VALID_CODES).exists()
    assert not AuditEntry.objects.filter(action="org.create", via="import").exists()


def test_the_preview_page_lists_each_error_and_offers_the_valid_rows(tree, county_admin, login):
    client = login(county_admin)
    batch = upload_batch(client)
    page = client.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    assert "导入 4 条有效数据" in page
    for error in EXPECTED_ERRORS:
        assert (
            f'<td class="text-end">{error["row"]}</td><td>{error["column"]}</td><td>{error["message"]}</td>'
            in page
        )
    listing = client.get(reverse("imports:list")).content.decode()
    assert "orgs.xlsx" in listing and "待确认" in listing
    assert f'href="{reverse("org_io:import")}">导入党组织' in listing


def test_an_upload_without_a_file_is_answered_on_the_form(tree, county_admin, login):
    response = login(county_admin).post(reverse("org_io:import"), {})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_row_whose_parent_row_failed_fails_too(tree, county_admin, login):
    rows = {2: ["坏上级", "", "党小组", "", "AN1", "A0", None, ""], 3: ROWS[3]}
    batch = upload_batch(login(county_admin), content=xlsx_file(grid(rows)))
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "组织类别"), (3, "上级组织编码")]
    assert batch.valid_rows == 0
    assert (
        "导入 0 条"
        not in login(county_admin).get(reverse("imports:detail", args=[batch.pk])).content.decode()
    )


def test_a_file_level_problem_is_shown_on_the_upload_form(tree, county_admin, login):
    content = csv_file([["组织名称", "状态"], ["甲", "正常"]], "utf-8")
    response = upload(login(county_admin), "bad.csv", content)
    assert response.status_code == 200
    assert "无法识别的表头:状态。" in response.content.decode()
    assert not ImportBatch.objects.exists()


# --- cancel, commit, undo --------------------------------------------------------------------------------


def test_cancel_imports_nothing_and_is_audited(tree, county_admin, login):
    client = login(county_admin)
    batch = upload_batch(client)
    response = client.post(reverse("imports:cancel", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert imported_codes() == {"A2"}  # only the org that was there before
    entry = AuditEntry.objects.get(action="import.cancel")
    assert (entry.via, entry.actor, entry.object_id) == ("import", county_admin, str(batch.pk))
    # A cancelled batch cannot be committed afterwards.
    client.post(reverse("imports:commit", args=[batch.pk]))
    assert imported_codes() == {"A2"}


def test_commit_imports_exactly_the_valid_rows_in_one_batch(tree, county_admin, login):
    client = login(county_admin)
    batch = upload_batch(client)
    response = client.post(reverse("imports:commit", args=[batch.pk]), follow=True)
    assert "已导入 4 条数据。" in response.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.imported_rows) == ("committed", 4)
    assert imported_codes() == VALID_CODES | {"A2"}
    committee = Org.objects.get(code="AN1")
    assert committee.get_parent() == tree["county_a"]
    assert (committee.kind, committee.sector, committee.founded_on) == (
        "committee",
        "village",
        date(2021, 3, 1),
    )
    assert committee.events.get().document_number == "甲组发〔2021〕1号"
    assert {o.code for o in committee.get_children()} == {"AN2", "AN8", "2024001"}
    second = Org.objects.get(code="AN8")
    assert (second.short_name, second.kind, second.sector) == ("二支部", "branch", "community")
    assert Org.objects.get(code="2024001").founded_on == date(2021, 5, 1)
    recorded = ImportedObject.objects.filter(batch=batch)
    assert sorted(recorded.values_list("row_number", flat=True)) == [2, 3, 12, 13]
    assert (
        set(Org.objects.filter(pk__in=recorded.values("object_id")).values_list("code", flat=True))
        == VALID_CODES
    )


def test_commit_and_every_created_org_are_audited_as_an_import(tree, county_admin, login):
    client = login(county_admin)
    batch = upload_batch(client)
    client.post(reverse("imports:commit", args=[batch.pk]))
    creates = AuditEntry.objects.filter(action="org.create", actor=county_admin)
    assert set(creates.values_list("via", flat=True)) == {"import"}
    assert creates.count() == 4
    commit = AuditEntry.objects.get(action="import.commit")
    assert (commit.via, commit.actor, commit.after["imported_rows"]) == ("import", county_admin, 4)
    assert AuditEntry.objects.filter(action="import.upload", via="import", actor=county_admin).count() == 1


def test_commit_is_refused_whole_when_a_valid_row_no_longer_is(tree, county_admin, login, actor_for):
    client = login(county_admin)
    batch = upload_batch(client)
    # Someone takes the code of row 12 between the preview and the commit.
    services.create_org(
        actor_for(county_admin), parent=tree["town_a"], name="抢先支部", kind="branch", code="AN8"
    )
    response = client.post(reverse("imports:commit", args=[batch.pk]), follow=True)
    assert (
        "第 12 行在预检后已不能导入(列“组织编码”,组织编码“AN8”已被“抢先支部”使用。)"
        in response.content.decode()
    )
    batch.refresh_from_db()
    assert batch.status == "previewed"
    assert not Org.objects.filter(code__in=["AN1", "AN2", "2024001"]).exists()
    assert not ImportedObject.objects.exists()


def test_undo_removes_exactly_that_batch_and_is_audited(tree, county_admin, login, actor_for):
    client = login(county_admin)
    first = upload_batch(client)
    client.post(reverse("imports:commit", args=[first.pk]))
    other_rows = {2: ["另一批支部", "", "党支部", "", "OTHER1", "A1", None, ""]}
    second = upload_batch(client, content=xlsx_file(grid(other_rows)))
    client.post(reverse("imports:commit", args=[second.pk]))
    orgs_before_import = Org.objects.exclude(code__in=VALID_CODES | {"OTHER1"}).count()

    response = client.post(reverse("imports:undo", args=[first.pk]), follow=True)
    assert "已撤销本批导入" in response.content.decode()
    first.refresh_from_db()
    assert first.status == "undone"
    assert not Org.objects.filter(code__in=VALID_CODES).exists()
    assert not OrgEvent.objects.filter(org__code__in=VALID_CODES).exists()
    assert Org.objects.filter(code="OTHER1").exists()  # the other batch stays
    assert Org.objects.exclude(code="OTHER1").count() == orgs_before_import
    assert Org.objects.get(code="A0").numchild == 1  # treebeard's child count is right again
    removals = AuditEntry.objects.filter(action="org.import_undo")
    assert removals.count() == 4 and set(removals.values_list("via", flat=True)) == {"import"}
    assert AuditEntry.objects.get(action="import.undo").via == "import"


def test_undo_is_refused_with_the_reason_when_an_event_was_recorded_later(
    tree, county_admin, login, actor_for
):
    client = login(county_admin)
    batch = upload_batch(client)
    client.post(reverse("imports:commit", args=[batch.pk]))
    services.update_org(actor_for(county_admin), Org.objects.get(code="AN8"), name="甲新第二支部")
    response = client.post(reverse("imports:undo", args=[batch.pk]), follow=True)
    assert "不能撤销本批导入:“甲新第二支部”导入后已登记了其他事项。" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "committed"
    assert set(Org.objects.filter(code__in=VALID_CODES).values_list("code", flat=True)) == VALID_CODES
    assert not AuditEntry.objects.filter(action__in=["org.import_undo", "import.undo"]).exists()


def test_undo_is_refused_when_a_child_was_created_outside_the_batch(tree, county_admin, login, actor_for):
    client = login(county_admin)
    batch = upload_batch(client)
    client.post(reverse("imports:commit", args=[batch.pk]))
    parent = Org.objects.get(code="AN1")
    services.create_org(actor_for(county_admin), parent=parent, name="后建支部", kind="branch", code="LATER")
    response = client.post(reverse("imports:undo", args=[batch.pk]), follow=True)
    assert "不能撤销本批导入:“甲新镇党委”下已另行设立了1个党组织。" in response.content.decode()
    assert Org.objects.filter(code__in=VALID_CODES | {"LATER"}).count() == 5
    batch.refresh_from_db()
    assert batch.status == "committed"


def test_the_rejected_rows_download_as_excel_with_an_error_column(tree, county_admin, login):
    client = login(county_admin)
    batch = upload_batch(client)
    response = client.get(reverse("imports:errors", args=[batch.pk]))
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    rows = read_xlsx(response)
    assert rows[0] == [*HEADERS, "错误说明"]
    assert [row[4] for row in rows[1:]] == ["AN3", "AN4", "A2", "AN2", "AN5", "AN6", "AN7"]
    assert rows[1][-1] == f"组织类别:类别“党小组”无效,应为:{KINDS}。"
    assert rows[7][6] == date(2026, 3, 2)
    # Corrected, the error file goes straight back in: the 错误说明 column is ignored.
    corrected = [rows[0]] + [[*row[:2], "党支部", *row[3:5], "A1", None, "", row[-1]] for row in rows[1:3]]
    again = upload_batch(client, "orgs_错误行.xlsx", xlsx_file(corrected))
    assert (again.valid_rows, again.errors) == (2, [])


# --- scope and permission --------------------------------------------------------------------------------


def test_the_outsider_gets_404_for_another_users_batch(tree, county_admin, outsider, login):
    batch = upload_batch(login(county_admin))
    client = login(outsider)
    assert client.get(reverse("imports:detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("imports:errors", args=[batch.pk])).status_code == 404
    for name in ("commit", "cancel", "undo"):
        assert client.post(reverse(f"imports:{name}", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == "previewed"
    assert "orgs.xlsx" not in client.get(reverse("imports:list")).content.decode()


def test_the_outsider_cannot_import_into_another_subtree_nor_learn_it_exists(tree, outsider, login):
    rows = {
        2: ["渗透支部", "", "党支部", "", "X1", "A1", None, ""],  # exists, outside the outsider's scope
        3: ["渗透支部二", "", "党支部", "", "X2", "NOSUCH", None, ""],  # does not exist
        4: ["渗透支部三", "", "党支部", "", "X3", "B0", None, ""],  # above the outsider's branch
    }
    batch = upload_batch(login(outsider), content=xlsx_file(grid(rows)))
    assert batch.errors == [
        {"row": 2, "column": "上级组织编码", "message": "上级组织编码“A1”对应的党组织不存在或无权操作。"},
        {"row": 3, "column": "上级组织编码", "message": "上级组织编码“NOSUCH”对应的党组织不存在或无权操作。"},
        {"row": 4, "column": "上级组织编码", "message": "上级组织编码“B0”对应的党组织不存在或无权操作。"},
    ]
    assert not Org.objects.filter(code__startswith="X").exists()


@pytest.mark.parametrize("persona", ["member_user", "stranger", "sysadmin", "auditor"])
def test_users_without_a_changing_role_get_403_on_the_upload_page(persona, request, login):
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("org_io:import")).status_code == 403
    assert upload(client, "orgs.xlsx", xlsx_file(grid())).status_code == 403
    assert not ImportBatch.objects.exists()


def test_the_upload_page_lists_the_columns(tree, secretary, login):
    page = login(secretary).get(reverse("org_io:import")).content.decode()
    assert "上级组织编码" in page and "下载导入模板" in page


def test_the_template_has_the_headers_and_explains_each_column(tree, secretary, login):
    response = login(secretary).get(reverse("org_io:template"))
    content = b"".join(response.streaming_content)
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.get_sheet_by_index(0).to_python() == [HEADERS]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:  # cells typed as text: a code 00123 keeps its zeros
        assert 'numFmtId="49"' in archive.read("xl/styles.xml").decode()
    notes = book.get_sheet_by_name("填写说明").to_python()
    assert notes[0] == ["表头", "必填", "说明"]
    assert [row[0] for row in notes[1:9]] == [h.rstrip("*") for h in HEADERS]
    assert any(KINDS in row[2] for row in notes)
    # The empty template is a valid file for the importer: only "no data rows" is wrong with it.
    with pytest.raises(importing.ImportFileError, match="没有数据行"):
        importing.read_table("t.xlsx", xlsx_file([HEADERS]), OrgImporter.columns)


# --- the command -----------------------------------------------------------------------------------------


def test_the_command_dry_run_prints_the_row_errors_and_imports_nothing(tree, tmp_path, capsys):
    path = tmp_path / "orgs.xlsx"
    path.write_bytes(xlsx_file(grid()))
    with pytest.raises(CommandError, match="有 6 行错误"):
        call_command("import_orgs", str(path))
    out = capsys.readouterr().out
    # The command acts for the whole platform: row 9 (under 乙县委) is valid for it.
    assert "共 11 行数据,有效 5 行,有错误 6 行。" in out
    assert "行 9" not in out
    assert f"行 4,列“组织类别”:类别“党小组”无效,应为:{KINDS}。" in out
    assert "行 6,列“组织编码”:组织编码“A2”已被“甲村党支部”使用。" in out
    assert not Org.objects.filter(code__in=VALID_CODES).exists()
    assert not ImportBatch.objects.exists()


def test_the_command_commits_the_valid_rows_and_may_create_a_top_org(tree, tmp_path, capsys):
    rows = {
        2: ["新市委", "", "党委", "机关", "NEWTOP", "", None, ""],
        3: ["新市直机关党委", "", "党委", "机关", "NEWTOP1", "NEWTOP", None, ""],
        4: ["乙县新支部", "", "党支部", "", "B9", "B0", None, ""],  # the command may import anywhere
        5: ["坏行", "", "党小组", "", "BAD", "B0", None, ""],
    }
    path = tmp_path / "orgs.csv"
    path.write_bytes(csv_file(grid(rows), "gb18030"))
    call_command("import_orgs", str(path), "--commit")
    assert "已导入 3 个党组织" in capsys.readouterr().out
    top = Org.objects.get(code="NEWTOP")
    assert top.is_root() and Org.objects.get(code="NEWTOP1").get_parent() == top
    assert Org.objects.get(code="B9").get_parent() == tree["county_b"]
    assert not Org.objects.filter(code="BAD").exists()
    entries = AuditEntry.objects.filter(action="org.create", object_repr__in=["新市委", "乙县新支部"])
    assert {(e.via, e.actor_name) for e in entries} == {("command", "命令 import_orgs")}
    assert ImportBatch.objects.get().status == "committed"


def test_a_page_user_cannot_create_a_top_org(tree, dept_admin, login):
    rows = {2: ["顶级", "", "党委", "", "TOP2", "", None, ""]}
    batch = upload_batch(login(dept_admin), content=xlsx_file(grid(rows)))
    assert batch.errors == [{"row": 2, "column": "上级组织编码", "message": "上级组织编码不能为空。"}]


def test_the_batch_list_costs_the_same_queries_for_many_batches(
    tree, county_admin, login, django_assert_max_num_queries
):
    client = login(county_admin)
    for _ in range(3):
        upload_batch(client)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("imports:list"))
    queries_for_three = len(few)
    for _ in range(5):
        upload_batch(client)
    with django_assert_max_num_queries(queries_for_three):
        response = client.get(reverse("imports:list"))
    assert response.content.decode().count("orgs.xlsx") == 8
