"""The import framework: read a spreadsheet, check every row through the real services, then commit or undo.

A module imports a kind of record by subclassing ``Importer`` in its ``importers.py`` and decorating it
with ``@register``. The framework does the rest the same way for every kind:

- ``read_table`` reads .xlsx/.xls/.ods (calamine) or .csv (UTF-8, UTF-8 with BOM or GB18030, detected),
  finds the header row, maps the Chinese headers to fields and normalizes the cells. A file it cannot
  use raises ``ImportFileError`` with one clear Chinese message.
- ``preview`` runs every row through the importer inside one transaction, each row in a savepoint, and
  rolls everything back: the preview checks exactly what a commit would do (including rows that refer
  to a row above them) and saves only the batch with its row errors.
- ``commit`` runs the rows that were valid again, in one transaction; if one of them now fails the whole
  commit is refused and nothing is saved. Every created object is recorded on the batch.
- ``import_at_once`` is upload and commit in one step (the command line and the API's ``commit=true``):
  each row is read and checked once, the valid ones imported, the others kept as the batch's errors.
- ``undo`` takes a committed batch back while nothing depends on it (``Importer.take_back``).

Writes go through the importer, which calls the module's services; those check permissions and rules
and write their own audit entries. The framework audits the batch itself (upload, commit, cancel, undo).

Batch importers. Row by row, every row costs a savepoint, its service call and its audit entry (about
nine queries). An importer meant for large files implements ``validate_batch`` and ``create_batch``
instead: the framework hands it the rows a chunk (``chunk_size``) at a time, so lookups are one query
per chunk and inserts are bulk (``insert_rows``: COPY on PostgreSQL, one ``executemany`` elsewhere).
The guarantees are the same: the preview of a batch importer is pure validation (``validate_batch``
must find every error ``create_batch`` could meet; nothing but the batch is saved), the commit writes
exactly the rows the preview found valid in one transaction or nothing, every created record is on the
batch (``ImportedObject``, inserted in bulk), and undo takes them back. The audited form of a bulk
import is one entry per chunk naming how many records it created and their ids (the importer writes
it), beside the framework's entries for the batch.
"""

import contextlib
import csv
import functools
import io
import itertools
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from python_calamine import CalamineError, CalamineWorkbook

from dangjian.core import audit, crypto
from dangjian.core.audit import Actor
from dangjian.core.errors import ConflictError, ServiceError
from dangjian.core.models import ImportBatch, ImportedObject

SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods")
CSV_SUFFIXES = (".csv",)
MAX_FILE_BYTES = 20 * 1024 * 1024
# The column the error file adds; ignored on import so a corrected error file can be imported again.
ERROR_HEADER = "错误说明"
HEADER_NOISE = re.compile(r"[\s*＊]+")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class ImportFileError(ServiceError):
    """The file as a whole cannot be imported (unreadable, wrong headers, too many rows)."""


