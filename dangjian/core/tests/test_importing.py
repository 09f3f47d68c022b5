"""The import framework's reading of files and the Excel writer: encodings, headers, cells, limits."""

import io
import zipfile
from datetime import date, datetime
from urllib.parse import quote

import pytest
import xlsxwriter
import xlwt
from python_calamine import CalamineWorkbook

from dangjian.core import importing
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.core.importing import Column, ImportFileError, read_table
from dangjian.orgs.importers import OrgImporter

COLUMNS = [
    Column("组织名称", "name", required=True, aliases=("名称",)),
    Column("组织编码", "code", required=True),
    Column("成立日期", "founded_on"),
]


def xlsx_bytes(rows) -> bytes:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output)
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, date_format)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return output.getvalue()


def xls_bytes(rows) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def csv_bytes(rows, encoding: str) -> bytes:
    text = "\r\n".join(",".join("" if v is None else str(v) for v in row) for row in rows) + "\r\n"
    return text.encode(encoding)


ROWS = [
    ["组织名称", "组织编码", "成立日期"],
    ["甲村党支部", 123, date(2024, 5, 1)],
    ["乙村党支部", "B-1", None],
]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("t.xlsx", xlsx_bytes(ROWS)),
        ("t.xls", xls_bytes(ROWS)),
        ("t.csv", csv_bytes(ROWS, "utf-8")),
        ("t.csv", csv_bytes(ROWS, "utf-8-sig")),
        ("t.csv", csv_bytes(ROWS, "gb18030")),
    ],
    ids=["xlsx", "xls", "csv-utf8", "csv-utf8-bom", "csv-gb18030"],
)
def test_it_reads_every_format_to_the_same_values(name, content):
    table = read_table(name, content, COLUMNS)
    values = [(row.number, row.values["name"], row.values["code"]) for row in table.rows]
    assert values == [(2, "甲村党支部", "123"), (3, "乙村党支部", "B-1")]
    assert importing.parse_date(table.rows[0].values["founded_on"], "founded_on", "成立日期") == date(
        2024, 5, 1
    )


def test_it_tells_gb18030_from_utf8():
    assert importing.decode_text("党支部".encode("gb18030")) == "党支部"
    assert importing.decode_text("\ufeff党支部".encode()) == "党支部"
    with pytest.raises(ImportFileError, match="编码"):
        importing.decode_text(b"\xff\xfe\x00\x81\xff")


def test_it_skips_a_title_row_and_keeps_spreadsheet_row_numbers():
    rows = [
        ["2026年党组织名单"],
        [],
        [" 组织 名称* ", "组织编码 *"],
        ["甲", "A"],
        [],
        ["乙", "B"],
    ]
    table = read_table("t.xlsx", xlsx_bytes(rows), COLUMNS)
    assert table.header_row == 3
    assert [(row.number, row.values["name"]) for row in table.rows] == [(4, "甲"), (6, "乙")]
    assert table.header_of("name") == "组织名称"


def test_it_accepts_aliases_and_ignores_the_error_column():
    rows = [["名称", "组织编码", "错误说明"], ["甲", "A", "组织编码:已被使用"]]
    table = read_table("t.csv", csv_bytes(rows, "utf-8"), COLUMNS)
    assert table.rows[0].values == {"name": "甲", "code": "A"}
    assert table.header_of("name") == "名称"


def test_it_names_unknown_headers():
    rows = [["组织名称", "组织编码", "状态", "备注"], ["甲", "A", "正常", ""]]
    with pytest.raises(ImportFileError) as caught:
        read_table("t.csv", csv_bytes(rows, "utf-8"), COLUMNS)
    assert caught.value.message == "无法识别的表头:状态、备注。请使用导入模板中的表头。"


def test_it_reports_all_missing_required_headers_at_once():
    rows = [["成立日期", "备用"], ["2024-01-01", "x"]]
    with pytest.raises(ImportFileError) as caught:
        read_table("t.csv", csv_bytes(rows, "utf-8"), COLUMNS)
    # The header row is the first row naming a column; the unknown header is reported first.
    assert caught.value.message == "无法识别的表头:备用。请使用导入模板中的表头。"
    with pytest.raises(ImportFileError) as caught:
        read_table("t.csv", csv_bytes([["成立日期"], ["2024-01-01"]], "utf-8"), COLUMNS)
    assert caught.value.message == "缺少必填列:组织名称、组织编码。请使用导入模板。"


def test_it_refuses_the_same_column_twice():
    with pytest.raises(ImportFileError, match="同一列"):
        read_table("t.csv", csv_bytes([["名称", "组织名称", "组织编码"], ["a", "b", "c"]], "utf-8"), COLUMNS)


