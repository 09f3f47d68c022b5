"""seed_demo: a realistic county-scale tree and the demo accounts, all built through the services."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count

from dangjian.accounts.models import RoleAssignment, User
from dangjian.accounts.roles import Role
from dangjian.accounts.services import check_login
from dangjian.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import BRANCH_KINDS, Org, OrgEvent, OrgEventKind, OrgKind, OrgStatus, Sector


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", scale="county", seed=11, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """One county-scale seed for the whole module, rolled back at its end.

    Each test still runs inside its own savepoint (the ``db`` fixture), so what a test writes
    is undone before the next one; the seed itself is undone when the module is done.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


def snapshot_counts() -> dict:
    models = (Org, OrgEvent, AuditEntry, User, RoleAssignment)
    return {model.__name__: model.objects.count() for model in models}


def test_it_builds_a_county_scale_city_with_every_kind_of_org(seeded):
    orgs = Org.objects.all()
    assert 300 <= orgs.count() <= 500
    root = Org.get_root_nodes().get()
    assert (
        root.kind == OrgKind.COMMITTEE and root.name.endswith("市委员会") and root.short_name.endswith("市委")
    )
    working = root.get_children().get(kind=OrgKind.WORKING_COMMITTEE, name__endswith="市直机关工委")
    assert working.get_children().filter(name__contains="局机关").exists()
    counties = root.get_children().filter(kind=OrgKind.COMMITTEE, name__endswith="县委员会")
    assert counties.exists()
    kinds = dict(orgs.order_by().values_list("kind").annotate(n=Count("pk")))
    assert set(kinds) == set(OrgKind.values)
    assert orgs.filter(kind=OrgKind.TEMPORARY_BRANCH, name__endswith="临时党支部").exists()
    assert orgs.filter(kind=OrgKind.JOINT_BRANCH, name__endswith="联合党支部").exists()
    sectors = set(orgs.values_list("sector", flat=True))
    assert {
        Sector.VILLAGE,
        Sector.COMMUNITY,
        Sector.SCHOOL,
        Sector.HOSPITAL,
        Sector.PRIVATE_ENTERPRISE,
    } <= sectors


def test_it_keeps_the_tree_valid_and_the_codes_unique(seeded):
    assert Org.find_problems() == ([], [], [], [], [])
    codes = list(Org.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    for org in Org.objects.filter(kind__in=BRANCH_KINDS):
        assert org.numchild == 0, f"{org.name} holds child orgs"
    for general in Org.objects.filter(kind=OrgKind.GENERAL_BRANCH):
        assert {child.kind for child in general.get_children()} <= BRANCH_KINDS


def test_it_records_the_history_as_dated_events(seeded):
    founded = dict(OrgEvent.objects.filter(kind=OrgEventKind.FOUNDED).values_list("org_id", "occurred_on"))
    assert founded == dict(Org.objects.values_list("pk", "founded_on"))
    dissolved = Org.objects.filter(status=OrgStatus.DISSOLVED)
    assert dissolved.exists()
    for org in dissolved:
        event = org.events.get(kind=OrgEventKind.DISSOLVED)
        assert event.occurred_on == org.dissolved_on >= org.founded_on and event.note
    assert Org.objects.filter(kind=OrgKind.TEMPORARY_BRANCH, status=OrgStatus.ACTIVE).exists()
    renamed = OrgEvent.objects.filter(kind=OrgEventKind.RENAMED).select_related("org")
    assert renamed.exists()
    assert all(event.details["to"] == event.org.name != event.details["from"] for event in renamed)
    assert OrgEvent.objects.filter(kind=OrgEventKind.MOVED).exists()


def test_it_writes_an_audit_entry_for_every_write_and_a_sound_chain(seeded):
    assert AuditEntry.objects.filter(action="org.create").count() == Org.objects.count()
    assert set(AuditEntry.objects.values_list("actor_name", flat=True)) == {"命令 seed_demo"}
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK")


def test_it_creates_the_demo_accounts_with_their_roles_and_password(seeded):
    root = Org.get_root_nodes().get()
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assignment = RoleAssignment.objects.active().get(user=user)
        assert assignment.role == account.role and user.display_name
        assert check_login(account.username, DEMO_PASSWORD).user == user
        assert account.username in seeded
    held = {a.user.username: a.org for a in RoleAssignment.objects.select_related("user", "org")}
    assert held["demo_city"] == root
    county = held["demo_county"]
    assert county.get_parent() == root and county.name.endswith("县委员会")
    branch = held["demo_secretary"]
    assert held["demo_member"] == branch
    # The demo member's login is their own record's (the "我的" pages show something).
    from dangjian.members.services import member_of

    assert member_of(User.objects.get(username="demo_member")).org == branch
    assert (branch.kind, branch.sector, branch.status) == (OrgKind.BRANCH, Sector.VILLAGE, OrgStatus.ACTIVE)
    assert branch.path.startswith(county.path)
    assert {held[name] for name in ("demo_sysadmin", "demo_secadmin", "demo_auditor")} == {None}
    assert RoleAssignment.objects.get(user__username="demo_auditor").role == Role.AUDIT_ADMIN


def test_it_refuses_a_second_run_and_changes_nothing(seeded):
    before = snapshot_counts()
    with pytest.raises(CommandError, match="已有 .* 个党组织.*--force"):
        seed()
    assert snapshot_counts() == before


def test_it_builds_the_same_tree_again_beside_the_first_with_force(seeded):
    first_root = Org.get_root_nodes().get()
    output = seed(force=True)
    assert "账号已存在,未改动" in output
    second_root = Org.get_root_nodes().exclude(pk=first_root.pk).get()

    def shape(root):
        fields = ("depth", "name", "kind", "sector", "status", "founded_on", "dissolved_on")
        return list(Org.objects.all().within(root).values_list(*fields))

    assert shape(second_root) == shape(first_root)
    assert second_root.code != first_root.code
    assert User.objects.filter(username__startswith="demo_").count() == len(DEMO_ACCOUNTS)
