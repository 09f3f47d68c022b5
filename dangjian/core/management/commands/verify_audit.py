from django.core.management.base import BaseCommand, CommandError

from dangjian.core.audit import verify_chain
from dangjian.core.models import AuditEntry


class Command(BaseCommand):
    help = "Recompute the SM3 chain of the audit log; print OK or the first broken entry."

    def handle(self, *args, **options):
        broken = verify_chain()
        if broken:
            raise CommandError(f"审计日志校验失败:第 {broken.seq} 条:{broken.reason}")
        self.stdout.write(f"OK: {AuditEntry.objects.count()} 条审计日志,哈希链完整")