def test_it_enforces_the_row_limit_in_chinese(settings):
    settings.IMPORT_MAX_ROWS = 2
    rows = [["组织名称", "组织编码"], ["a", "1"], ["b", "2"], ["c", "3"]]
    with pytest.raises(ImportFileError) as caught:
        read_table("t.csv", csv_bytes(rows, "utf-8"), COLUMNS)
    assert caught.value.message == "文件共有 3 行数据,超过单次导入上限 2 行,请拆分后分批导入。"
    settings.IMPORT_MAX_ROWS = 3
    assert len(read_table("t.csv", csv_bytes(rows, "utf-8"), COLUMNS).rows) == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.txt", b"abc", "只能导入 .xlsx、.xls、.ods 或 .csv 文件。"),
        (
            "t.xlsx",
            b"PK\x03\x04 not really a zip",
            "无法读取该文件,请确认它是有效的 Excel 文件(未加密、未损坏)。",
        ),
        ("t.csv", b"", "文件是空的:第一个工作表中没有表头和数据。"),
        ("t.csv", "组织名称,组织编码\r\n".encode(), "文件中只有表头,没有数据行。"),
    ],
)
def test_it_refuses_unusable_files_with_one_message(name, content, message):
    with pytest.raises(ImportFileError) as caught:
        read_table(name, content, COLUMNS)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (123.0, "123"),
        (1.5, "1.5"),
        (7, "7"),
        ("  甲  ", "甲"),
        ("\u3000全角空格\u3000", "全角空格"),
        (None, ""),
        (True, "是"),
        (datetime(2024, 5, 1), date(2024, 5, 1)),
        (datetime(2024, 5, 1, 8, 30), datetime(2024, 5, 1, 8, 30)),
    ],
)
def test_it_normalizes_cells(cell, expected):
    assert importing.normalize_cell(cell) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("2024/5/1", date(2024, 5, 1)),
        ("2024.05.01", date(2024, 5, 1)),
        ("2024年5月1日", date(2024, 5, 1)),
        ("20240501", date(2024, 5, 1)),
        (date(2024, 5, 1), date(2024, 5, 1)),
        ("", None),
    ],
)
def test_it_reads_dates_as_chinese_offices_write_them(text, expected):
    assert importing.parse_date(text, "founded_on", "成立日期") == expected


@pytest.mark.parametrize("text", ["2024-02-30", "去年", "5/1/2024"])
def test_it_refuses_dates_it_cannot_read(text):
    with pytest.raises(importing.ServiceError) as caught:
        importing.parse_date(text, "founded_on", "成立日期")
    assert caught.value.field == "founded_on"
    assert caught.value.message == f"成立日期“{text}”无法识别,请写作 2024-05-01 这样的日期。"


def test_it_finds_importers_by_kind():
    assert isinstance(importing.get_importer("orgs"), OrgImporter)
    assert "orgs" in {i.kind for i in importing.all_importers()}
    with pytest.raises(LookupError):
        importing.get_importer("nothing")


def test_it_describes_a_row_error_on_one_line():
    assert (
        importing.describe_error({"row": 3, "column": "组织类别", "message": "不对。"})
        == "行 3,列“组织类别”:不对。"
    )
    assert importing.describe_error({"row": 4, "column": "", "message": "不对。"}) == "行 4:不对。"


def test_the_xlsx_download_has_a_chinese_name_bold_frozen_headers_and_no_formulas():
    response = xlsx_response(
        "党组织导出.xlsx", [Sheet("党组织", ["名称", "日期"], [["=1+1", date(2024, 5, 1)]])]
    )
    content = b"".join(response.streaming_content)
    assert f"filename*=utf-8''{quote('党组织导出.xlsx')}" in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert rows == [["名称", "日期"], ["=1+1", date(2024, 5, 1)]]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        styles = archive.read("xl/styles.xml").decode()
    assert "<f>" not in sheet_xml  # text from the database never becomes a formula
    assert 'ySplit="1"' in sheet_xml and 'state="frozen"' in sheet_xml
    assert "<b/>" in styles
    assert "<cols>" in sheet_xml


def test_an_uploaded_file_is_kept_encrypted(tree, county_admin, actor_for):
    from dangjian.core import crypto
    from dangjian.core.importing import batch_file, get_importer, preview
    from dangjian.core.models import ImportBatch

    content = "组织名称,组织类别,组织编码,上级组织编码\n甲村秘密支部,党支部,S1,A1\n".encode()
    batch = preview(get_importer("orgs"), actor_for(county_admin), "orgs.csv", content)
    stored = bytes(ImportBatch.objects.get(pk=batch.pk).content)
    assert "甲村秘密支部".encode() not in stored
    assert batch_file(batch) == content
    # Bound to its batch: the same bytes under another batch's id do not open.
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(stored, f"core_importbatch.content.{batch.pk + 1}")
