"""Monthly bills: who is billed, by which org, with which base, and never twice."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from dangjian.core.errors import NotPermitted
from dangjian.core.models import AuditEntry
from dangjian.dues import services
from dangjian.dues.models import DuesBill
from dangjian.members import services as member_services
from dangjian.orgs import services as org_services

NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)
DEC = date(2026, 12, 1)


def bill(member, month):
    return DuesBill.objects.filter(member=member, month=month).first()


def test_it_bills_each_member_once_and_a_second_run_creates_nothing(tree, make_member, system_actor):
    a = make_member(tree["branch_a"], base="3000.01")
    b = make_member(tree["branch_b"], base="2000.00")
    first = services.bill_month(system_actor, None, "2026-11")
    assert first.created == 2
    assert bill(a, NOV).amount == Decimal("30.00") and bill(a, NOV).org == tree["branch_a"]
    assert bill(b, NOV).amount == Decimal("10.00") and bill(b, NOV).rate == Decimal("0.50")
    again = services.bill_month(system_actor, None, NOV)
    assert again.created == 0
    assert DuesBill.objects.count() == 2
    assert AuditEntry.objects.filter(action="dues.bill_month").count() == 2


def test_billing_a_subtree_leaves_other_orgs_alone(tree, make_member, county_admin, actor_for):
    a = make_member(tree["branch_a"])
    b = make_member(tree["branch_b"])
    services.bill_month(actor_for(county_admin), tree["county_a"], NOV)
    assert bill(a, NOV) and not bill(b, NOV)
    with pytest.raises(NotPermitted):
        services.bill_month(actor_for(county_admin), tree["county_b"], NOV)
    with pytest.raises(NotPermitted):
        services.bill_month(actor_for(county_admin), None, NOV)


def test_a_member_without_a_base_is_counted_not_billed_until_the_base_is_declared(
    tree, make_member, system_actor
):
    member = make_member(tree["branch_a"], base=None)
    result = services.bill_month(system_actor, None, NOV)
    assert (result.created, result.missing_base) == (0, 1)
    services.declare_base(system_actor, member, member_type="retired", effective_month="2026-11", base="6000")
    assert services.bill_month(system_actor, None, NOV).created == 1
    assert bill(member, NOV).amount == Decimal("60.00")


def test_a_change_of_pay_applies_from_the_month_it_is_first_received(tree, make_member, system_actor):
    member = make_member(tree["branch_a"], base="5000.00")
    services.declare_base(
        system_actor, member, member_type="in_service", effective_month="2026-07", base="5200"
    )
    for month in ("2026-06", "2026-07", "2026-08"):
        services.bill_month(system_actor, None, month)
    assert bill(member, date(2026, 6, 1)).amount == Decimal("50.00")
    assert bill(member, date(2026, 7, 1)).amount == Decimal("78.00")
    assert bill(member, date(2026, 8, 1)).amount == Decimal("78.00")


@pytest.mark.parametrize(
    "joined_on, billed_oct, billed_nov",
    [(date(2026, 10, 31), True, True), (date(2026, 11, 1), False, True), (date(2026, 11, 14), False, True)],
)
def test_probationary_members_pay_from_the_month_of_admission(
    tree, make_member, system_actor, joined_on, billed_oct, billed_nov
):
    member = make_member(tree["branch_a"], category="probationary", joined_on=joined_on, converted_on=None)
    services.bill_month(system_actor, None, OCT)
    services.bill_month(system_actor, None, NOV)
    assert bool(bill(member, OCT)) is billed_oct
    assert bool(bill(member, NOV)) is billed_nov


def test_applicants_and_candidates_are_never_billed(tree, make_member, system_actor):
    make_member(
        tree["branch_a"], category="candidate", joined_on=None, converted_on=None, applied_on=date(2024, 1, 1)
    )
    assert services.bill_month(system_actor, None, NOV).created == 0


@pytest.mark.parametrize("exit_day", [date(2026, 10, 1), date(2026, 10, 31)])
def test_a_member_who_exits_is_billed_up_to_the_exit_month_only(tree, make_member, system_actor, exit_day):
    member = make_member(tree["branch_a"])
    member_services.record_event(system_actor, member, "deceased", occurred_on=exit_day)
    services.bill_month(system_actor, None, date(2026, 9, 1))
    services.bill_month(system_actor, None, OCT)
    services.bill_month(system_actor, None, NOV)
    assert bill(member, date(2026, 9, 1)) and bill(member, OCT)
    assert not bill(member, NOV)


def test_suspended_members_are_not_billed(tree, make_member, system_actor):
    member = make_member(tree["branch_a"])
    member_services.record_event(system_actor, member, "suspended", occurred_on=date(2026, 10, 5))
    assert services.bill_month(system_actor, None, NOV).created == 0


def test_temporary_branches_never_bill(tree, make_member, system_actor):
    temporary = org_services.create_org(
        system_actor,
        parent=tree["town_a"],
        name="甲镇培训班临时党支部",
        kind="temporary_branch",
        code="A9",
        founded_on=date(2026, 1, 1),
        temporary_purpose="培训",
        temporary_until=date(2027, 1, 1),
    )
    make_member(temporary)
    result = services.bill_month(system_actor, None, NOV)
    assert result.created == 0 and result.skipped_temporary == 1


def test_members_in_transit_are_billed_by_the_sender_until_the_receiver_accepts(
    tree, make_member, system_actor
):
    member = make_member(tree["branch_a"])
    transfer = member_services.issue_transfer(
        system_actor, member, to_org=tree["branch_b"], letter_number="转1", issued_on=date(2026, 9, 20)
    )
    services.bill_month(system_actor, None, date(2026, 10, 1))  # in transit: the sender bills
    member_services.accept_transfer(system_actor, transfer, accepted_on=date(2026, 10, 15))
    services.bill_month(system_actor, None, NOV)
    services.bill_month(system_actor, None, DEC)
    assert bill(member, OCT).org == tree["branch_a"]
    assert bill(member, NOV).org == tree["branch_b"]
    assert bill(member, DEC).org == tree["branch_b"]


def test_a_month_billed_late_stays_with_the_org_holding_the_member_on_its_first_day(
    tree, make_member, system_actor
):
    member = make_member(tree["branch_a"])
    transfer = member_services.issue_transfer(
        system_actor, member, to_org=tree["branch_b"], letter_number="转2", issued_on=date(2026, 10, 10)
    )
    member_services.accept_transfer(system_actor, transfer, accepted_on=date(2026, 10, 15))  # mid-October
    services.bill_month(system_actor, None, OCT)  # billed after the move
    services.bill_month(system_actor, None, NOV)
    assert bill(member, OCT).org == tree["branch_a"]
    assert bill(member, NOV).org == tree["branch_b"]
    # A subtree run of the sender finds its October member, the receiver's does not.
    assert DuesBill.objects.filter(org=tree["branch_b"], month=OCT).count() == 0


def test_the_sender_subtree_run_bills_a_member_who_moved_away_later(tree, make_member, system_actor):
    member = make_member(tree["branch_a"])
    transfer = member_services.issue_transfer(
        system_actor, member, to_org=tree["branch_b"], letter_number="转3", issued_on=date(2026, 10, 10)
    )
    member_services.accept_transfer(system_actor, transfer, accepted_on=date(2026, 10, 15))
    assert services.bill_month(system_actor, tree["county_b"], OCT).created == 0
    assert services.bill_month(system_actor, tree["county_a"], OCT).created == 1
    assert bill(member, OCT).org == tree["branch_a"]


def test_relief_needs_the_branch_decision_and_upper_approval(tree, make_member, system_actor):
    member = make_member(tree["branch_a"])
    with pytest.raises(services.ServiceError, match="上级党委批准"):
        services.declare_base(
            system_actor,
            member,
            member_type="in_service",
            effective_month="2026-11",
            base="4000",
            relief="exempt",
        )
    services.declare_base(
        system_actor,
        member,
        member_type="in_service",
        effective_month="2026-11",
        base="4000",
        relief="exempt",
        relief_decided_on=date(2026, 10, 20),
        relief_approved_by="甲镇党委",
        relief_approved_on=date(2026, 10, 28),
    )
    services.bill_month(system_actor, None, NOV)
    assert bill(member, NOV).amount == Decimal("0.00")


def test_a_base_refuses_floats_and_negative_amounts(tree, make_member, system_actor):
    member = make_member(tree["branch_a"], base=None)
    for value in (3000.5, "-1", "12.345", "abc"):
        with pytest.raises(services.ServiceError):
            services.declare_base(
                system_actor, member, member_type="in_service", effective_month=NOV, base=value
            )


def test_the_command_bills_a_month_and_is_idempotent(tree, make_member, capsys):
    make_member(tree["branch_a"])
    call_command("bill_dues", "--month", "2026-11")
    call_command("bill_dues", "--month", "2026-11")
    out = capsys.readouterr().out
    assert "新生成应交党费 1 笔" in out and "新生成应交党费 0 笔" in out
    assert DuesBill.objects.count() == 1


def test_the_scheduled_command_bills_the_current_month_by_default(tree, make_member, capsys):
    make_member(tree["branch_a"])
    call_command("bill_dues")
    assert DuesBill.objects.get().month == NOV
