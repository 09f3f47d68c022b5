"""manage.py import_orgs FILE [--commit]: the org import of the pages, from a shell.

Without --commit it is a dry run: it prints each row error and exits with status 1 when there are any.
With --commit it imports the valid rows as one batch (recorded like an upload, so the audit log and the
batch's objects show what came in) and prints the counts. The actor is the command, which may also
create a top org: a row whose 上级组织编码 is empty.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.core import importing
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.orgs.importers import OrgImporter


class Command(BaseCommand):
    help = "Import orgs from .xlsx/.xls/.ods/.csv: a dry run listing row errors, or --commit to import valid rows."

    def add_arguments(self, parser):
        parser.add_argument("file", help="导入文件(表头同导入模板)")
        parser.add_argument("--commit", action="store_true", help="导入有效行(默认只预检)")

    def handle(self, *args, file, commit, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}:{exc.strerror}") from exc
        actor = Actor.command("import_orgs")
        try:
            if commit:
                self.commit(actor, path.name, content)
            else:
                self.dry_run(actor, path.name, content)
        except ServiceError as error:
            raise CommandError(error.message) from error

    def report(self, total: int, valid: int, errors: list[dict]) -> None:
        self.stdout.write(f"共 {total} 行数据,有效 {valid} 行,有错误 {len(errors)} 行。")
        for error in errors:
            self.stdout.write(importing.describe_error(error))

    def dry_run(self, actor, name: str, content: bytes) -> None:
        result = importing.check(OrgImporter(), actor, name, content)
        self.report(result.total, result.total - len(result.errors), result.errors)
        if result.errors:
            raise CommandError(f"有 {len(result.errors)} 行错误;本次只是预检,未导入任何数据。")
        self.stdout.write("预检通过。加 --commit 导入。")

    @transaction.atomic
    def commit(self, actor, name: str, content: bytes) -> None:
        batch = importing.preview(OrgImporter(), actor, name, content)
        self.report(batch.total_rows, batch.valid_rows, batch.errors)
        batch = importing.commit(actor, batch)
        self.stdout.write(f"已导入 {batch.imported_rows} 个党组织(导入批次 {batch.pk})。")
