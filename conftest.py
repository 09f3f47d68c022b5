"""Test personas and the small org tree they live in (one fixture module for the whole suite).

The tree:                     The personas:
  测试市委 (city)               dept_admin   组织部管理员 at the city root
  ├─ 甲县委 (county_a)          county_admin 组织部管理员 at 甲县委
  │  └─ 甲镇党委 (town_a)        secretary    书记 of 甲村党支部
  │     └─ 甲村党支部 (branch_a)  member_user  党员 of 甲村党支部
  └─ 乙县委 (county_b)          outsider     书记 of 乙社区党支部: must see nothing of 甲县委
     └─ 乙社区党支部 (branch_b)   stranger     no role at all
                                sysadmin, secadmin, auditor: the three system roles
"""

from datetime import date

import pytest
from django.conf import settings

from dangjian.accounts.models import RoleAssignment, User
from dangjian.accounts.roles import Role
from dangjian.core.audit import Actor

PASSWORD = "Test@2026pass"


def pytest_configure(config):
    # A cheap hasher keeps the suite fast; the SM3 hasher has tests of its own that switch it back on.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def system_actor():
    return Actor.command("test")


@pytest.fixture
def tree(db, system_actor):
    from dangjian.orgs import services

    def add(parent, name, kind, code, sector="other"):
        return services.create_org(
            system_actor,
            parent=parent,
            name=name,
            kind=kind,
            code=code,
            sector=sector,
            founded_on=date(2020, 1, 1),
        )

    city = add(None, "测试市委", "committee", "C0")
    county_a = add(city, "甲县委", "committee", "A0")
    town_a = add(county_a, "甲镇党委", "committee", "A1", "village")
    branch_a = add(town_a, "甲村党支部", "branch", "A2", "village")
    county_b = add(city, "乙县委", "committee", "B0")
    branch_b = add(county_b, "乙社区党支部", "branch", "B1", "community")
    return {
        "city": city,
        "county_a": county_a,
        "town_a": town_a,
        "branch_a": branch_a,
        "county_b": county_b,
        "branch_b": branch_b,
    }


def make_user(username, role=None, org=None, **extra):
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username, **extra)
    if role:
        RoleAssignment.objects.create(user=user, org=org, role=role)
    return user


@pytest.fixture
def dept_admin(tree):
    return make_user("dept_admin", Role.DEPARTMENT_ADMIN, tree["city"])


@pytest.fixture
def county_admin(tree):
    return make_user("county_admin", Role.DEPARTMENT_ADMIN, tree["county_a"])


@pytest.fixture
def secretary(tree):
    return make_user("secretary", Role.SECRETARY, tree["branch_a"])


@pytest.fixture
def member_user(tree):
    return make_user("member_user", Role.MEMBER, tree["branch_a"])


@pytest.fixture
def outsider(tree):
    return make_user("outsider", Role.SECRETARY, tree["branch_b"])


@pytest.fixture
def stranger(tree):
    return make_user("stranger")


@pytest.fixture
def sysadmin(db):
    return make_user("sysadmin", Role.SYSTEM_ADMIN)


@pytest.fixture
def secadmin(db):
    return make_user("secadmin", Role.SECURITY_ADMIN)


@pytest.fixture
def auditor(db):
    return make_user("auditor", Role.AUDIT_ADMIN)


@pytest.fixture
def login(client):
    """Log a persona in on the test client: ``login(user)`` returns the client."""

    def do(user):
        client.force_login(user)
        return client

    return do


@pytest.fixture
def actor_for():
    """``actor_for(user)``: the Actor a page request by that user would carry."""

    def make(user, via="page"):
        return Actor(user=user, via=via, request_id="test", client_ip="127.0.0.1")

    return make
