"""The dues API routes, mounted at /api/v1/dues/ in dangjian/api.py.

Bases, bills, payments, arrears, collection figures, remittances, allocations and an org's ledger. Every
object is fetched through the caller's scope (404 outside it) before the body is read; every write goes
through dues/services.py. Amounts are decimal strings in answers ("12.50"); send them as strings too.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from dangjian.core.access import get_visible_or_404, scopes_for, subtree_q
from dangjian.core.api import BearerToken, Page, PageParams, paginate
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.dues import queries, rules, services
from dangjian.dues.models import (
    Allocation,
    DuesBase,
    DuesBill,
    DuesPayment,
    MemberType,
    PaymentKind,
    PaymentMethod,
    Relief,
    Remittance,
)
from dangjian.members.models import Member
from dangjian.orgs.api import choices_text
from dangjian.orgs.models import Org


class PartyBearer(BearerToken):
    """A valid token of someone holding a party role; system roles are refused before the body is read."""

    def authenticate(self, request, token: str):
        user = super().authenticate(request, token)
        if user is not None and not scopes_for(user):
            raise PermissionDenied("您没有党组织方面的角色,不能查看党费数据。")
        return user


router = Router(tags=["党费"], auth=PartyBearer())


def api_actor(request) -> Actor:
    return Actor.from_request(request, via="api")


def org_or_404(request, org_id: int | None, action: str = "view") -> Org | None:
    return None if org_id is None else get_visible_or_404(Org, request.user, action, pk=org_id)


def month_param(value: str | None, field_name: str = "month") -> date | None:
    return None if not value else services.check_month(value, field_name)


# --- schemas --------------------------------------------------------------------------------------------


class BaseOut(Schema):
    id: int
    member_id: int
    member_type: str
    effective_month: date
    base: Decimal | None
    fixed_amount: Decimal | None
    relief: str
    reduced_amount: Decimal | None
    relief_decided_on: date | None
    relief_approved_by: str
    relief_approved_on: date | None
    relief_document: str
    note: str


class BaseIn(Schema):
    member_id: int = Field(description="党员编号")
    member_type: MemberType = Field(description=choices_text(MemberType))
    effective_month: str = Field(description="起始月份 YYYY-MM(首次领取新工资的月份)")
    base: Decimal | None = Field(None, description="月交纳基数(元),农民、学生等不填")
    fixed_amount: Decimal | None = Field(None, description="农民 0.2—1 元;学生等 0.2 元")
    relief: Relief = Field(Relief.NONE, description=choices_text(Relief))
    reduced_amount: Decimal | None = None
    relief_decided_on: date | None = None
    relief_approved_by: str = ""
    relief_approved_on: date | None = None
    relief_document: str = ""
    note: str = ""


class BillOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(alias="member.name")
    org_id: int
    month: date
    member_type: str
    base: Decimal | None
    rate: Decimal | None
    amount: Decimal
    paid_on: date | None
    payment_id: int | None


class BillFilters(Schema):
    within: int | None = Field(None, description="党组织编号:该组织及其全部下级")
    member_id: int | None = None
    month: str | None = Field(None, description="月份 YYYY-MM")
    status: str | None = Field(None, description="unpaid 未交、paid 已交")


class BillRunIn(Schema):
    within: int = Field(description="党组织编号:为该组织及其全部下级生成")
    month: str = Field(description="月份 YYYY-MM")


class BillRunOut(Schema):
    month: date
    created: int
    missing_base: int
    skipped_temporary: int
    summary: str


class PaymentOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(alias="member.name")
    org_id: int
    kind: str
    method: str
    paid_on: date
    first_month: date | None
    last_month: date | None
    dues_amount: Decimal
    voluntary_amount: Decimal
    amount: Decimal
    remit_in_full: bool
    proxy_name: str
    reference: str
    note: str


class PaymentIn(Schema):
    member_id: int
    first_month: str | None = Field(None, description="起始月份 YYYY-MM")
    last_month: str | None = Field(None, description="截止月份 YYYY-MM,只交一个月可不填")
    voluntary_amount: Decimal = Field(Decimal("0"), description="自愿多交(元);单笔≥1000元全额上缴")
    method: PaymentMethod = Field(PaymentMethod.CASH, description=choices_text(PaymentMethod))
    paid_on: date | None = Field(None, description="交纳日期,默认今天")
    proxy_name: str = Field("", description="代缴人")
    advance_consent: bool = Field(False, description="支部已同意预交(最多3个月)")
    reference: str = ""
    note: str = Field("", description="补交超过6个月时须写明原因")
    amount: Decimal | None = Field(None, description="核对用:实收金额,与应交不符时拒绝")


class PaymentFilters(Schema):
    within: int | None = None
    member_id: int | None = None
    kind: PaymentKind | None = Field(None, description=choices_text(PaymentKind))
    paid_from: date | None = None
    paid_to: date | None = None


class ArrearsOut(Schema):
    member_id: int
    member_name: str
    org_name: str
    months: int
    first_month: date
    last_month: date
    owed: Decimal
    flagged: bool
    rule_ids: list[str]
    messages: list[str]


class CollectionOut(Schema):
    org_id: int
    org_name: str
    billed: Decimal
    paid: Decimal
    owed: Decimal
    bills: int
    paid_bills: int
    rate: Decimal | None = Field(description="交纳率(%)")
    voluntary: Decimal


class RemittanceOut(Schema):
    id: int
    org_id: int
    to_org_id: int
    remitted_on: date
    amount: Decimal
    period: str
    reference: str
    note: str


class RemittanceIn(Schema):
    org_id: int = Field(description="上缴的党组织编号(交给其上级)")
    amount: Decimal
    remitted_on: date | None = None
    period: str = ""
    reference: str = ""
    note: str = ""


class AllocationOut(Schema):
    id: int
    org_id: int
    to_org_id: int
    allocated_on: date
    amount: Decimal
    purpose: str
    document: str


class AllocationIn(Schema):
    org_id: int = Field(description="下拨的上级党组织编号")
    to_org_id: int = Field(description="接收的下级党组织编号")
    amount: Decimal
    purpose: str
    allocated_on: date | None = None
    document: str = ""


class LedgerOut(Schema):
    org_id: int
    collected: Decimal
    received: Decimal
    allocated_in: Decimal
    remitted: Decimal
    allocated_out: Decimal
    spent: Decimal
    income: Decimal
    outgo: Decimal
    balance: Decimal
    voluntary_in_full: Decimal


# --- bases ----------------------------------------------------------------------------------------------


@router.get("/bases", response=Page[BaseOut], summary="交纳基数(历次申报,最新在前)")
def list_bases(request, page: Query[PageParams], member_id: int | None = None, within: int | None = None):
    bases = DuesBase.objects.visible_to(request.user).order_by("-effective_month", "-pk")
    if member_id is not None:
        bases = bases.filter(member_id=member_id)
    org = org_or_404(request, within)
    if org is not None:
        bases = bases.filter(subtree_q("member__org__path", org.path))
    return paginate(request, bases, page)


@router.post("/bases", response={201: BaseOut}, summary="登记交纳基数(自某月起)")
def create_base(request, payload: BaseIn):
    member = get_visible_or_404(Member, request.user, pk=payload.member_id)
    data = payload.dict(exclude={"member_id"})
    return Status(201, services.declare_base(api_actor(request), member, **data))


# --- bills ----------------------------------------------------------------------------------------------


@router.get("/bills", response=Page[BillOut], summary="月度应交党费")
def list_bills(request, filters: Query[BillFilters], page: Query[PageParams]):
    bills = DuesBill.objects.visible_to(request.user).select_related("member")
    org = org_or_404(request, filters.within)
    if org is not None:
        bills = bills.filter(subtree_q("org__path", org.path))
    if filters.member_id is not None:
        bills = bills.filter(member_id=filters.member_id)
    month = month_param(filters.month)
    if month:
        bills = bills.filter(month=month)
    if filters.status == "unpaid":
        bills = bills.filter(paid_on__isnull=True, amount__gt=0)
    elif filters.status == "paid":
        bills = bills.filter(paid_on__isnull=False)
    elif filters.status:
        raise ServiceError("status 应为 unpaid 或 paid。", field="status")
    return paginate(request, bills.order_by("-month", "pk"), page)


@router.post(
    "/bills/run", response=BillRunOut, summary="为某组织及下级生成某月应交党费(重复调用不会重复生成)"
)
def run_billing(request, payload: BillRunIn):
    org = org_or_404(request, payload.within)
    result = services.bill_month(api_actor(request), org, payload.month)
    return {**result.__dict__, "summary": result.summary}


# --- payments -------------------------------------------------------------------------------------------


@router.get("/payments", response=Page[PaymentOut], summary="党费交纳记录")
def list_payments(request, filters: Query[PaymentFilters], page: Query[PageParams]):
    payments = DuesPayment.objects.visible_to(request.user).select_related("member")
    org = org_or_404(request, filters.within)
    if org is not None:
        payments = payments.filter(subtree_q("org__path", org.path))
    if filters.member_id is not None:
        payments = payments.filter(member_id=filters.member_id)
    if filters.kind:
        payments = payments.filter(kind=filters.kind)
    if filters.paid_from:
        payments = payments.filter(paid_on__gte=filters.paid_from)
    if filters.paid_to:
        payments = payments.filter(paid_on__lte=filters.paid_to)
    return paginate(request, payments.order_by("-paid_on", "-pk"), page)


@router.post(
    "/payments", response={201: PaymentOut}, summary="登记党费交纳(按月、预交、补交、代缴、自愿多交)"
)
def create_payment(request, payload: PaymentIn):
    member = get_visible_or_404(Member, request.user, pk=payload.member_id)
    data = payload.dict(exclude={"member_id", "amount"})
    payment = services.record_payment(api_actor(request), member, expected_amount=payload.amount, **data)
    return Status(201, DuesPayment.objects.select_related("member").get(pk=payment.pk))


# --- arrears and figures --------------------------------------------------------------------------------


@router.get("/arrears", response=list[ArrearsOut], summary="连续3个月以上未交纳党费的党员(6个月以上标记)")
def list_arrears(request, within: int | None = None):
    bills = DuesBill.objects.visible_to(request.user)
    org = org_or_404(request, within)
    if org is not None:
        bills = bills.filter(subtree_q("member__org__path", org.path))
    as_of = rules.month_of(timezone.localdate())
    return [
        {
            **{k: getattr(a, k) for k in ("member_id", "member_name", "org_name", "months", "first_month")},
            "last_month": a.last_month,
            "owed": a.owed,
            "flagged": a.flagged,
            "rule_ids": [f.rule_id for f in a.findings],
            "messages": [f.message for f in a.findings],
        }
        for a in queries.arrears(bills, as_of)
    ]


@router.get(
    "/collection", response=list[CollectionOut], summary="收缴统计:该组织及各直接下级(各含其全部下级)"
)
def collection(request, within: int, year: int, month: int | None = None):
    org = org_or_404(request, within)
    if month is not None and not 1 <= month <= 12:
        raise ServiceError("month 应为 1 至 12。", field="month")
    children = Org.objects.visible_to(request.user).filter(depth=org.depth + 1, path__startswith=org.path)
    rows = queries.collection(request.user, org, list(children.order_by("path")), year, month)
    return [
        {
            "org_id": r.org.pk,
            "org_name": r.org.name,
            **{
                k: getattr(r, k)
                for k in ("billed", "paid", "owed", "bills", "paid_bills", "rate", "voluntary")
            },
        }
        for r in rows
    ]


# --- remittance, allocation, ledger ---------------------------------------------------------------------


@router.get("/remittances", response=Page[RemittanceOut], summary="党费上缴记录(本人可见组织上缴的)")
def list_remittances(request, page: Query[PageParams]):
    return paginate(
        request, Remittance.objects.visible_to(request.user).order_by("-remitted_on", "-pk"), page
    )


@router.post("/remittances", response={201: RemittanceOut}, summary="登记向上级上缴党费")
def create_remittance(request, payload: RemittanceIn):
    org = org_or_404(request, payload.org_id)
    data = payload.dict(exclude={"org_id"})
    return Status(201, services.remit(api_actor(request), org, **data))


@router.get("/allocations", response=Page[AllocationOut], summary="党费下拨记录(本人可见组织下拨的)")
def list_allocations(request, page: Query[PageParams]):
    return paginate(
        request, Allocation.objects.visible_to(request.user).order_by("-allocated_on", "-pk"), page
    )


@router.post("/allocations", response={201: AllocationOut}, summary="登记向下级下拨党费")
def create_allocation(request, payload: AllocationIn):
    org = org_or_404(request, payload.org_id)
    to_org = org_or_404(request, payload.to_org_id)
    data = payload.dict(exclude={"org_id", "to_org_id"})
    return Status(201, services.allocate(api_actor(request), org, to_org, **data))


@router.get("/ledger/{org_id}", response=LedgerOut, summary="某组织的党费账目(收入、支出、结存)")
def get_ledger(request, org_id: int):
    org = org_or_404(request, org_id)
    book = services.ledger(org)
    return {
        "org_id": org.pk,
        **{
            k: getattr(book, k)
            for k in (
                "collected", "received", "allocated_in", "remitted", "allocated_out", "spent",
                "income", "outgo", "balance", "voluntary_in_full",
            )
        },
    }  # fmt: skip
