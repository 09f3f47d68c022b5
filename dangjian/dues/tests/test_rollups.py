"""The dues roll-ups: every service that writes bills or payments keeps them equal to the live count, a
period of whole months is answered from them and any other period live, scopes answer as the live query
does, moved orgs take their rows along, and rebuild_rollups rebuilds and verifies them."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangjian.core import importing
from dangjian.core.errors import ConflictError
from dangjian.dues import indicators, services
from dangjian.dues.importers import DuesPaymentImporter
from dangjian.dues.models import DuesBill, DuesRollup, DuesSubtreeRollup
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Org
from dangjian.reports import registry, rollups
from dangjian.reports.registry import Period
from dangjian.reports.tests import helpers

from .conftest import id_number

KEYS = list(indicators.ROLLUP_COLUMNS)
YEAR = Period.year(2026)
PERIODS = (
    YEAR,
    Period(date(2026, 10, 1), date(2026, 12, 31)),  # a quarter
    Period(date(2026, 11, 1), date(2026, 11, 30)),  # a month
    Period(date(2026, 10, 1), date(2027, 1, 31)),  # across the year end
)


def figures(user, org, period=YEAR) -> tuple[dict, dict]:
    return helpers.figures(user, org, period, KEYS)


def live_figures(user, org, period=YEAR) -> tuple[dict, dict]:
    return helpers.live_figures(user, org, period, KEYS, [indicators.BILLS.key, indicators.PAYMENTS.key])


def kept_answer(user, org, period):
    """What the accelerator answers for both sources (None for a source it leaves to the live query)."""
    return [
        indicators.DuesCounts.totals(user, org, period, registry.lookup(columns))
        for columns in (indicators.BILL_COLUMNS, indicators.PAYMENT_COLUMNS)
    ]


def assert_kept_equals_live(users, orgs, periods=PERIODS):
    assert services.rollup_differences() == []
    for period in periods:
        for user in users:
            for org in orgs:
                assert None not in kept_answer(user, org, period)  # the roll-ups answer whole months
                assert figures(user, org, period) == live_figures(user, org, period), (user, org, period)


def value(user, org, key, period=YEAR):
    return figures(user, org, period)[0][key]


@pytest.fixture
def everyone(dept_admin, county_admin, secretary, outsider, stranger):
    return [dept_admin, county_admin, secretary, outsider, stranger]


@pytest.fixture
def members(tree, make_member):
    """Two members in branch A (bases 4,000 and 2,000: 40 and 10 yuan a month), one in branch B (40)."""
    return [
        make_member(tree["branch_a"], name="王五"),
        make_member(tree["branch_a"], name="赵六", base="2000"),
        make_member(tree["branch_b"], name="钱七"),
    ]


def test_every_service_keeps_the_rollups(
    tree, members, system_actor, everyone, dept_admin, secretary, actor_for
):
    city, orgs = tree["city"], list(tree.values())
    wang, zhao, qian = members
    services.bill_month(system_actor, None, "2026-10")
    services.bill_month(system_actor, None, "2026-11")
    assert value(dept_admin, city, "dues.bills") == 6
    assert value(dept_admin, city, "dues.unpaid_amount") == Decimal("180.00")
    assert_kept_equals_live(everyone, orgs)

    # October paid late (a back payment in November), November on time, then a voluntary gift.
    services.record_payment(system_actor, wang, first_month="2026-10", last_month="2026-11")
    services.record_payment(system_actor, qian, first_month="2026-11", voluntary_amount="100")
    assert value(dept_admin, city, "dues.paid_amount") == Decimal("120.00")
    assert value(dept_admin, city, "dues.received_amount") == Decimal("220.00")
    assert value(dept_admin, city, "dues.voluntary_amount") == Decimal("100.00")
    assert_kept_equals_live(everyone, orgs)

    # An advance into next year bills December and January on the way.
    services.record_payment(
        system_actor, zhao, first_month="2026-11", last_month="2027-01", advance_consent=True
    )
    assert DuesBill.objects.filter(member=zhao, month=date(2027, 1, 1)).exists()
    assert_kept_equals_live(everyone, orgs)

    # Generated payments settle what is left; an import then records one more and is taken back.
    services.settle_bills_bulk(
        system_actor,
        list(DuesBill.objects.filter(paid_on__isnull=True)),
        paid_on=date(2026, 11, 14),
        method="cash",
        audited_as=city,
    )
    assert value(dept_admin, city, "dues.unpaid_bills") == 0
    assert_kept_equals_live(everyone, orgs)
    services.bill_month(system_actor, None, "2026-12")
    content = (
        "姓名,公民身份号码,交纳日期,起始月份,截止月份,交纳方式,支部同意预交,金额\n"
        f"王五,{id_number(date(1980, 5, 6), 1)},2026-11-15,2026-12,,现金,是,40.00\n"
    ).encode()
    actor = actor_for(secretary, "import")
    batch = importing.preview(DuesPaymentImporter(), actor, "交纳.csv", content)
    assert batch.errors == []
    importing.commit(actor, batch)
    assert value(dept_admin, city, "dues.unpaid_bills") == 1  # 钱七's December
    assert_kept_equals_live(everyone, orgs)
    importing.undo(actor, batch)
    assert value(dept_admin, city, "dues.unpaid_bills") == 2
    assert_kept_equals_live(everyone, orgs)


def test_a_failed_payment_leaves_the_rollups_as_they_were(tree, members, system_actor):
    services.bill_month(system_actor, None, "2026-11")
    services.record_payment(system_actor, members[0], first_month="2026-11")
    before = list(DuesSubtreeRollup.objects.order_by("pk").values_list("org_id", "month", *indicators.NAMES))
    with pytest.raises(ConflictError, match="已交纳"):
        services.record_payment(system_actor, members[0], first_month="2026-11", voluntary_amount="5")
    after = list(DuesSubtreeRollup.objects.order_by("pk").values_list("org_id", "month", *indicators.NAMES))
    assert after == before and len(after) == 6  # a row for every org of the tree


def test_the_outsider_counts_nothing_of_another_branch(tree, members, system_actor, outsider, stranger):
    services.bill_month(system_actor, None, "2026-11")
    assert value(outsider, tree["city"], "dues.bills") == 1  # branch B's own bill only
    for org in (tree["branch_a"], tree["town_a"], tree["county_a"]):
        assert value(outsider, org, "dues.bills") == 0
        assert figures(outsider, org)[1] == {}
    for org in tree.values():
        assert value(stranger, org, "dues.billed_amount") == Decimal("0.00")
        assert figures(stranger, org)[1] == {}


@pytest.mark.parametrize(
    "start, end, counted, whole",
    [
        (date(2026, 10, 1), date(2026, 10, 30), False, False),  # ends the day before
        (date(2026, 10, 1), date(2026, 10, 31), True, True),  # ends on the day
        (date(2026, 10, 31), date(2026, 11, 30), True, False),  # starts on the day
        (date(2026, 11, 1), date(2026, 11, 30), False, True),  # starts the day after
    ],
)
def test_the_period_boundaries(tree, members, system_actor, everyone, dept_admin, start, end, counted, whole):
    services.bill_month(system_actor, None, "2026-10")
    services.record_payment(system_actor, members[0], first_month="2026-10", paid_on=date(2026, 10, 31))
    period = Period(start, end)
    assert value(dept_admin, tree["city"], "dues.payments", period) == (1 if counted else 0)
    # A period of whole months is read from the roll-ups, any other counted live: both agree.
    assert (None not in kept_answer(dept_admin, tree["city"], period)) == whole
    for user in everyone:
        for org in (tree["city"], tree["branch_a"]):
            assert figures(user, org, period) == live_figures(user, org, period)


def test_a_moved_org_takes_its_rows(tree, members, system_actor, everyone, dept_admin):
    services.bill_month(system_actor, None, "2026-11")
    org_services.move_org(system_actor, tree["town_a"], tree["county_b"], occurred_on=date(2026, 11, 10))
    moved = {name: Org.objects.get(pk=org.pk) for name, org in tree.items()}
    assert value(dept_admin, moved["county_b"], "dues.bills") == 3
    assert value(dept_admin, moved["county_a"], "dues.bills") == 0
    assert set(DuesSubtreeRollup.objects.filter(org=moved["branch_a"]).values_list("path", flat=True)) == {
        moved["branch_a"].path
    }
    assert_kept_equals_live(everyone, list(moved.values()))


def test_rebuild_rollups_rebuilds_and_verifies_them(tree, members, system_actor):
    services.bill_month(system_actor, None, "2026-11")
    services.record_payment(system_actor, members[2], first_month="2026-11")
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "党费汇总" in out.getvalue() and "核对无误" in out.getvalue()
    branch_a = tree["branch_a"]
    DuesRollup.objects.filter(org=branch_a).update(bills=7)
    with pytest.raises(CommandError, match=f"党组织 {branch_a.pk} 2026年11月党费的 bills:汇总 7,实际 2"):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    DuesSubtreeRollup.objects.filter(org=tree["city"]).delete()
    with pytest.raises(
        CommandError, match=f"党组织 {tree['city'].pk} 2026年11月党费子树的 bills:汇总 0,实际 3"
    ):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    call_command("rebuild_rollups", stdout=StringIO())
    assert rollups.other_differences() == []
    assert DuesSubtreeRollup.objects.get(org=tree["city"]).received_amount == Decimal("40.00")
