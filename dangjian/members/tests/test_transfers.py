"""Transfers between two scopes: who sees what before and after, expiry, returns, outside orgs."""

from datetime import date

import pytest
import time_machine

from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.members import services
from dangjian.members.models import Member, MemberEvent, Transfer


@pytest.fixture
def moving(tree, make_member, secretary, actor_for):
    member = make_member(tree["branch_a"], name="赵六")
    services.record_event(
        actor_for(secretary), member, "commended", occurred_on=date(2025, 7, 1), details={"title": "优秀党员"}
    )
    return member


def issue(actor, member, to_org, **extra):
    fields = {
        "letter_number": "甲组转〔2026〕1号",
        "issued_on": date(2026, 2, 1),
        "dues_paid_until": date(2026, 1, 15),
    }
    fields.update(extra)
    return services.issue_transfer(actor, member, to_org=to_org, **fields)


def test_a_transfer_moves_the_member_and_each_side_keeps_its_own_history(
    tree, moving, secretary, outsider, actor_for
):
    transfer = issue(actor_for(secretary), moving, tree["branch_b"], reason="工作调动")
    assert transfer.expires_on == date(2026, 5, 1) and transfer.dues_paid_until == date(2026, 1, 1)
    # In transit: the sender keeps the member; the receiver sees the letter, not the record.
    assert Member.objects.visible_to(secretary).filter(pk=moving.pk).exists()
    assert not Member.objects.visible_to(outsider).filter(pk=moving.pk).exists()
    assert Transfer.objects.visible_to(outsider).filter(pk=transfer.pk).exists()
    services.accept_transfer(actor_for(outsider), transfer, accepted_on=date(2026, 2, 20))
    moving.refresh_from_db()
    assert moving.org == tree["branch_b"]
    assert not Member.objects.visible_to(secretary).filter(pk=moving.pk).exists()
    assert Member.objects.visible_to(outsider).filter(pk=moving.pk).exists()
    # Recorded after the move: only the new org sees it.
    services.record_event(
        actor_for(outsider),
        moving,
        "commended",
        occurred_on=date(2026, 2, 25),
        details={"title": "新单位表彰"},
    )
    old_side = set(
        MemberEvent.objects.visible_to(secretary).filter(member=moving).values_list("kind", flat=True)
    )
    new_side = set(
        MemberEvent.objects.visible_to(outsider).filter(member=moving).values_list("kind", flat=True)
    )
    assert old_side == {"created", "commended", "transferred_out"}
    assert new_side == {"transferred_in", "commended"}
    assert MemberEvent.objects.visible_to(secretary).filter(
        member=moving, kind="commended"
    ).get().occurred_on == date(2025, 7, 1)
    # Both sides still see the letter itself.
    assert Transfer.objects.visible_to(secretary).get(pk=transfer.pk).status == "accepted"
    with pytest.raises(NotPermitted):
        services.record_event(actor_for(secretary), moving, "commended", details={"title": "越权"})


def test_only_the_receiving_org_accepts_or_returns(
    tree, moving, secretary, county_admin, outsider, actor_for
):
    transfer = issue(actor_for(secretary), moving, tree["branch_b"])
    for user in (secretary, county_admin):
        with pytest.raises(NotPermitted):
            services.accept_transfer(actor_for(user), transfer)
        with pytest.raises(NotPermitted):
            services.return_transfer(actor_for(user), transfer, reason="不接收")
    with pytest.raises(ServiceError, match="退回原因不能为空"):
        services.return_transfer(actor_for(outsider), transfer)
    services.return_transfer(
        actor_for(outsider), transfer, reason="介绍信抬头有误", returned_on=date(2026, 2, 10)
    )
    moving.refresh_from_db()
    assert moving.org == tree["branch_a"]
    with pytest.raises(ConflictError, match="已退回"):
        services.accept_transfer(actor_for(outsider), transfer)
    issue(actor_for(secretary), moving, tree["branch_b"], letter_number="甲组转〔2026〕2号")  # issued again


def test_one_letter_at_a_time_and_only_someone_holding_the_member_issues_it(
    tree, moving, secretary, outsider, actor_for
):
    with pytest.raises(NotPermitted):
        issue(actor_for(outsider), moving, tree["branch_b"])
    issue(actor_for(secretary), moving, tree["branch_b"])
    with pytest.raises(ConflictError, match="在途"):
        issue(actor_for(secretary), moving, tree["county_b"])
    with pytest.raises(ServiceError, match="二者选一"):
        services.issue_transfer(
            actor_for(secretary), make_other(tree, secretary, actor_for), letter_number="x"
        )


