from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from dangjian.orgs.demo import SCALES
from dangjian.orgs.models import Org


class Command(BaseCommand):
    help = (
        "First-run and every-run setup (used by `make run`): keys, database migrations and, with --demo, "
        "the demo data when the database holds no orgs. Quiet and fast when nothing needs doing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            choices=sorted(SCALES),
            help="load demo data of this scale when the database has no orgs",
        )

    def handle(self, *args, demo: str | None, **options):
        self.ensure_keys()
        self.ensure_database_folder()
        applied = self.migrate()
        if applied:
            self.stdout.write(f"数据库已更新:应用了 {applied} 个迁移。")
        if demo and not Org.objects.exists():
            call_command("seed_demo", scale=demo, stdout=self.stdout, stderr=self.stderr)

    def ensure_keys(self):
        # Reading the settings generates any missing key under var/keys/ (dangjian/keys.py);
        # touching each one here makes that explicit and fails early when a key file is unreadable.
        for name in ("SECRET_KEY", "DATA_KEY", "INDEX_KEY"):
            if not getattr(settings, name):
                raise CommandError(f"缺少密钥 {name}:请检查环境变量或 var/keys/ 目录。")

    def ensure_database_folder(self):
        # WhiteNoise serves the sources directly but warns on every start when this folder is missing.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        database = connections[DEFAULT_DB_ALIAS].settings_dict
        if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)

    def migrate(self) -> int:
        """Apply pending migrations; return how many there were. Checking costs far less than migrating."""
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            call_command("migrate", interactive=False, verbosity=0)
        return len(plan)
