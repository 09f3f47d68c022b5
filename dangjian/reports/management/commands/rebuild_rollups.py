"""manage.py rebuild_rollups [--year Y] [--years N] [--workers N] [--verify-only]: rebuild the member
roll-ups (per org and per subtree), the org counts per subtree and the roll-ups other apps keep (the
attendance of activities per org: rollups.register_kept), then verify them against the live counts.

Run it once after installing or upgrading, after a bulk load made outside the services, and on 1 January
(the roll-ups hold this year and the last, each row with the members' total of the nine years before its
own: until rebuilt, the new year's figures are computed live). On PostgreSQL the rebuild empties the
tables with TRUNCATE: statistics pages and member writes wait for it (about a minute and a half for a
province), and the parts (the member and org roll-ups, each app's) are rebuilt side by side, each in its
own transaction (rollups.rebuild). It exits with an error and names the first differences when the kept
rows disagree with a live count.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.core.audit import Actor
from dangjian.reports import rollups


class Command(BaseCommand):
    help = "重建并核对各党组织的党员统计汇总(roll-ups)。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="年度,默认为今年")
        parser.add_argument(
            "--years",
            type=int,
            default=rollups.YEARS,
            help=f"保留全部统计项的年度数(含今年),默认{rollups.YEARS}(今年和上一年度;每个年度另存此前九年的党员总数,供近十年趋势读取);1 则只保留今年",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=rollups.REBUILD_WORKERS,
            help=f"PostgreSQL 上同时重建的汇总项数(每项各用一个数据库连接和事务),默认{rollups.REBUILD_WORKERS};数据库服务器的处理器核数较多时可调大",
        )
        parser.add_argument("--verify-only", action="store_true", help="只核对,不重建")

    def handle(
        self,
        *args,
        year=None,
        years=rollups.YEARS,
        workers=rollups.REBUILD_WORKERS,
        verify_only=False,
        **options,
    ):
        year = year or timezone.localdate().year
        if not verify_only:
            started = time.perf_counter()
            years = max(1, years)
            try:
                rows = rollups.rebuild(Actor.command("rebuild_rollups"), year, years, workers)
            except rollups.PartFailed as failed:
                raise CommandError(f"{failed}。排除原因后请再运行一次。") from failed
            before = f"及此前 {years - 1} 个年度" if years > 1 else ""
            self.stdout.write(
                f"已重建 {year} 年度{before}的{rollups.kept_names()} {rows} 行,"
                f"用时 {time.perf_counter() - started:.1f} 秒。"
            )
        elif year not in rollups.kept_years():
            raise CommandError(f"{year} 年度的统计汇总尚未建立,请先运行 rebuild_rollups。")
        started = time.perf_counter()
        problems = [line for kept in sorted(rollups.kept_years()) for line in rollups.differences(kept)]
        problems += rollups.other_differences()
        if problems:
            shown = "\n".join(problems[:20])
            raise CommandError(f"统计汇总与实际不符 {len(problems)} 处:\n{shown}")
        self.stdout.write(f"核对无误(用时 {time.perf_counter() - started:.1f} 秒)。")
