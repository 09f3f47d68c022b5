"""Dues (党费): the rate standard, members' declared bases, monthly bills, payments, remittance and allocations.

Money is ``Decimal`` in ``DecimalField(max_digits=12, decimal_places=2)`` everywhere. Months are dates on
the first day of the month. Bills, payments and bases are scoped by the org that holds them; a base is
scoped by the member's current org (the base follows the member after a transfer).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dangjian.core.access import ScopedQuerySet
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.reports.models import derived_org_key

MONEY = {"max_digits": 12, "decimal_places": 2}


class MemberType(models.TextChoices):
    """The member type that selects a rate table (中组发〔2008〕3号 第二至六条)."""

    IN_SERVICE = "in_service", "在岗职工"
    ANNUAL_SALARY = "annual_salary", "实行年薪制"
    SELF_EMPLOYED = "self_employed", "个体经营等"
    RETIRED = "retired", "离退休"
    FARMER = "farmer", "农民"
    LOW_INCOME = "low_income", "学生、下岗失业、依靠退休金或救济生活、低保"


# Types whose dues are a fixed monthly amount chosen within the standard's range, not a rate on a base.
FIXED_TYPES = frozenset({MemberType.FARMER, MemberType.LOW_INCOME})


class DuesStandard(models.Model):
    """A dues regulation in force from a date (the 2008 rate table is the first); a change is a new row."""

    name = models.CharField("名称", max_length=120)
    document = models.CharField("文号", max_length=60)
    effective_from = models.DateField("施行日期", unique=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = "党费交纳标准"

    def __str__(self):
        return f"{self.name}({self.document})"


class RateBand(models.Model):
    """One line of a standard: for a member type, bases up to ``upper_bound`` (inclusive) pay ``rate`` percent
    of the whole base; or, for fixed types, a monthly amount between ``fixed_min`` and ``fixed_max``."""

    standard = models.ForeignKey(DuesStandard, on_delete=models.CASCADE, related_name="bands")
    member_type = models.CharField("党员类型", max_length=20, choices=MemberType.choices)
    upper_bound = models.DecimalField("基数上限(含)", null=True, blank=True, **MONEY)
    rate = models.DecimalField("比例(%)", max_digits=5, decimal_places=2, null=True, blank=True)
    fixed_min = models.DecimalField("每月最低(元)", null=True, blank=True, **MONEY)
    fixed_max = models.DecimalField("每月最高(元)", null=True, blank=True, **MONEY)
    source = models.CharField("依据", max_length=60)

    class Meta:
        ordering = ["standard", "member_type", models.F("upper_bound").asc(nulls_last=True)]
        verbose_name = "党费比例档次"

    def __str__(self):
        return f"{self.get_member_type_display()} ≤{self.upper_bound} {self.rate}%"


class Relief(models.TextChoices):
    NONE = "none", "无"
    REDUCED = "reduced", "少交"
    EXEMPT = "exempt", "免交"


class BaseQuerySet(ScopedQuerySet):
    org_path_lookup = "member__org__path"


class DuesBase(models.Model):
    """A member's declared dues base (交纳基数) from a month on: the member type, the monthly base (the fixed
    amount for farmers and similar), and any hardship reduction or exemption with its approval (第七条).

    A change of pay is a new row effective from the month the new pay is first received (第十条); the bill
    of a month uses the latest row effective on or before it.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_bases")
    member_type = models.CharField("党员类型", max_length=20, choices=MemberType.choices)
    effective_month = models.DateField("起始月份")
    base = models.DecimalField("月交纳基数(元)", null=True, blank=True, **MONEY)
    fixed_amount = models.DecimalField("每月交纳额(元)", null=True, blank=True, **MONEY)
    relief = models.CharField("困难减免", max_length=10, choices=Relief.choices, default=Relief.NONE)
    reduced_amount = models.DecimalField("减免后每月交纳额(元)", null=True, blank=True, **MONEY)
    relief_decided_on = models.DateField("支部决定日期", null=True, blank=True)
    relief_approved_by = models.CharField("批准的上级党委", max_length=120, blank=True)
    relief_approved_on = models.DateField("上级批准日期", null=True, blank=True)
    relief_document = models.CharField("批准文号", max_length=60, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = BaseQuerySet.as_manager()

    class Meta:
        ordering = ["member", "-effective_month", "-pk"]
        verbose_name = "党费基数"
        indexes = [models.Index(fields=["member", "effective_month"])]

    def __str__(self):
        return f"{self.member} {self.effective_month:%Y-%m}"


class DuesBill(models.Model):
    """What a member owes for one month (月度应交), billed by the org that held the member that month.

    ``base``, ``rate`` and ``member_type`` are copied from the base and standard used, so a later change of
    either never rewrites an issued bill. ``paid_on`` and ``payment`` are set when a payment settles it.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_bills")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="dues_bills")
    month = models.DateField("月份")
    member_type = models.CharField("党员类型", max_length=20, choices=MemberType.choices)
    base = models.DecimalField("基数(元)", null=True, blank=True, **MONEY)
    rate = models.DecimalField("比例(%)", max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField("应交(元)", **MONEY)
    standard = models.ForeignKey(DuesStandard, on_delete=models.PROTECT, related_name="+")
    dues_base = models.ForeignKey(DuesBase, null=True, on_delete=models.PROTECT, related_name="bills")
    paid_on = models.DateField("交纳日期", null=True, blank=True)
    payment = models.ForeignKey(
        "DuesPayment", null=True, blank=True, on_delete=models.PROTECT, related_name="bills"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "member_id"]
        verbose_name = "月度应交党费"
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="one_dues_bill_per_month")]
        indexes = [
            models.Index(fields=["org", "month"]),
            models.Index(fields=["member", "month"], condition=Q(paid_on__isnull=True), name="dues_unpaid"),
        ]

    def __str__(self):
        return f"{self.member} {self.month:%Y-%m} {self.amount}"

    @property
    def is_settled(self) -> bool:
        return self.paid_on is not None or not self.amount


class PaymentMethod(models.TextChoices):
    CASH = "cash", "现金"
    BANK_TRANSFER = "bank_transfer", "银行转账"
    ONLINE = "online", "网上交纳"


class PaymentKind(models.TextChoices):
    MONTHLY = "monthly", "按月交纳"
    ADVANCE = "advance", "预交"
    BACK_PAYMENT = "back_payment", "补交"
    VOLUNTARY = "voluntary", "自愿多交"


class DuesPayment(models.Model):
    """A payment received by the org (交纳记录): the months it settles, any voluntary extra, how and by whom.

    ``proxy_name`` names who paid on the member's behalf (代缴). A single voluntary amount of 1000 yuan or
    more is marked ``remit_in_full`` (第十一条): the org remits it whole.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_payments")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="dues_payments")
    kind = models.CharField("类型", max_length=20, choices=PaymentKind.choices)
    method = models.CharField("方式", max_length=20, choices=PaymentMethod.choices)
    paid_on = models.DateField("交纳日期")
    first_month = models.DateField("起始月份", null=True, blank=True)
    last_month = models.DateField("截止月份", null=True, blank=True)
    dues_amount = models.DecimalField("党费(元)", **MONEY)
    voluntary_amount = models.DecimalField("自愿多交(元)", default=0, **MONEY)
    amount = models.DecimalField("合计(元)", **MONEY)
    remit_in_full = models.BooleanField("全额上缴", default=False)
    proxy_name = models.CharField("代缴人", max_length=50, blank=True)
    reference = models.CharField("凭证号/流水号", max_length=60, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_on", "-pk"]
        verbose_name = "党费交纳记录"
        indexes = [models.Index(fields=["org", "paid_on"])]

    def __str__(self):
        return f"{self.member} {self.paid_on} {self.amount}"

    @property
    def by_proxy(self) -> bool:
        return bool(self.proxy_name)


class Remittance(models.Model):
    """Dues an org hands up to its parent org (上缴): how much, when, and the part that is voluntary in full."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="dues_remittances")
    to_org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="dues_remittances_in")
    remitted_on = models.DateField("上缴日期")
    amount = models.DecimalField("金额(元)", **MONEY)
    period = models.CharField("所属期间", max_length=40, blank=True)
    reference = models.CharField("凭证号", max_length=60, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-remitted_on", "-pk"]
        verbose_name = "党费上缴"

    def __str__(self):
        return f"{self.org} → {self.to_org} {self.amount}"


class Allocation(models.Model):
    """Dues an upper org hands down to a lower one (下拨) for a purpose, with what was done with them."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="dues_allocations")
    to_org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="dues_allocations_in")
    allocated_on = models.DateField("下拨日期")
    amount = models.DecimalField("金额(元)", **MONEY)
    purpose = models.CharField("用途", max_length=200)
    document = models.CharField("文号", max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-allocated_on", "-pk"]
        verbose_name = "党费下拨"

    def __str__(self):
        return f"{self.org} → {self.to_org} {self.amount}"


class Expense(models.Model):
    """Dues an org spent (党费使用), usually out of an allocation: what for, when, how much."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="dues_expenses")
    allocation = models.ForeignKey(
        Allocation, null=True, blank=True, on_delete=models.PROTECT, related_name="expenses"
    )
    spent_on = models.DateField("支出日期")
    amount = models.DecimalField("金额(元)", **MONEY)
    description = models.CharField("用途说明", max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-spent_on", "-pk"]
        verbose_name = "党费使用"

    def __str__(self):
        return f"{self.org} {self.description} {self.amount}"


# --- the dues roll-ups ------------------------------------------------------------------------------------

TOTAL = {"max_digits": 16, "decimal_places": 2}  # a province's year of dues passes 10 digits of yuan


class DuesFigures(models.Model):
    """The ten dues figures of a month (dues.indicators.ROLLUP_COLUMNS): the bills of the month by the org
    that billed them, the payments paid in the month by the org that received them."""

    bills = models.IntegerField("应交笔数", default=0)
    billed_amount = models.DecimalField("应交党费", default=0, **TOTAL)
    settled_bills = models.IntegerField("已交笔数", default=0)
    paid_amount = models.DecimalField("已交党费", default=0, **TOTAL)
    unpaid_bills = models.IntegerField("未交笔数", default=0)
    unpaid_amount = models.DecimalField("未交党费", default=0, **TOTAL)
    payments = models.IntegerField("交纳笔数", default=0)
    received_amount = models.DecimalField("收到党费", default=0, **TOTAL)
    voluntary_amount = models.DecimalField("自愿多交党费", default=0, **TOTAL)
    back_payments = models.IntegerField("补交笔数", default=0)

    class Meta:
        abstract = True


class DuesRollup(DuesFigures):
    """The dues figures of one month kept directly at one org: its own bills and payments, counted by the
    registry's own aggregates. A cache, never a source: the dues services recount an (org, month) in the
    same transaction as every write of its bills or payments, and add the difference to the subtree rows
    (``DuesSubtreeRollup``). ``manage.py rebuild_rollups`` rebuilds and verifies both."""

    rollup_keys = ("month",)  # reports.subtrees: the rows are kept per (month, org)

    org = derived_org_key()
    month = models.DateField("月份")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党费统计汇总"
        # (org, month): an org's months are one index range (ON CONFLICT (month, org_id) infers it)
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="dues_rollup_org_month")]

    def __str__(self):
        return f"{self.org_id} {self.month:%Y-%m}"


class DuesSubtreeRollupQuerySet(ScopedQuerySet):
    org_path_lookup = "path"


class DuesSubtreeRollup(DuesFigures):
    """The dues figures of one month of an org's whole subtree (the org and every org below it): the sum
    of the ``DuesRollup`` rows of the subtree. ``path`` and ``depth`` copy the org's (kept by the org-move
    hook), so an org's children are one index range; a year at any org is at most twelve rows."""

    rollup_keys = ("month",)

    org = derived_org_key()
    month = models.DateField("月份")
    path = models.CharField("党组织路径", max_length=255)
    depth = models.PositiveSmallIntegerField("层级")

    objects = DuesSubtreeRollupQuerySet.as_manager()

    class Meta:
        verbose_name = "党费统计子树汇总"
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="dues_subtree_org_month")]
        indexes = [models.Index(fields=["depth", "path", "month"], name="dues_subtree_depth_path")]

    def __str__(self):
        return f"{self.path} {self.month:%Y-%m}"
