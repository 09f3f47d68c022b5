"""Excel downloads: exports, import templates and error files, written by XlsxWriter in constant memory.

Rows are written as they come (a queryset iterator is fine) to a temporary file that the response
streams, so a large export costs neither memory nor a second pass. Text is always written as text:
a cell starting with "=" from the database must never become a formula in the user's Excel.
"""

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter
from django.http import FileResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    """One worksheet: its name, header row, rows (any iterable) and optional column widths."""

    name: str
    headers: list[str]
    rows: Iterable[Iterable] = ()
    widths: list[int] = field(default_factory=list)
    # Columns formatted as text, so that what users type there (codes like 00123) stays as typed.
    text_columns: bool = False


def display_width(text: str) -> int:
    """How wide a text looks in Excel: Chinese characters take about two columns."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in str(text))


def _widths(sheet: Sheet) -> list[int]:
    """The given widths, or wide enough for the header (CJK-aware)."""
    given = list(sheet.widths) + [0] * len(sheet.headers)
    return [given[i] or max(10, display_width(header) + 4) for i, header in enumerate(sheet.headers)]


def _write_cell(worksheet, row: int, col: int, value, date_format) -> None:
    if value is None or value == "":
        return
    if isinstance(value, datetime):
        worksheet.write_datetime(row, col, value.replace(tzinfo=None), date_format)
    elif isinstance(value, date):
        worksheet.write_datetime(row, col, value, date_format)
    elif isinstance(value, bool):
        worksheet.write_string(row, col, "是" if value else "否")
    elif isinstance(value, int | float):
        worksheet.write_number(row, col, value)
    else:
        worksheet.write_string(row, col, str(value))


def write_sheet(book, sheet: Sheet, formats: dict) -> None:
    worksheet = book.add_worksheet(sheet.name[:31])
    for col, width in enumerate(_widths(sheet)):
        worksheet.set_column(col, col, width, formats["text"] if sheet.text_columns else None)
    worksheet.freeze_panes(1, 0)
    for col, header in enumerate(sheet.headers):
        worksheet.write_string(0, col, header, formats["header"])
    for row_index, row in enumerate(sheet.rows, start=1):
        for col, value in enumerate(row):
            _write_cell(worksheet, row_index, col, value, formats["date"])


def write_xlsx(target, sheets: list[Sheet]) -> None:
    """Write the sheets into ``target`` (a path or a binary file)."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "text": book.add_format({"num_format": 49}),  # the built-in "@" (text)
    }
    for sheet in sheets:
        write_sheet(book, sheet, formats)
    book.close()


def xlsx_response(filename: str, sheets: list[Sheet]) -> FileResponse:
    """A download of the sheets; the Chinese file name travels as filename*=UTF-8''…"""
    # Not a with-block: FileResponse streams the file and closes (so deletes) it when the response is done.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write_xlsx(output, sheets)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
