"""The ledgers every org keeps (台账): the code table's first rows."""

from django.db import migrations

TAGS = [
    ("veteran", "老党员", "党龄50年以上或年龄较大的老党员", 10),
    ("hardship", "困难党员", "生活困难、需要帮扶的党员", 20),
    ("martyr_family", "烈士遗属", "烈士的直系亲属", 30),
    ("died_on_duty", "因公殉职", "因公殉职人员的家属", 40),
]


def add_tags(apps, schema_editor):
    MemberTag = apps.get_model("members", "MemberTag")
    for code, name, description, order in TAGS:
        MemberTag.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "sort_order": order}
        )


def remove_tags(apps, schema_editor):
    apps.get_model("members", "MemberTag").objects.filter(code__in=[t[0] for t in TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(add_tags, remove_tags)]
