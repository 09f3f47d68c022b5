import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Set a new password for an account, as the server operator (recorded in the audit log). "
        "The only way to reset a system-role account: the pages refuse it to keep the three roles apart."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--stdin", action="store_true", help="read the new password from standard input")

    def handle(self, *args, username: str, stdin: bool, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"账号“{username}”不存在。")
        password = sys.stdin.readline().rstrip("\n") if stdin else self.ask_twice()
        try:
            services.reset_password(Actor.command("reset_password"), user, password)
        except ServiceError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"已重置账号“{username}”的密码,并解除锁定。")

    def ask_twice(self) -> str:
        first = getpass.getpass("新密码:")
        if getpass.getpass("再输入一次:") != first:
            raise CommandError("两次输入的密码不一致。")
        return first
