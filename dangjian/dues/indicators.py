"""The figures of party dues in the indicator registry (reports).

Bills (月度应交) are counted by their month (the first day of the month lies in the period) under the org
that billed them (the member's org of record on the month's first day); payments (交纳记录) by the day
they were paid under the org that received them. Amounts are sums of ``Decimal`` columns, answered in
yuan with two decimals. The collection report (``dues:report``) reads its figures from here.
"""

from django.db.models import Q
from django.urls import reverse

from dangjian.dues.models import DuesBill, DuesPayment, PaymentKind
from dangjian.reports.registry import Indicator, Source, money_sum, register

BILLS = Source(
    key="dues_bills",
    name="月度应交党费",
    model=DuesBill,
    path_lookup="org__path",
    base=lambda period: period.q("month"),
    select_related=("member", "org"),
    order_by=("-month", "org__path", "member__name_initials", "pk"),
    columns=(
        ("姓名", lambda b: b.member.name),
        ("月份", lambda b: f"{b.month:%Y-%m}"),
        ("应交(元)", lambda b: b.amount),
        ("交纳日期", lambda b: b.paid_on),
        ("党组织", lambda b: b.org.name),
    ),
    detail_url=lambda b: reverse("dues:member", args=[b.member_id]),
)

PAYMENTS = Source(
    key="dues_payments",
    name="党费交纳记录",
    model=DuesPayment,
    path_lookup="org__path",
    base=lambda period: period.q("paid_on"),
    select_related=("member", "org"),
    order_by=("-paid_on", "-pk"),
    columns=(
        ("姓名", lambda p: p.member.name),
        ("交纳日期", lambda p: p.paid_on),
        ("类型", lambda p: p.get_kind_display()),
        ("党费(元)", lambda p: p.dues_amount),
        ("自愿多交(元)", lambda p: p.voluntary_amount),
        ("合计(元)", lambda p: p.amount),
        ("收款党组织", lambda p: p.org.name),
    ),
    detail_url=lambda p: reverse("dues:member", args=[p.member_id]),
)


def fixed(condition: Q):
    return lambda period: condition


SETTLED = Q(paid_on__isnull=False) | Q(amount=0)
UNPAID = Q(paid_on__isnull=True)
BILLED = "月份在期间内的月度应交记录"
BY_BILLER = "按开具应交记录的党组织(该月1日党员组织关系所在党组织)统计"

for key, name, description, unit, q, aggregate in (
    ("bills", "应交笔数", f"{BILLED}的笔数,{BY_BILLER}。", "笔", None, None),
    ("billed_amount", "应交党费", f"{BILLED}的应交金额之和,{BY_BILLER}。", "元", None, "amount"),
    (
        "settled_bills",
        "已交笔数",
        f"{BILLED}中已交纳(有交纳日期)或应交金额为零(免交)的笔数,{BY_BILLER}。",
        "笔",
        SETTLED,
        None,
    ),
    (
        "paid_amount",
        "已交党费",
        f"{BILLED}中已交纳(有交纳日期)的应交金额之和,{BY_BILLER}。",
        "元",
        Q(paid_on__isnull=False),
        "amount",
    ),
    (
        "unpaid_bills",
        "未交笔数",
        f"{BILLED}中尚未交纳且应交金额大于零的笔数,{BY_BILLER}。",
        "笔",
        UNPAID & Q(amount__gt=0),
        None,
    ),
    (
        "unpaid_amount",
        "未交党费",
        f"{BILLED}中尚未交纳的应交金额之和(应交党费减已交党费),{BY_BILLER}。",
        "元",
        UNPAID,
        "amount",
    ),
):
    register(
        Indicator(
            f"dues.{key}",
            name,
            description,
            unit,
            BILLS,
            fixed(q) if q is not None else fixed(Q()),
            group="dues_bills",
            **({"aggregate": money_sum(aggregate), "places": 2} if aggregate else {}),
        )
    )

BY_RECEIVER = "按收款党组织统计"
register(
    Indicator(
        "dues.payments",
        "交纳笔数",
        f"期间交纳日期的党费交纳记录笔数(按月交纳、预交、补交和自愿多交),{BY_RECEIVER}。",
        "笔",
        PAYMENTS,
        group="dues_payments",
    )
)
register(
    Indicator(
        "dues.received_amount",
        "收到党费",
        f"期间交纳日期的党费交纳记录的合计金额(党费和自愿多交),{BY_RECEIVER}。",
        "元",
        PAYMENTS,
        aggregate=money_sum("amount"),
        places=2,
        group="dues_payments",
    )
)
register(
    Indicator(
        "dues.voluntary_amount",
        "自愿多交党费",
        f"期间交纳日期的党费交纳记录中自愿多交的金额之和,{BY_RECEIVER}。",
        "元",
        PAYMENTS,
        fixed(Q(voluntary_amount__gt=0)),
        aggregate=money_sum("voluntary_amount"),
        places=2,
        group="dues_payments",
    )
)
register(
    Indicator(
        "dues.back_payments",
        "补交笔数",
        f"期间交纳日期、类型为“补交”的党费交纳记录笔数,{BY_RECEIVER}。",
        "笔",
        PAYMENTS,
        fixed(Q(kind=PaymentKind.BACK_PAYMENT)),
        group="dues_payments",
    )
)
