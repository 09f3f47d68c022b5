"""A prefix index on Org.path for PostgreSQL.

Subtree queries are ``path LIKE 'prefix%'``. Under a non-C collation PostgreSQL cannot use the
ordinary unique index for LIKE, so a ``varchar_pattern_ops`` index is added. SQLite needs none.
"""

from django.db import migrations

INDEX = "orgs_org_path_prefix_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON orgs_org (path varchar_pattern_ops)")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS core_auditentry_org_path_prefix_idx "
            "ON core_auditentry (org_path varchar_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute("DROP INDEX IF EXISTS core_auditentry_org_path_prefix_idx")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial"), ("core", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