# --- declaring an importer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file: its Chinese header and the field it fills.

    ``required`` columns must be present in the file (the template marks them with *); whether a value
    may be empty is the service's decision. ``aliases`` are other headers users write for the same column.
    """

    header: str
    field: str
    required: bool = False
    help: str = ""
    aliases: tuple[str, ...] = ()


class Importer:
    """What a module tells the framework about importing one kind of record.

    ``validate_row`` turns the row's cell values (by field) into the arguments of the service, raising
    ``ServiceError`` for what it cannot resolve; ``create`` calls the service. Both run in a savepoint,
    so a refusal from either is the row's error and leaves nothing behind.
    """

    kind: str = ""
    label: str = ""
    columns: list[Column] = []
    # The page where a user uploads a file of this kind, and the one that gives the empty template.
    upload_url_name: str = ""
    template_url_name: str = ""

    # Rows per call of validate_batch/create_batch, for importers that implement them.
    chunk_size: int = 5000
    # Tables a large commit fills: their planner statistics are refreshed after it (see refresh_statistics).
    analyze_tables: tuple[str, ...] = ()

    def new_context(self, actor: Actor) -> dict:
        """State shared by the rows of one run (caches, say); fresh for the preview and the commit.

        In a commit the framework adds ``context["batch"]``, the ImportBatch being committed.
        """
        return {}

    def validate_batch(self, actor: Actor, rows: list["SourceRow"], context: dict) -> list:
        """Check a chunk of rows at once: for each row, in order, its cleaned values or the ServiceError
        refusing it. Saves nothing. Implementing this (with ``create_batch``) makes the importer a batch
        importer; see the module docstring."""
        raise NotImplementedError

    def create_batch(self, actor: Actor, items: list[tuple[int, object]], context: dict) -> list[tuple]:
        """Write the cleaned rows of a chunk (``(row number, cleaned)`` pairs, all valid) in bulk and
        answer ``(row number, object type, object id)`` for each record created. A ServiceError refuses
        the whole commit."""
        raise NotImplementedError

    def writing(self, actor: Actor, context: dict) -> contextlib.AbstractContextManager:
        """The context the rows of a writing run go through, all of them, inside the import's transaction:
        members' ``bulk_changes``, say, so the follow-up work of their writes (the statistics roll-ups) is
        done once per import instead of once per chunk or row."""
        return contextlib.nullcontext()

    @property
    def batched(self) -> bool:
        return type(self).validate_batch is not Importer.validate_batch

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        raise NotImplementedError

    def create(self, actor: Actor, cleaned: dict, context: dict):
        raise NotImplementedError

    def objects(self, ids: list[int]) -> list:
        """The created objects still present, for undo, in the order of ``ids``."""
        raise NotImplementedError

    def undo_blockers(self, objs: list) -> list[str]:
        """Why the batch cannot be taken back (Chinese reasons); empty when it can."""
        return []

    def remove(self, actor: Actor, obj) -> None:
        raise NotImplementedError

    def take_back(self, actor: Actor, ids: list[int], batch: ImportBatch) -> None:
        """Undo the records ``batch`` created (``ids``, latest first), or raise ConflictError with the reasons
        it cannot. One object at a time through ``undo_blockers`` and ``remove``; an importer of large
        batches overrides this with set-based checks and deletes."""
        objs = self.objects(ids)
        reasons = self.undo_blockers(objs)
        if reasons:
            raise ConflictError(f"不能撤销本批导入:{';'.join(reasons)}。")
        for obj in objs:
            self.remove(actor, obj)

    def template_notes(self) -> list[str]:
        """Extra lines for the template's instructions sheet."""
        return []

    def headers(self) -> list[str]:
        """The headers of the template and of exports; required columns marked with *."""
        return [f"{c.header}*" if c.required else c.header for c in self.columns]


_REGISTRY: dict[str, Importer] = {}


def register(importer_class: type[Importer]) -> type[Importer]:
    """Class decorator: make an importer known by its ``kind``."""
    _REGISTRY[importer_class.kind] = importer_class()
    return importer_class


@functools.cache
def _discover() -> None:
    # Each app's importers.py registers itself on import; this imports them all once, like the admin does.
    autodiscover_modules("importers")


def get_importer(kind: str) -> Importer:
    _discover()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(f"no importer for {kind!r}") from None


def all_importers() -> list[Importer]:
    _discover()
    return list(_REGISTRY.values())


# --- reading files -------------------------------------------------------------------------------------


@dataclass
class SourceRow:
    """One data row: its spreadsheet row number, its cells as read, and the values by field."""

    number: int
    cells: list
    values: dict


@dataclass
class Table:
    """A file's header row (as written), the field of each column, and the data rows."""

    headers: list[str]
    header_row: int
    fields: dict[int, str]
    rows: list[SourceRow] = field(default_factory=list)

    def header_of(self, field_name: str | None) -> str:
        """The header the file uses for a field (without *), so an error names the column the user sees."""
        for index, name in self.fields.items():
            if name == field_name:
                return clean_header(self.headers[index])
        return ""


def clean_header(text) -> str:
    return HEADER_NOISE.sub("", cell_text(text))


