"""Imports: bases and payments by ID number, and a bank statement matched to unpaid months."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

from dangjian.core import importing
from dangjian.dues import services
from dangjian.dues.importers import BankStatementImporter, DuesBaseImporter, DuesPaymentImporter
from dangjian.dues.models import DuesBase, DuesBill, DuesPayment

from .conftest import id_number


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_bases_import_by_id_number_and_undo(tree, make_member, secretary, outsider, actor_for):
    make_member(tree["branch_a"], base=None, name="王五")  # sequence 1
    content = csv(
        "姓名,公民身份号码,党员类型,起始月份,月交纳基数,每月交纳额",
        f"王五,{id_number(date(1980, 5, 6), 1)},在岗职工,2026年11月,5000.01,",
        f"王五,{id_number(date(1980, 5, 6), 3)},在岗职工,2026-11,5000,",
        f"赵六,{id_number(date(1980, 5, 6), 1)},在岗职工,2026-11,5000,",
    )
    actor = actor_for(secretary, "import")
    batch = importing.preview(DuesBaseImporter(), actor, "基数.csv", content)
    assert batch.valid_rows == 1 and len(batch.errors) == 2
    importing.commit(actor, batch)
    assert DuesBase.objects.get().base == Decimal("5000.01")
    importing.undo(actor, batch)
    assert not DuesBase.objects.exists()
    outsider_batch = importing.preview(DuesBaseImporter(), actor_for(outsider, "import"), "基数.csv", content)
    assert outsider_batch.valid_rows == 0


def test_payments_import_checks_the_amount(tree, make_member, secretary, actor_for):
    make_member(tree["branch_a"], name="王五", base="4000")
    number = id_number(date(1980, 5, 6), 1)
    content = csv(
        "姓名,公民身份号码,交纳日期,起始月份,截止月份,交纳方式,金额,代缴人",
        f"王五,{number},2026-11-10,2026-10,2026-11,银行转账,80.00,",
        f"王五,{number},2026-11-10,2026-09,,现金,41.00,王五之妻",
    )
    actor = actor_for(secretary, "import")
    batch = importing.preview(DuesPaymentImporter(), actor, "交纳.csv", content)
    assert batch.valid_rows == 1 and "不符" in batch.errors[0]["message"]
    importing.commit(actor, batch)
    payment = DuesPayment.objects.get()
    assert payment.method == "bank_transfer" and payment.amount == Decimal("80.00")
    importing.undo(actor, batch)
    assert not DuesPayment.objects.exists()
    assert not DuesBill.objects.filter(paid_on__isnull=False).exists()


def test_a_bank_statement_is_matched_to_the_oldest_unpaid_months(
    tree, make_member, system_actor, secretary, actor_for
):
    wang = make_member(tree["branch_a"], name="王五", base="4000")  # 40.00 a month
    make_member(tree["branch_a"], name="李四", base="2000")  # sequence 3
    make_member(tree["branch_a"], name="李四", base="2000", birth_date=date(1981, 1, 2))  # sequence 5
    for month in ("2026-09", "2026-10", "2026-11"):
        services.bill_month(system_actor, None, month)
    li_tail = id_number(date(1981, 1, 2), 5)[-4:]
    content = csv(
        "交易日期,金额,付款人,附言,流水号",
        "2026-11-05,80.00,王五,党费,B001",
        "2026-11-06,40.00,王五,党费,B002",
        "2026-11-06,10.00,李四,党费,B003",
        f"2026-11-06,10.00,李四,党费 {li_tail},B004",
        "2026-11-07,55.00,张三,党费,B005",
        "2026-11-07,41.00,王五,党费,B006",
    )
    actor = actor_for(secretary, "import")
    batch = importing.preview(BankStatementImporter(), actor, "流水.csv", content)
    messages = {e["row"]: e["message"] for e in batch.errors}
    assert batch.valid_rows == 3
    assert "同名" in messages[4] and "找不到" in messages[6] and "不符" in messages[7]
    importing.commit(actor, batch)
    assert [
        (p.first_month, p.last_month, p.reference)
        for p in DuesPayment.objects.filter(member=wang).order_by("pk")
    ] == [
        (date(2026, 9, 1), date(2026, 10, 1), "B001"),
        (date(2026, 11, 1), date(2026, 11, 1), "B002"),
    ]
    assert DuesPayment.objects.filter(reference="B004").get().member.birth_date == date(1981, 1, 2)


def test_the_import_pages_open(secretary, login):
    client = login(secretary)
    for name in ("base_import", "payment_import", "statement_import"):
        assert client.get(reverse(f"dues:{name}")).status_code == 200
    for name in ("base_template", "payment_template", "statement_template"):
        assert client.get(reverse(f"dues:{name}")).status_code == 200
