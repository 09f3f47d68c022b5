"""Create the monthly dues bills: ``manage.py bill_dues [--month 2026-11] [--org CODE]``.

Idempotent, so it is safe to schedule daily or monthly (cron or a systemd timer; docs/deploy.md): a run
creates only the bills still missing, e.g. for members whose base was declared since the last run.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.dues import rules, services
from dangjian.orgs.models import Org


class Command(BaseCommand):
    help = "生成某月应交党费(默认本月);重复运行不会重复生成。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份,格式 YYYY-MM;默认本月")
        parser.add_argument("--org", help="只为该组织编码的党组织及其下级生成;默认全部")

    def handle(self, *args, month=None, org=None, **options):
        try:
            month = rules.parse_month(month) if month else rules.month_of(timezone.localdate())
        except ValueError as error:
            raise CommandError(str(error)) from None
        within = None
        if org:
            within = Org.objects.filter(code=org).first()
            if within is None:
                raise CommandError(f"未找到组织编码为“{org}”的党组织。")
        try:
            result = services.bill_month(Actor.command("bill_dues"), within, month)
        except ServiceError as error:
            raise CommandError(error.message) from None
        self.stdout.write(result.summary)
