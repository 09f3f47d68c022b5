"""Remittance up, allocation down, expenses: every org's account balances and no yuan appears or vanishes."""

from datetime import date
from decimal import Decimal

import pytest

from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.dues import services
from dangjian.dues.models import DuesPayment
from dangjian.orgs.models import Org

D = Decimal


@pytest.fixture
def collected(tree, make_member, system_actor):
    member = make_member(tree["branch_a"], base="10000.01")  # 200.00 a month
    services.record_payment(system_actor, member, first_month="2026-09", last_month="2026-11")
    services.record_payment(system_actor, member, voluntary_amount="1000")
    return member


def test_money_flows_up_and_down_and_every_ledger_balances(tree, collected, system_actor):
    branch, town, county = tree["branch_a"], tree["town_a"], tree["county_a"]
    assert services.ledger(branch).balance == D("1600.00")
    assert services.ledger(branch).voluntary_in_full == D("1000.00")
    services.remit(system_actor, branch, amount="1600", remitted_on=date(2026, 11, 10), period="2026年三季度")
    services.remit(system_actor, town, amount="1500", remitted_on=date(2026, 11, 11))
    services.allocate(
        system_actor,
        county,
        branch,
        amount="800",
        purpose="修缮党群服务中心",
        allocated_on=date(2026, 11, 12),
    )
    allocation = branch.dues_allocations_in.get()
    services.spend(
        system_actor, branch, amount="500", description="修缮甲村党群服务中心", allocation=allocation
    )
    ledgers = {org.pk: services.ledger(org) for org in Org.objects.all()}
    assert ledgers[branch.pk].balance == D("300.00")
    assert ledgers[town.pk].balance == D("100.00")
    assert ledgers[county.pk].balance == D("700.00")
    for item in ledgers.values():
        assert item.balance == item.income - item.outgo >= 0
    collected_total = sum((p.amount for p in DuesPayment.objects.all()), D(0))
    spent_total = sum((item.spent for item in ledgers.values()), D(0))
    assert sum((item.balance for item in ledgers.values()), D(0)) == collected_total - spent_total


def test_no_org_hands_on_more_than_it_holds(tree, collected, system_actor):
    with pytest.raises(ServiceError, match="不足"):
        services.remit(system_actor, tree["branch_a"], amount="1600.01")
    with pytest.raises(ServiceError, match="不足"):
        services.allocate(system_actor, tree["county_a"], tree["branch_a"], amount="1", purpose="x")
    with pytest.raises(ServiceError, match="不足"):
        services.spend(system_actor, tree["town_a"], amount="1", description="x")


def test_allocations_go_down_the_tree_only(tree, collected, system_actor):
    services.remit(system_actor, tree["branch_a"], amount="100")
    with pytest.raises(ServiceError, match="下级"):
        services.allocate(system_actor, tree["town_a"], tree["branch_b"], amount="50", purpose="x")
    with pytest.raises(ServiceError, match="下级"):
        services.allocate(system_actor, tree["town_a"], tree["county_a"], amount="50", purpose="x")


def test_an_expense_from_an_allocation_stays_within_it(tree, collected, system_actor):
    services.remit(system_actor, tree["branch_a"], amount="1600")
    services.remit(system_actor, tree["town_a"], amount="1600")
    allocation = services.allocate(
        system_actor, tree["county_a"], tree["branch_a"], amount="100", purpose="x"
    )
    with pytest.raises(ServiceError, match="尚余 100.00 元"):
        services.spend(
            system_actor, tree["branch_a"], amount="100.01", description="y", allocation=allocation
        )


def test_the_outsider_cannot_move_another_subtree_s_money(tree, collected, outsider, actor_for):
    with pytest.raises(NotPermitted):
        services.remit(actor_for(outsider), tree["branch_a"], amount="1")
