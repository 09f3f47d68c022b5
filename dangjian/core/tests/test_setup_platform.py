"""setup_platform: what `make run` calls every time; quiet and idempotent."""

from io import StringIO

from django.core.management import call_command

from dangjian.accounts.models import User
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Org, OrgEvent


def setup_platform(*args) -> str:
    out = StringIO()
    call_command("setup_platform", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Org, OrgEvent, AuditEntry, User))


def test_it_loads_the_demo_once_and_then_does_nothing(db):
    first = setup_platform("--demo", "county")
    assert "已生成演示数据" in first and "demo_city" in first
    assert Org.objects.count() > 300
    after_first = counts()
    assert setup_platform("--demo", "county") == ""
    assert counts() == after_first


def test_it_loads_no_demo_data_unless_asked(db):
    assert setup_platform() == ""
    assert counts() == (0, 0, 0, 0)


def test_it_leaves_a_database_with_orgs_alone(tree):
    before = counts()
    assert setup_platform("--demo", "city") == ""
    assert counts() == before