def cell_text(value) -> str:
    """A cell as text: numbers without a spurious ".0", dates in ISO form."""
    value = normalize_cell(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def normalize_cell(value):
    """Cells as the importers see them: stripped text, whole numbers as digits, dates as dates."""
    if type(value) is str:  # the common case first: a large file has millions of cells
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value.replace(microsecond=0)
    if isinstance(value, date):
        return value
    return str(value).strip()


def parse_date(value, field_name: str, label: str) -> date | None:
    """A date cell: a real Excel date, or text like 2024-05-01, 2024/5/1, 2024年5月1日, 20240501."""
    value = normalize_cell(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date) or value == "":
        return value or None
    match = DATE_TEXT.match(value) or COMPACT_DATE.match(value)
    try:
        if match:
            return date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise ServiceError(f"{label}“{value}”无法识别,请写作 2024-05-01 这样的日期。", field=field_name)


def read_grid(file_name: str, content: bytes) -> list[list]:
    """The first sheet's cells, row by row, from row 1 (so list index + 1 is the spreadsheet's row number)."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return list(csv.reader(io.StringIO(decode_text(content), newline="")))
    if suffix not in SPREADSHEET_SUFFIXES:
        raise ImportFileError("只能导入 .xlsx、.xls、.ods 或 .csv 文件。")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        return book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        raise ImportFileError("无法读取该文件,请确认它是有效的 Excel 文件(未加密、未损坏)。") from exc


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM) first; GB18030 (a superset of GBK, what Chinese Excel saves) next."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别 CSV 文件的编码,请另存为 UTF-8 或 GB18030(GBK)编码后再导入。")


def header_map(columns: Iterable[Column]) -> dict[str, Column]:
    mapping = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            mapping[clean_header(name)] = column
    return mapping


def find_header_row(grid: list[list], known: dict[str, Column]) -> int | None:
    """The first row naming one of the columns (title rows above it are skipped), else the first non-empty row."""
    first_filled = None
    for index, cells in enumerate(grid):
        texts = {clean_header(cell) for cell in cells}
        if texts & known.keys():
            return index
        if first_filled is None and any(texts):
            first_filled = index
    return first_filled


def map_headers(headers: list, columns: list[Column]) -> dict[int, str]:
    """Column index → field; unknown, repeated or missing headers make the file unusable."""
    known = header_map(columns)
    fields, unknown, seen = {}, [], {}
    for index, raw in enumerate(headers):
        text = clean_header(raw)
        if not text or text == ERROR_HEADER:
            continue
        column = known.get(text)
        if column is None:
            unknown.append(text)
        elif column.field in seen:
            raise ImportFileError(f"表头“{seen[column.field]}”和“{text}”是同一列,请删去其中一列。")
        else:
            fields[index], seen[column.field] = column.field, text
    if unknown:
        raise ImportFileError(f"无法识别的表头:{'、'.join(unknown)}。请使用导入模板中的表头。")
    missing = [c.header for c in columns if c.required and c.field not in seen]
    if missing:
        raise ImportFileError(f"缺少必填列:{'、'.join(missing)}。请使用导入模板。")
    return fields


def read_table(file_name: str, content: bytes, columns: list[Column]) -> Table:
    """The file's data rows with their values by field; blank rows are skipped."""
    max_bytes = getattr(settings, "IMPORT_MAX_FILE_BYTES", MAX_FILE_BYTES)
    if len(content) > max_bytes:
        raise ImportFileError(f"文件超过 {max_bytes // 1024 // 1024}MB,请拆分后分批导入。")
    grid = read_grid(file_name, content)
    header_index = find_header_row(grid, header_map(columns))
    if header_index is None:
        raise ImportFileError("文件是空的:第一个工作表中没有表头和数据。")
    headers = [cell_text(cell) for cell in grid[header_index]]
    table = Table(headers, header_index + 1, map_headers(headers, columns))
    for offset, cells in enumerate(grid[header_index + 1 :], start=header_index + 2):
        cells = list(map(normalize_cell, cells))
        if any(cell != "" for cell in cells):
            values = {name: cells[i] if i < len(cells) else "" for i, name in table.fields.items()}
            table.rows.append(SourceRow(offset, cells, values))
    limit = settings.IMPORT_MAX_ROWS
    if len(table.rows) > limit:
        raise ImportFileError(
            f"文件共有 {len(table.rows)} 行数据,超过单次导入上限 {limit} 行,请拆分后分批导入。"
        )
    if not table.rows:
        raise ImportFileError("文件中只有表头,没有数据行。")
    return table


# --- running rows --------------------------------------------------------------------------------------


@dataclass
class RunResult:
    total: int
    errors: list[dict] = field(default_factory=list)
    # (row number, object type, object id) of each record created.
    created: list[tuple[int, str, int]] = field(default_factory=list)


def row_error(table: Table, number: int, error: ServiceError) -> dict:
    return {"row": number, "column": table.header_of(error.field), "message": error.message}


def run_rows(
    importer: Importer,
    actor: Actor,
    table: Table,
    skip: frozenset[int] = frozenset(),
    *,
    write: bool = True,
    context: dict | None = None,
) -> RunResult:
    """Every row through the importer: in chunks for a batch importer, else one savepoint per row."""
    context = importer.new_context(actor) if context is None else context
    with importer.writing(actor, context) if write else contextlib.nullcontext():
        if importer.batched:
            return run_batches(importer, actor, table, skip, write, context)
        return _run_each_row(importer, actor, table, skip, context)


def _run_each_row(
    importer: Importer, actor: Actor, table: Table, skip: frozenset[int], context: dict
) -> RunResult:
    result = RunResult(total=len(table.rows))
    for row in table.rows:
        if row.number in skip:
            continue
        try:
            with transaction.atomic():
                cleaned = importer.validate_row(actor, row.values, context)
                obj = importer.create(actor, cleaned, context)
        except ServiceError as error:
            result.errors.append(row_error(table, row.number, error))
        else:
            result.created.append((row.number, obj._meta.label_lower, obj.pk))
    return result


def run_batches(
    importer: Importer, actor: Actor, table: Table, skip: frozenset[int], write: bool, context: dict
) -> RunResult:
    """A chunk at a time: validate the chunk, then (when writing) create its valid rows in bulk."""
    result = RunResult(total=len(table.rows))
    rows = [row for row in table.rows if row.number not in skip]
    size = max(importer.chunk_size, 1)
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        valid = []
        for row, outcome in zip(chunk, importer.validate_batch(actor, chunk, context), strict=True):
            if isinstance(outcome, ServiceError):
                result.errors.append(row_error(table, row.number, outcome))
            else:
                valid.append((row.number, outcome))
        if write and valid:
            result.created += importer.create_batch(actor, valid, context)
    return result


def check(importer: Importer, actor: Actor, file_name: str, content: bytes) -> RunResult:
    """Run the whole file and roll everything back: what a commit would do, saving nothing."""
    table = read_table(file_name, content, importer.columns)
    if importer.batched:
        # Pure validation: a batch importer's checks are made to find what its bulk writes could meet.
        return run_rows(importer, actor, table, write=False)
    with transaction.atomic(), audit.rehearsal():
        result = run_rows(importer, actor, table)
        transaction.set_rollback(True)
    result.created = []  # rolled back: the objects no longer exist
    return result


@transaction.atomic
def preview(importer: Importer, actor: Actor, file_name: str, content: bytes) -> ImportBatch:
    """Check the file and keep it as a batch awaiting confirmation, with its row errors."""
    result = check(importer, actor, file_name, content)
    batch = _new_batch(importer, actor, file_name, content, total=result.total, errors=result.errors)
    audit.record(actor, "import.upload", batch, after=batch_state(batch))
    return batch


def _new_batch(
    importer: Importer, actor: Actor, file_name: str, content: bytes, total: int, errors: list | None = None
) -> ImportBatch:
    errors = errors or []
    batch = ImportBatch.objects.create(
        kind=importer.kind,
        file_name=PurePath(file_name).name[:255],
        content=b"",
        created_by=actor.user,
        total_rows=total,
        valid_rows=total - len(errors),
        errors=errors,
    )
    # The file may hold ID numbers and phones: it is kept encrypted, bound to this batch's row.
    batch.content = crypto.encrypt_bytes(content, batch_content_aad(batch))
    batch.save(update_fields=["content"])
    return batch


def batch_content_aad(batch: ImportBatch) -> str:
    return f"core_importbatch.content.{batch.pk}"


def batch_file(batch: ImportBatch) -> bytes:
    """The uploaded file, decrypted."""
    return crypto.decrypt_bytes(bytes(batch.content), batch_content_aad(batch))


def batch_state(batch: ImportBatch) -> dict:
    return {
        "kind": batch.kind,
        "file_name": batch.file_name,
        "status": batch.status,
        "total_rows": batch.total_rows,
        "valid_rows": batch.valid_rows,
        "imported_rows": batch.imported_rows,
        "error_count": len(batch.errors),
    }


def _locked(batch: ImportBatch, status: str, refusal: str) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != status:
        raise ConflictError(f"该批次{batch.get_status_display()},{refusal}。", field="status")
    return batch


def describe_error(error: dict) -> str:
    """A row error as one line: 行 3,列“组织类别”:…"""
    column = f",列“{error['column']}”" if error["column"] else ""
    return f"行 {error['row']}{column}:{error['message']}"


def _refusal(row_error: dict) -> str:
    column = f"列“{row_error['column']}”," if row_error["column"] else ""
    return (
        f"第 {row_error['row']} 行在预检后已不能导入({column}{row_error['message']}),"
        "本批未导入任何数据。请重新上传文件预检。"
    )


@transaction.atomic
def commit(actor: Actor, batch: ImportBatch) -> ImportBatch:
    """Import the rows the preview found valid, all or none, and record what was created."""
    batch = _locked(batch, ImportBatch.Status.PREVIEWED, "不能再导入")
    if batch.valid_rows == 0:
        raise ServiceError("本批没有可导入的有效数据。")
    importer = get_importer(batch.kind)
    table = read_table(batch.file_name, batch_file(batch), importer.columns)
    context = importer.new_context(actor)
    context["batch"] = batch
    skip = frozenset(error["row"] for error in batch.errors)
    result = run_rows(importer, actor, table, skip=skip, context=context)
    if result.errors:
        raise ConflictError(_refusal(result.errors[0]))
    return _record_commit(actor, importer, batch, result)


class NothingToImport(ServiceError):
    """A one-step import whose file has no valid row: nothing was saved; ``errors`` lists every row's error."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"文件中没有可导入的有效数据(共 {len(errors)} 行有错误),未导入任何数据。")
        self.errors = errors


@transaction.atomic
def import_at_once(importer: Importer, actor: Actor, file_name: str, content: bytes) -> ImportBatch:
    """Upload and commit in one step: the valid rows are imported, the others kept as the batch's errors.

    The same checks and writes as a preview followed by a commit, but each row is read and checked once:
    for a department loading a whole city from the command line or the API, where nobody reviews a preview
    of a million rows before confirming it. The batch is recorded as uploaded and committed (audit entries
    of both), its rejected rows downloadable and the whole batch undoable as after a commit.
    """
    table = read_table(file_name, content, importer.columns)
    batch = _new_batch(importer, actor, file_name, content, total=len(table.rows))
    context = importer.new_context(actor)
    context["batch"] = batch
    result = run_rows(importer, actor, table, context=context)
    if not result.created:
        raise NothingToImport(result.errors)
    batch.errors, batch.valid_rows = result.errors, result.total - len(result.errors)
    batch.save(update_fields=["errors", "valid_rows"])
    audit.record(actor, "import.upload", batch, after=batch_state(batch))
    return _record_commit(actor, importer, batch, result)


def _record_commit(actor: Actor, importer: Importer, batch: ImportBatch, result: RunResult) -> ImportBatch:
    """What a commit leaves behind: the objects each row created, the batch's status and the audit entry."""
    insert_rows(
        ImportedObject,
        [
            {"batch_id": batch.pk, "object_type": kind, "object_id": pk, "row_number": number}
            for number, kind, pk in result.created
        ],
    )
    before = batch_state(batch)
    batch.status, batch.imported_rows = ImportBatch.Status.COMMITTED, len(result.created)
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "imported_rows", "finished_at"])
    audit.record(actor, "import.commit", batch, before=before, after=batch_state(batch))
    if batch.imported_rows >= settings.IMPORT_ANALYZE_ROWS:
        transaction.on_commit(lambda: refresh_statistics(importer.analyze_tables))
    return batch


