import importlib
import time
import unicodedata

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count

from dangjian.core.audit import Actor
from dangjian.core.demo import AT_BRANCH, AT_COUNTY, AT_ROOT, DEMO_PASSWORD, create_demo_accounts
from dangjian.members.demo import build_demo_members
from dangjian.orgs.demo import SCALES, build_demo_tree
from dangjian.orgs.models import Org, OrgEvent, OrgEventKind, OrgKind, OrgStatus


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align in a terminal column: a Chinese character takes two cells."""
    return text + " " * max(0, width - display_width(text))


# Apps whose demo data needs only orgs and members; each may have a ``demo.py`` with
# ``seed_demo(actor, tree, scale, seed) -> str`` (one summary line), called in INSTALLED_APPS order.
LATER_DEMO_APPS = ("recruitment", "activities", "dues", "reports")


def seed_later_modules(actor, tree, scale: str, seed: int) -> list[str]:
    lines = []
    for label in LATER_DEMO_APPS:
        config = apps.get_app_config(label)
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as missing:
            if missing.name != f"{config.name}.demo":
                raise
            continue
        started = time.perf_counter()
        summary = module.seed_demo(actor, tree, scale, seed)
        lines.append(f"{summary},用时 {time.perf_counter() - started:.1f} 秒")
    return lines


class Command(BaseCommand):
    help = (
        "Build a realistic demo org tree (Faker zh_CN) and the demo accounts, all through the services. "
        "Refuses when orgs exist, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=sorted(SCALES), default="county", help="county ≈ 400, city ≈ 3000"
        )
        parser.add_argument("--seed", type=int, default=2026, help="same seed, same tree")
        parser.add_argument(
            "--force", action="store_true", help="build another demo tree beside the orgs already present"
        )

    def handle(self, *args, scale: str, seed: int, force: bool, **options):
        existing = Org.objects.count()
        if existing and not force:
            raise CommandError(
                f"数据库中已有 {existing} 个党组织,未生成演示数据。演示账号共用公开的密码,"
                "不应与正式数据放在一起;确需再生成一套演示数据,请加 --force。"
            )
        actor = Actor.command("seed_demo")
        started = time.perf_counter()
        # One transaction: a seed that fails half-way leaves nothing behind.
        with transaction.atomic():
            tree = build_demo_tree(actor, scale, seed)
            places = {AT_ROOT: tree.root, AT_COUNTY: tree.county, AT_BRANCH: tree.village_branch}
            logins = create_demo_accounts(actor, places, seed)
            members_started = time.perf_counter()
            members = build_demo_members(actor, tree.root, scale, seed)
            module_lines = seed_later_modules(actor, tree, scale, seed)
        elapsed = time.perf_counter() - started
        self.print_tree_summary(tree.root, scale, seed, elapsed)
        self.stdout.write(
            f"  党员 {members.members} 名(其中流动 {members.mobile}、失联 {members.lost_contact}),"
            f"党员事项 {members.events} 条,用时 {time.perf_counter() - members_started:.1f} 秒"
        )
        for line in module_lines:
            self.stdout.write(f"  {line}")
        self.print_logins(logins)

    def print_tree_summary(self, root: Org, scale: str, seed: int, elapsed: float):
        orgs = Org.objects.all().within(root)
        total = orgs.count()
        dissolved = orgs.filter(status=OrgStatus.DISSOLVED).count()
        by_kind = dict(orgs.order_by().values_list("kind").annotate(n=Count("pk")))
        events = dict(
            OrgEvent.objects.filter(org__path__startswith=root.path)
            .order_by()
            .values_list("kind")
            .annotate(n=Count("pk"))
        )
        self.stdout.write(
            f"已生成演示数据(规模 {scale},种子 {seed},用时 {elapsed:.1f} 秒):"
            f"{root.name},共 {total} 个党组织,其中已撤销 {dissolved} 个。"
        )
        for kind in OrgKind:
            self.stdout.write(f"  {pad(kind.label, 12)}{by_kind.get(kind.value, 0):>6}")
        event_parts = "、".join(
            f"{kind.label} {events[kind.value]}" for kind in OrgEventKind if kind.value in events
        )
        self.stdout.write(f"  党组织事项 {sum(events.values())} 条:{event_parts}")

    def print_logins(self, logins):
        self.stdout.write(f"演示账号(密码均为 {DEMO_PASSWORD},仅供演示):")
        self.stdout.write(f"  {pad('账号', 16)}{pad('角色', 14)}{pad('姓名', 8)}所在党组织")
        for login in logins:
            where = login.org.name if login.org is not None else "—"
            if not login.created:
                where = "(账号已存在,未改动)"
            self.stdout.write(
                f"  {pad(login.account.username, 16)}{pad(login.account.role.label, 14)}"
                f"{pad(login.user.display_name, 8)}{where}"
            )
