"""The demo accounts that come with the demo tree (``manage.py seed_demo``), one per role.

They exist only with demo data: ``setup_platform`` creates them only when asked for a demo,
and a production setup never does. All share one published password, so they must never
be created in a database holding real data.
"""

from dataclasses import dataclass

from faker import Faker

from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core.audit import Actor

DEMO_PASSWORD = "Demo@2026"

# Where a party role is held: the city root, the demo county, or the demo village branch.
AT_ROOT, AT_COUNTY, AT_BRANCH = "root", "county", "branch"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    held_at: str | None  # AT_ROOT, AT_COUNTY, AT_BRANCH, or None for a system role
    sees: str  # what the account can see, for the printed table


DEMO_ACCOUNTS = (
    DemoAccount("demo_city", Role.DEPARTMENT_ADMIN, AT_ROOT, "全市党组织"),
    DemoAccount("demo_county", Role.DEPARTMENT_ADMIN, AT_COUNTY, "本县党组织"),
    DemoAccount("demo_secretary", Role.SECRETARY, AT_BRANCH, "本支部"),
    DemoAccount("demo_member", Role.MEMBER, AT_BRANCH, "本支部(只读)"),
    DemoAccount("demo_sysadmin", Role.SYSTEM_ADMIN, None, "只管理账号"),
    DemoAccount("demo_secadmin", Role.SECURITY_ADMIN, None, "只管理角色授权"),
    DemoAccount("demo_auditor", Role.AUDIT_ADMIN, None, "只查看审计日志"),
)


@dataclass(frozen=True)
class DemoLogin:
    """One line of the printed logins table."""

    account: DemoAccount
    user: User
    org: object | None
    created: bool


def create_demo_accounts(actor: Actor, orgs: dict, seed: int) -> list[DemoLogin]:
    """Create the demo accounts and their roles through the account services.

    ``orgs`` maps AT_ROOT, AT_COUNTY and AT_BRANCH to orgs. An account that already exists (a
    second demo tree made with ``--force``) is left exactly as it is.
    """
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    logins = []
    for account in DEMO_ACCOUNTS:
        display_name = fake.name()
        org = orgs[account.held_at] if account.held_at else None
        user = User.objects.filter(username=account.username).first()
        if user is not None:
            logins.append(DemoLogin(account, user, None, created=False))
            continue
        user = services.create_user(
            actor, username=account.username, password=DEMO_PASSWORD, display_name=display_name
        )
        services.grant_role(actor, user=user, role=account.role, org=org)
        logins.append(DemoLogin(account, user, org, created=True))
    return logins