def refresh_statistics(tables: Iterable[str]) -> None:
    """ANALYZE the tables a large import has just filled.

    Until the database has statistics for the new rows its planner misjudges them: the member list of a
    city took 2.7 s right after importing 1,000,000 members and 86 ms after ANALYZE (bench/README.md).
    Autovacuum would get there, but not before the users who just imported open their lists.
    """
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


@transaction.atomic
def cancel(actor: Actor, batch: ImportBatch) -> ImportBatch:
    """Drop a previewed batch: nothing was imported, and nothing will be."""
    batch = _locked(batch, ImportBatch.Status.PREVIEWED, "不能取消")
    before = batch_state(batch)
    batch.status, batch.finished_at = ImportBatch.Status.CANCELLED, timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    audit.record(actor, "import.cancel", batch, before=before, after=batch_state(batch))
    return batch


def _created_ids(batch: ImportBatch) -> list[int]:
    # Latest rows first: an object created by a later row may depend on an earlier one, never the reverse.
    return list(batch.objects_created.order_by("-row_number").values_list("object_id", flat=True))


@transaction.atomic
def undo(actor: Actor, batch: ImportBatch) -> ImportBatch:
    """Take back everything a committed batch created, refused while anything depends on it."""
    batch = _locked(batch, ImportBatch.Status.COMMITTED, "不能撤销")
    importer = get_importer(batch.kind)
    importer.take_back(actor, _created_ids(batch), batch)
    before = batch_state(batch)
    batch.status = ImportBatch.Status.UNDONE
    batch.save(update_fields=["status"])
    audit.record(actor, "import.undo", batch, before=before, after=batch_state(batch))
    return batch


