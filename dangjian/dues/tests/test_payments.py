"""Payments (monthly, proxy, advance, back payments, voluntary) and arrears across a year end."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.dues import queries, services
from dangjian.dues.models import DuesBill, DuesPayment

D = Decimal


def run_months(actor, first, last):
    from dangjian.dues.rules import month_range

    for month in month_range(first, last):
        services.bill_month(actor, None, month)


def test_a_monthly_payment_settles_the_bill(tree, make_member, secretary, actor_for):
    member = make_member(tree["branch_a"], base="4000")
    payment = services.record_payment(actor_for(secretary), member, first_month="2026-11", method="cash")
    assert (payment.kind, payment.amount, payment.org) == ("monthly", D("40.00"), tree["branch_a"])
    bill = DuesBill.objects.get(member=member, month=date(2026, 11, 1))
    assert bill.paid_on == date(2026, 11, 15) and bill.payment == payment
    with pytest.raises(ConflictError, match="已交纳"):
        services.record_payment(actor_for(secretary), member, first_month="2026-11")


def test_a_proxy_payment_names_the_proxy(tree, make_member, system_actor):
    member = make_member(tree["branch_a"])
    payment = services.record_payment(system_actor, member, first_month="2026-11", proxy_name="李四之妻王五")
    assert payment.by_proxy and payment.proxy_name == "李四之妻王五"


def test_the_outsider_may_not_record_payments_in_another_subtree(tree, make_member, outsider, actor_for):
    member = make_member(tree["branch_a"])
    with pytest.raises(NotPermitted):
        services.record_payment(actor_for(outsider), member, first_month="2026-11")


def test_paying_a_quarter_in_advance_needs_the_branch_consent_and_bills_the_months(
    tree, make_member, system_actor
):
    member = make_member(tree["branch_a"], base="4000")
    with pytest.raises(ServiceError, match="支部同意"):
        services.record_payment(system_actor, member, first_month="2026-11", last_month="2027-01")
    with pytest.raises(ServiceError, match="最多预交3个月"):
        services.record_payment(
            system_actor, member, first_month="2026-11", last_month="2027-03", advance_consent=True
        )
    payment = services.record_payment(
        system_actor, member, first_month="2026-11", last_month="2027-02", advance_consent=True
    )
    assert payment.kind == "advance" and payment.dues_amount == D("160.00")
    assert DuesBill.objects.filter(member=member, paid_on__isnull=False).count() == 4
    # The monthly run later finds those months billed already.
    assert services.bill_month(system_actor, None, "2027-01").created == 0


@pytest.mark.parametrize("first, allowed", [("2026-05", True), ("2026-04", False)])
def test_back_payments_over_six_months_need_a_note(tree, make_member, system_actor, first, allowed):
    member = make_member(tree["branch_a"], base="4000")
    if allowed:
        payment = services.record_payment(system_actor, member, first_month=first, last_month="2026-11")
        assert payment.kind == "back_payment"
        return
    with pytest.raises(ServiceError, match="超过6个月") as error:
        services.record_payment(system_actor, member, first_month=first, last_month="2026-11")
    assert error.value.field == "note"
    payment = services.record_payment(
        system_actor, member, first_month=first, last_month="2026-11", note="长期外派,返回后补交"
    )
    assert payment.dues_amount == D("320.00")


@pytest.mark.parametrize("amount, in_full", [("999.99", False), ("1000.00", True), ("1000.01", True)])
def test_a_voluntary_payment_of_a_thousand_yuan_or_more_is_remitted_in_full(
    tree, make_member, system_actor, amount, in_full
):
    member = make_member(tree["branch_a"])
    payment = services.record_payment(system_actor, member, voluntary_amount=amount)
    assert payment.kind == "voluntary" and payment.remit_in_full is in_full
    assert payment.amount == D(amount)


def test_a_payment_needs_months_or_a_voluntary_amount(tree, make_member, system_actor):
    member = make_member(tree["branch_a"])
    with pytest.raises(ServiceError):
        services.record_payment(system_actor, member)
    with pytest.raises(ServiceError):
        services.record_payment(system_actor, member, voluntary_amount=12.5)


def test_a_month_before_the_base_or_the_admission_cannot_be_paid(tree, make_member, system_actor):
    member = make_member(tree["branch_a"], base_from=date(2026, 10, 1))
    with pytest.raises(ServiceError, match="尚未登记交纳基数"):
        services.record_payment(system_actor, member, first_month="2026-09")
    probationary = make_member(
        tree["branch_a"], category="probationary", joined_on=date(2026, 10, 8), converted_on=None
    )
    with pytest.raises(ServiceError, match="无需交纳"):
        services.record_payment(system_actor, probationary, first_month="2026-09")
    assert not DuesPayment.objects.exists()


def test_an_expected_amount_must_match(tree, make_member, system_actor):
    member = make_member(tree["branch_a"], base="4000")
    with pytest.raises(ServiceError, match="不符"):
        services.record_payment(system_actor, member, first_month="2026-11", expected_amount="41.00")


# --- arrears --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unpaid_from, months, rule",
    [("2026-10", 2, None), ("2026-09", 3, "dues.arrears_3"), ("2026-06", 6, "dues.arrears_6")],
)
def test_arrears_warn_at_three_and_flag_at_six_months(
    tree, make_member, system_actor, unpaid_from, months, rule
):
    member = make_member(tree["branch_a"])
    run_months(system_actor, date(2026, 1, 1), date(2026, 11, 1))
    services.record_payment(system_actor, member, first_month="2026-01", last_month=unpaid_from, note="补交")
    DuesBill.objects.filter(member=member, month=services.check_month(unpaid_from)).update(
        paid_on=None, payment=None
    )
    found = queries.member_arrears(member, date(2026, 11, 1))
    assert found.months == months
    assert [f.rule_id for f in found.findings] == ([rule] if rule else [])
    listed = queries.arrears(DuesBill.objects.all(), date(2026, 11, 1))
    assert [a.member_id for a in listed] == ([member.pk] if rule else [])


def test_arrears_count_across_the_year_end(tree, make_member, system_actor):
    member = make_member(tree["branch_a"], base="4000")
    with time_machine.travel(datetime(2027, 2, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        run_months(system_actor, date(2026, 8, 1), date(2027, 2, 1))
        services.record_payment(system_actor, member, first_month="2026-08", last_month="2026-08")
        found = queries.member_arrears(member, date(2027, 2, 1))
        assert (found.months, found.first_month, found.owed) == (6, date(2026, 9, 1), D("240.00"))
        assert found.flagged
        services.record_payment(system_actor, member, first_month="2027-02")
        # The run is broken by the paid month: nothing consecutive up to February.
        assert queries.member_arrears(member, date(2027, 2, 1)) is None


def test_an_exempt_month_is_not_in_arrears(tree, make_member, system_actor):
    member = make_member(tree["branch_a"])
    run_months(system_actor, date(2026, 6, 1), date(2026, 11, 1))
    DuesBill.objects.filter(member=member).update(amount=0)
    assert queries.member_arrears(member, date(2026, 11, 1)) is None
