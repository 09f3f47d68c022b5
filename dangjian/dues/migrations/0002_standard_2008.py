"""The dues standard of 中组发〔2008〕3号 (in force from 2008-04-01) as data: a later change is a new standard."""

from decimal import Decimal

from django.db import migrations

SOURCE = "中组发〔2008〕3号"
IN_SERVICE = [("3000.00", "0.50"), ("5000.00", "1.00"), ("10000.00", "1.50"), (None, "2.00")]
BANDS = (
    # In-service, 年薪制 (the pay of the month) and self-employed (last quarter's average): 第二、三、四条.
    [("in_service", upper, rate, f"{SOURCE} 第二条") for upper, rate in IN_SERVICE]
    + [("annual_salary", upper, rate, f"{SOURCE} 第三条") for upper, rate in IN_SERVICE]
    + [("self_employed", upper, rate, f"{SOURCE} 第四条") for upper, rate in IN_SERVICE]
    + [("retired", "5000.00", "0.50", f"{SOURCE} 第五条"), ("retired", None, "1.00", f"{SOURCE} 第五条")]
)
FIXED = [("farmer", "0.20", "1.00"), ("low_income", "0.20", "0.20")]


def add_standard(apps, schema_editor):
    Standard = apps.get_model("dues", "DuesStandard")
    Band = apps.get_model("dues", "RateBand")
    standard = Standard.objects.create(
        name="关于中国共产党党费收缴、使用和管理的规定", document=SOURCE, effective_from="2008-04-01"
    )
    for member_type, upper, rate, source in BANDS:
        Band.objects.create(
            standard=standard,
            member_type=member_type,
            upper_bound=Decimal(upper) if upper else None,
            rate=Decimal(rate),
            source=source,
        )
    for member_type, low, high in FIXED:
        Band.objects.create(
            standard=standard,
            member_type=member_type,
            fixed_min=Decimal(low),
            fixed_max=Decimal(high),
            source=f"{SOURCE} 第六条",
        )


def remove_standard(apps, schema_editor):
    apps.get_model("dues", "DuesStandard").objects.filter(document=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_initial")]
    operations = [migrations.RunPython(add_standard, remove_standard)]