# --- the batches a user may see, and their rejected rows -----------------------------------------------


def batches_of(user):
    """A user sees the batches they uploaded, and no one else's (an import can carry any org's data)."""
    if user is None or not user.is_authenticated:
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(created_by=user)


def rejected_rows(batch: ImportBatch) -> tuple[list[str], list[list]]:
    """The file's headers plus 错误说明, and the rows the preview refused with their errors."""
    importer = get_importer(batch.kind)
    table = read_table(batch.file_name, batch_file(batch), importer.columns)
    messages: dict[int, list[str]] = {}
    for error in batch.errors:
        prefix = f"{error['column']}:" if error["column"] else ""
        messages.setdefault(error["row"], []).append(prefix + error["message"])
    kept = [i for i, header in enumerate(table.headers) if header and clean_header(header) != ERROR_HEADER]
    rows = [
        [row.cells[i] if i < len(row.cells) else "" for i in kept] + [";".join(messages[row.number])]
        for row in table.rows
        if row.number in messages
    ]
    return [table.headers[i] for i in kept] + [ERROR_HEADER], rows


# --- bulk writes for batch importers -------------------------------------------------------------------


# Values the database driver takes as they are: psycopg adapts these itself (COPY included), so only the
# other types go through the field's own conversion (JSON, say). SQLite's driver takes fewer.
NATIVE_TYPES = {
    "postgresql": (str, int, bool, type(None), date, datetime, uuid.UUID, Decimal),
    "sqlite": (str, int, bool, type(None)),
}


