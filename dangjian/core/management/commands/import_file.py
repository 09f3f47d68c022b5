"""manage.py import_file KIND FILE [--commit] [--user USERNAME]: any registered import, from a shell.

Without --commit it is a dry run: it prints each row error and exits with status 1 when there are any.
With --commit it imports in one step (``importing.import_at_once``): every row is read and checked once,
the valid rows are imported as one batch (recorded like an upload and a commit, undoable on the imports
page by the batch's user), and the rows with errors are printed and left out. This is how an organization
department loads a whole city's members from one large file.

The actor is the command (every org), or with --user an account whose roles decide what it may import;
the batch then belongs to that account and appears on its imports page.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import User
from dangjian.core import importing
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError

ERRORS_PRINTED = 200


class Command(BaseCommand):
    help = "Import a file of a registered kind (members, orgs …): a dry run listing row errors, or --commit."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="导入类型,如 members、members_update、orgs")
        parser.add_argument("file", help="导入文件(表头同导入模板)")
        parser.add_argument("--commit", action="store_true", help="一步导入有效行(默认只预检)")
        parser.add_argument("--user", help="以该账号的权限导入(默认以命令身份,不限范围)")

    def handle(self, *args, kind, file, commit, user, **options):
        try:
            importer = importing.get_importer(kind)
        except LookupError:
            kinds = "、".join(sorted(i.kind for i in importing.all_importers()))
            raise CommandError(f"导入类型“{kind}”不存在,可选:{kinds}。") from None
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}:{exc.strerror}") from exc
        actor = self.actor(user)
        try:
            if commit:
                self.import_now(importer, actor, path.name, content)
            else:
                self.dry_run(importer, actor, path.name, content)
        except importing.NothingToImport as refusal:
            self.print_errors(refusal.errors)
            raise CommandError(refusal.message) from refusal
        except ServiceError as error:
            raise CommandError(error.message) from error

    def actor(self, username: str | None) -> Actor:
        if not username:
            return Actor.command("import_file")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"账号“{username}”不存在或已停用。")
        return Actor(user, via="import", request_id="import_file")

    def print_errors(self, errors: list[dict]) -> None:
        for error in errors[:ERRORS_PRINTED]:
            self.stdout.write(importing.describe_error(error))
        if len(errors) > ERRORS_PRINTED:
            self.stdout.write(f"……另有 {len(errors) - ERRORS_PRINTED} 行错误未列出。")

    def dry_run(self, importer, actor, name: str, content: bytes) -> None:
        result = importing.check(importer, actor, name, content)
        self.stdout.write(
            f"共 {result.total} 行数据,有效 {result.total - len(result.errors)} 行,有错误 {len(result.errors)} 行。"
        )
        self.print_errors(result.errors)
        if result.errors:
            raise CommandError(f"有 {len(result.errors)} 行错误;本次只是预检,未导入任何数据。")
        self.stdout.write("预检通过。加 --commit 导入。")

    def import_now(self, importer, actor, name: str, content: bytes) -> None:
        batch = importing.import_at_once(importer, actor, name, content)
        self.print_errors(batch.errors)
        self.stdout.write(
            f"共 {batch.total_rows} 行数据,已导入 {batch.imported_rows} 条{importer.label}记录"
            f"(导入批次 {batch.pk}),有错误未导入 {len(batch.errors)} 行。"
        )