def make_other(tree, secretary, actor_for):
    from .conftest import id_number

    return services.create_member(
        actor_for(secretary),
        org=tree["branch_a"],
        name="钱七",
        id_number=id_number(date(1990, 1, 1), 5),
        category="full",
        joined_on=date(2015, 1, 1),
        converted_on=date(2016, 1, 1),
    )


def test_an_expired_letter_cannot_be_accepted(tree, moving, secretary, outsider, actor_for):
    transfer = issue(actor_for(secretary), moving, tree["branch_b"], issued_on=date(2025, 11, 1))
    assert transfer.expires_on == date(2026, 2, 1)
    with pytest.raises(ServiceError, match="已于 2026-02-01 过期"):
        services.accept_transfer(actor_for(outsider), transfer, accepted_on=date(2026, 2, 2))
    services.accept_transfer(actor_for(outsider), transfer, accepted_on=date(2026, 2, 1))


def test_the_validity_is_a_setting(tree, moving, secretary, actor_for, settings):
    settings.MEMBER_TRANSFER_VALID_MONTHS = 6
    assert issue(actor_for(secretary), moving, tree["branch_b"]).expires_on == date(2026, 8, 1)


def test_a_transfer_out_of_the_platform_closes_with_the_receipt(tree, moving, secretary, actor_for):
    transfer = services.issue_transfer(
        actor_for(secretary),
        moving,
        outside_org_name="外省某县某村党支部",
        letter_number="甲组转〔2026〕9号",
        issued_on=date(2026, 2, 1),
    )
    assert transfer.direction == "out"
    with pytest.raises(ServiceError, match="回执办结"):
        services.accept_transfer(actor_for(secretary), transfer)
    moving.refresh_from_db()
    assert moving.on_roll  # until the receipt comes back, the sender holds the member
    services.record_receipt(
        actor_for(secretary), transfer, receipt_number="回执001", receipt_on=date(2026, 2, 15)
    )
    moving.refresh_from_db()
    assert not moving.on_roll and moving.left_on == date(2026, 2, 15) and moving.org == tree["branch_a"]
    assert Member.objects.visible_to(secretary).filter(pk=moving.pk).exists()  # kept as history
    assert not Member.objects.visible_to(secretary).on_roll().filter(pk=moving.pk).exists()
    event = moving.events.get(kind="transferred_out")
    assert event.details["to"] == "外省某县某村党支部" and event.details["receipt_number"] == "回执001"


def test_a_member_arriving_from_outside_opens_a_record(tree, secretary, actor_for, frozen_today):
    from .conftest import id_number

    transfer = services.receive_from_outside(
        actor_for(secretary),
        org=tree["branch_a"],
        outside_org_name="外省某大学学生党支部",
        letter_number="外组转〔2026〕3号",
        received_on=date(2026, 2, 3),
        dues_paid_until=date(2026, 1, 1),
        name="孙八",
        id_number=id_number(date(2001, 3, 3), 8),
        category="probationary",
        joined_on=date(2025, 6, 1),
    )
    member = transfer.member
    assert (transfer.direction, transfer.status, transfer.to_org, member.org) == (
        "in",
        "completed",
        tree["branch_a"],
        tree["branch_a"],
    )
    event = member.events.get()
    assert event.kind == "transferred_in" and event.details["from"] == "外省某大学学生党支部"
    assert member.sex == "female"
    with pytest.raises(ServiceError, match="应为党员"):
        services.receive_from_outside(
            actor_for(secretary),
            org=tree["branch_a"],
            outside_org_name="x",
            letter_number="y",
            name="周九",
            id_number=id_number(date(2001, 3, 4), 9),
            category="applicant",
        )


def test_a_reminder_comes_before_a_letter_expires(tree, moving, secretary, actor_for):
    from dangjian.members.rules import transfer_expiry_reminder

    transfer = issue(actor_for(secretary), moving, tree["branch_b"])
    with time_machine.travel(date(2026, 4, 16)):
        assert transfer_expiry_reminder(transfer.expires_on, date(2026, 4, 16)) is None
    assert (
        transfer_expiry_reminder(transfer.expires_on, date(2026, 4, 17)).rule_id == "member.transfer_expiring"
    )
    assert (
        transfer_expiry_reminder(transfer.expires_on, date(2026, 5, 2)).rule_id == "member.transfer_expired"
    )