_ABSENT = object()


def _prepared(model, columns: list, rows: Iterable[dict]) -> Iterable[tuple]:
    """Each row as a tuple of database values in the order of ``columns``; absent fields get defaults.

    The plan of each column (its default, whether the driver needs the field's conversion) is made once,
    not per value: a bulk import writes millions of values through here.
    """
    connection = transaction.get_connection()
    native = NATIVE_TYPES.get(connection.vendor, NATIVE_TYPES["sqlite"])
    plans = []
    for column in columns:
        dynamic = column.has_default() and callable(column.default)
        plans.append((column.attname, column, dynamic, None if dynamic else column.get_default()))
    for row in rows:
        values = []
        for attname, column, dynamic, default in plans:
            value = row.get(attname, _ABSENT)
            if value is _ABSENT:
                value = column.get_default() if dynamic else default
            values.append(value if isinstance(value, native) else column.get_db_prep_save(value, connection))
        yield tuple(values)


def allocate_ids(model, count: int) -> list[int]:
    """``count`` new primary keys for ``model``, taken before the insert (so COPY can write them)."""
    if count == 0:
        return []
    connection = transaction.get_connection()
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the commit holds the write lock (transaction_mode IMMEDIATE), so no one takes these ids.
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
            start = max(start, found[0] if found else 0)
    return list(range(start + 1, start + count + 1))


def insert_rows(model, rows: Iterable[dict]) -> None:
    """Insert plain rows (dicts by field attname) without model instances: COPY on PostgreSQL, one
    ``executemany`` elsewhere. No signals, no ``save()``: the caller has checked everything. Rows that
    hold ``id`` keep it; otherwise the database numbers them.

    ``rows`` may be a generator: on PostgreSQL each row is made while the server stores the ones before it
    (a bulk import seals a member's protected fields as the previous members are being indexed), so the
    Python work and the database work of a chunk overlap on the machine's cores."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    connection = transaction.get_connection()
    fields = model._meta.concrete_fields
    columns = [f for f in fields if not (f.primary_key and f.attname not in first)]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c.column) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in _prepared(model, columns, rows):
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})", list(_prepared(model, columns, rows))
            )


def delete_rows(model, ids: list[int]) -> None:
    """Delete rows by primary key in one statement, without loading them: for undoing a bulk import, whose
    caller has checked that nothing refers to them. Foreign keys are checked at once (PostgreSQL defers
    Django's constraints to the commit), so a reference that appeared meanwhile fails here, inside the
    caller's savepoint, as an IntegrityError."""
    if not ids:
        return
    connection = transaction.get_connection()
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"DELETE FROM {table} WHERE {pk} = ANY(%s)", [list(ids)])
        else:
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks})", list(ids))
