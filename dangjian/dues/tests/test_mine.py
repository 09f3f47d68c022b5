"""我的党费: a member sees their own base and rate, bills, payments and what they owe, and nobody else's."""

from decimal import Decimal

import pytest

from dangjian.dues import queries, services
from dangjian.dues.tests.conftest import TODAY
from dangjian.members import services as member_services

D = Decimal


@pytest.fixture
def mine(tree, make_member, system_actor, member_user):
    """The member_user's own record (1% of 3330.00 = 33.30 a month) and a second member of the branch."""
    own = make_member(tree["branch_a"], base="3330.00", name="甲村本人")
    other = make_member(tree["branch_a"], base="7000.00", name="甲村邻居")
    for month in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        services.bill_month(system_actor, None, month)
    services.record_payment(
        system_actor, own, first_month="2026-07", last_month="2026-08", method="bank_transfer"
    )
    services.record_payment(
        system_actor, other, first_month="2026-07", last_month="2026-11", proxy_name="邻居家属"
    )
    member_services.link_login(system_actor, member_user, own)
    return own, other


def test_the_figures_are_decimal_and_sum_to_the_cent(mine):
    summary = queries.member_dues(mine[0], services.rules.month_of(TODAY))
    assert [bill.month.month for bill in summary.unpaid] == [9, 10, 11]
    assert summary.owed == D("99.90") and isinstance(summary.owed, Decimal)  # 33.3 * 3 in float is 99.8999…
    assert all(isinstance(bill.amount, Decimal) for bill in summary.bills)
    assert [p.amount for p in summary.payments] == [D("66.60")]
    assert summary.base.base == D("3330.00")


def test_the_member_sees_their_base_rate_bills_payments_and_what_they_owe(mine, member_user, login):
    page = login(member_user).get("/dues/mine/").content.decode()
    assert "3330.00" in page and "1.00%" in page and "33.30" in page
    assert "2026年7月" in page and "已交" in page and "未交" in page
    assert "66.60" in page and "银行转账" in page and "2026年11月15日" in page
    assert "欠交 <strong>3</strong> 个月" in page and "99.90" in page
    assert "2026年9月、2026年10月、2026年11月" in page


def test_a_second_member_s_figures_never_appear(mine, member_user, login):
    page = login(member_user).get("/dues/mine/").content.decode()
    assert "甲村邻居" not in page and "邻居家属" not in page
    assert "70.00" not in page and "7000.00" not in page  # the neighbour's 1% base and bills


def test_everything_paid_says_so(mine, member_user, system_actor, login):
    services.record_payment(system_actor, mine[0], first_month="2026-09", last_month="2026-11")
    page = login(member_user).get("/dues/mine/").content.decode()
    assert "已交清" in page and "欠交 <strong>" not in page


def test_a_login_without_a_member_record_gets_a_clear_message(
    tree, frozen_today, member_user, stranger, login
):
    for user in (member_user, stranger):
        response = login(user).get("/dues/mine/")
        assert response.status_code == 200
        assert "尚未关联党员档案" in response.content.decode()


def test_an_ended_link_shows_nothing_any_more(mine, member_user, system_actor, login):
    link = mine[0].logins.get(ended_at__isnull=True)
    member_services.unlink_login(system_actor, link)
    page = login(member_user).get("/dues/mine/").content.decode()
    assert "尚未关联党员档案" in page and "99.90" not in page


def test_the_outsider_sees_nothing_of_the_branch(mine, outsider, login):
    page = login(outsider).get("/dues/mine/").content.decode()
    assert "甲村" not in page and "99.90" not in page


def test_the_menu_entry_is_for_linked_logins(mine, member_user, secretary, login):
    assert "我的党费" in login(member_user).get("/").content.decode()
    assert "我的党费" not in login(secretary).get("/").content.decode()
