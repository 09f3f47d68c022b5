"""Dues pages: bills, payments, arrears, collection reports, bases, a member's dues, billing runs and the ledger.

Every list is the subtree of ``?within=<org id>`` (in scope) or the current org; members and orgs are
fetched through the user's scope (404 outside it); every write goes through dues/services.py.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.core.access import CHANGE, get_visible_or_404, path_in_scope, scopes_for, subtree_q
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.core.forms import add_service_error
from dangjian.dues import forms, queries, rules, services
from dangjian.dues.models import (
    Allocation,
    DuesBase,
    DuesBill,
    DuesPayment,
    Expense,
    MemberType,
    Relief,
    Remittance,
)
from dangjian.members.models import Member
from dangjian.members.services import member_of
from dangjian.orgs.models import Org

PAGE_SIZE = 50


def require_party_role(user) -> None:
    if not scopes_for(user):
        raise PermissionDenied("您没有党组织方面的角色,不能查看党费数据。")


def within_org(request) -> Org:
    """The subtree a page shows: ?within=<org id> in scope, else the current org."""
    require_party_role(request.user)
    within_id = request.GET.get("within")
    org = get_visible_or_404(Org, request.user, pk=within_id) if within_id else request.get_current_org()
    if org is None:
        raise Http404("没有可查看的党组织。")
    return org


def visible_member(request, pk, action="view") -> Member:
    require_party_role(request.user)
    return get_visible_or_404(Member.objects.select_related("org"), request.user, action, pk=pk)


def run_service(request, form, call):
    try:
        return call(Actor.from_request(request))
    except ServiceError as error:
        add_service_error(form, error)
        return None


def this_month() -> date:
    return rules.month_of(timezone.localdate())


def wants_export(request) -> bool:
    return request.GET.get("format") == "xlsx"


def paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def yuan(value) -> str:
    return "" if value is None else f"{value:.2f}"


# --- bills ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def bill_list(request):
    within = within_org(request)
    form = forms.BillFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    bills = DuesBill.objects.visible_to(request.user).filter(subtree_q("org__path", within.path))
    if data.get("org"):
        org = get_visible_or_404(Org, request.user, pk=data["org"])
        bills = bills.filter(subtree_q("org__path", org.path))
    if data.get("month"):
        bills = bills.filter(month=rules.month_of(data["month"]))
    elif request.GET.get("year", "").isdigit():
        year = int(request.GET["year"])
        bills = bills.filter(month__gte=date(year, 1, 1), month__lt=date(year + 1, 1, 1))
    if data.get("status") == "unpaid":
        bills = bills.filter(paid_on__isnull=True, amount__gt=0)
    elif data.get("status") == "paid":
        bills = bills.filter(paid_on__isnull=False)
    bills = bills.select_related("member", "org").order_by("-month", "org__path", "member__name", "pk")
    if wants_export(request):
        rows = (
            (
                f"{b.month:%Y-%m}",
                b.org.name,
                b.member.name,
                b.get_member_type_display(),
                yuan(b.base),
                yuan(b.rate),
                yuan(b.amount),
                b.paid_on,
            )
            for b in bills.iterator(chunk_size=2000)
        )
        headers = ["月份", "党组织", "姓名", "党员类型", "基数(元)", "比例(%)", "应交(元)", "交纳日期"]
        return xlsx_response(f"应交党费-{within.name}.xlsx", [Sheet("应交党费", headers, rows)])
    return render(
        request,
        "dues/bills.html",
        {
            "within": within,
            "form": form,
            "page_obj": paginate(request, bills),
            "can_change": path_in_scope(request.user, within.path, CHANGE),
        },
    )


@login_required
def bill_run(request):
    within = within_org(request)
    if not path_in_scope(request.user, within.path, CHANGE):
        raise PermissionDenied("您无权为该组织生成应交党费。")
    form = forms.BillRunForm(request.POST or None, initial={"month": this_month()})
    if request.method == "POST" and form.is_valid():
        month = form.cleaned_data["month"]
        result = run_service(request, form, lambda actor: services.bill_month(actor, within, month))
        if result is not None:
            messages.success(request, result.summary)
            return redirect(f"{reverse('dues:bills')}?within={within.pk}&month={month:%Y-%m}")
    return render(
        request,
        "dues/form.html",
        {
            "form": form,
            "title": f"为“{within.name}”及下级生成应交党费",
            "submit": "生成",
            "help": "按各党员当月适用的交纳基数和党费标准生成;已生成的不会重复生成,可放心重复操作。"
            "临时党支部不收缴党费。系统每月也会按计划任务自动生成。",
        },
    )


# --- payments -------------------------------------------------------------------------------------------


@login_required
@require_GET
def payment_list(request):
    within = within_org(request)
    form = forms.PaymentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    payments = DuesPayment.objects.visible_to(request.user).filter(subtree_q("org__path", within.path))
    if data.get("month"):
        month = rules.month_of(data["month"])
        payments = payments.filter(paid_on__gte=month, paid_on__lt=rules.add_months(month, 1))
    if data.get("kind"):
        payments = payments.filter(kind=data["kind"])
    payments = payments.select_related("member", "org").order_by("-paid_on", "-pk")
    if wants_export(request):
        rows = (
            (
                p.paid_on,
                p.org.name,
                p.member.name,
                p.get_kind_display(),
                p.get_method_display(),
                f"{p.first_month:%Y-%m}" if p.first_month else "",
                f"{p.last_month:%Y-%m}" if p.last_month else "",
                yuan(p.dues_amount),
                yuan(p.voluntary_amount),
                yuan(p.amount),
                p.remit_in_full,
                p.proxy_name,
                p.reference,
                p.note,
            )
            for p in payments.iterator(chunk_size=2000)
        )
        headers = [
            "交纳日期", "党组织", "姓名", "类型", "方式", "起始月份", "截止月份",
            "党费(元)", "自愿多交(元)", "合计(元)", "全额上缴", "代缴人", "凭证号", "说明",
        ]  # fmt: skip
        return xlsx_response(f"党费交纳记录-{within.name}.xlsx", [Sheet("交纳记录", headers, rows)])
    return render(
        request,
        "dues/payments.html",
        {"within": within, "form": form, "page_obj": paginate(request, payments)},
    )


# --- arrears --------------------------------------------------------------------------------------------


@login_required
@require_GET
def arrears_list(request):
    within = within_org(request)
    as_of = this_month()
    bills = DuesBill.objects.visible_to(request.user).filter(subtree_q("member__org__path", within.path))
    rows = queries.arrears(bills, as_of)
    if wants_export(request):
        data = (
            (a.member_name, a.org_name, a.months, f"{a.first_month:%Y-%m}", f"{a.last_month:%Y-%m}",
             yuan(a.owed), "；".join(f.message for f in a.findings))
            for a in rows
        )  # fmt: skip
        headers = ["姓名", "党组织", "连续未交(月)", "起始月份", "截止月份", "欠交(元)", "提示"]
        return xlsx_response(f"党费欠交-{within.name}.xlsx", [Sheet("欠交党费", headers, data)])
    return render(
        request,
        "dues/arrears.html",
        {
            "within": within,
            "as_of": as_of,
            "rows": rows,
            "flagged": sum(1 for a in rows if a.flagged),
            "warn_months": rules.ARREARS_WARN_MONTHS,
            "flag_months": rules.ARREARS_FLAG_MONTHS,
        },
    )


# --- reports --------------------------------------------------------------------------------------------


@login_required
@require_GET
def report(request):
    within = within_org(request)
    form = forms.ReportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    year = data.get("year") or timezone.localdate().year
    month = data.get("month")
    children = list(
        Org.objects.visible_to(request.user).filter(depth=within.depth + 1, path__startswith=within.path)
    )
    children.sort(key=lambda o: o.path)
    rows = queries.collection(request.user, within, children, year, month)
    period = f"{year}年{month}月" if month else f"{year}年"
    if wants_export(request):
        data_rows = (
            (r.org.name, "本级及下级合计" if i == 0 else "下级", yuan(r.billed), yuan(r.paid), yuan(r.owed),
             r.bills, r.paid_bills, f"{r.rate}%" if r.rate is not None else "", yuan(r.voluntary))
            for i, r in enumerate(rows)
        )  # fmt: skip
        headers = [
            "党组织",
            "范围",
            "应交(元)",
            "已交(元)",
            "未交(元)",
            "应交笔数",
            "已交笔数",
            "交纳率",
            "自愿多交(元)",
        ]
        return xlsx_response(
            f"党费收缴统计-{within.name}-{period}.xlsx", [Sheet("收缴统计", headers, data_rows)]
        )
    return render(
        request,
        "dues/report.html",
        {
            "within": within,
            "rows": rows,
            "period": period,
            "year": year,
            "month": month,
        },
    )


# --- bases and a member's dues --------------------------------------------------------------------------


@login_required
@require_GET
def base_list(request):
    within = within_org(request)
    month = this_month()
    current = DuesBase.objects.filter(member=OuterRef("pk"), effective_month__lte=month).order_by(
        "-effective_month", "-pk"
    )
    members = (
        Member.objects.visible_to(request.user)
        .filter(subtree_q("org__path", within.path), on_roll=True, category__in=("probationary", "full"))
        .select_related("org")
        .annotate(
            base_type=Subquery(current.values("member_type")[:1]),
            base_amount=Subquery(current.values("base")[:1]),
            base_fixed=Subquery(current.values("fixed_amount")[:1]),
            base_relief=Subquery(current.values("relief")[:1]),
            base_from=Subquery(current.values("effective_month")[:1]),
        )
        .order_by("org__path", "name", "pk")
    )
    if request.GET.get("missing") == "1":
        members = members.filter(base_type__isnull=True)
    page = paginate(request, members)
    for member in page:
        member.type_label = MemberType(member.base_type).label if member.base_type else ""
        member.relief_label = Relief(member.base_relief).label if member.base_relief else ""
    return render(request, "dues/bases.html", {"within": within, "page_obj": page})


@login_required
@require_GET
def member_dues(request, pk):
    member = visible_member(request, pk)
    as_of = this_month()
    bills = member.dues_bills.select_related("org").order_by("-month")[:36]
    return render(
        request,
        "dues/member.html",
        {
            "member": member,
            "bases": member.dues_bases.order_by("-effective_month", "-pk"),
            "bills": bills,
            "payments": member.dues_payments.select_related("org").order_by("-paid_on", "-pk")[:36],
            "arrears": queries.member_arrears(member, as_of),
            "can_change": member.on_roll and path_in_scope(request.user, member.org.path, CHANGE),
        },
    )


@login_required
@require_GET
def mine(request):
    """The member's own dues on a phone: the base and its rate, bills by month, payments, what is owed."""
    member = member_of(request.user)
    as_of = this_month()
    context = {"member": member, "as_of": as_of}
    if member is not None:
        summary = queries.member_dues(member, as_of)
        charge = None
        if summary.base is not None:
            try:
                charge = services.charge_of(services.standard_for(as_of).bands, summary.base)
            except (ServiceError, ValueError):
                charge = None  # no standard in force, or a base the standard cannot price: show the base only
        context |= {"summary": summary, "charge": charge}
    return render(request, "dues/mine.html", context)


@login_required
def base_create(request, pk):
    member = visible_member(request, pk, CHANGE)
    form = forms.BaseForm(request.POST or None, initial={"effective_month": this_month()})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        if run_service(request, form, lambda actor: services.declare_base(actor, member, **data)):
            messages.success(request, "已登记交纳基数。")
            return redirect("dues:member", pk=member.pk)
    return render(
        request,
        "dues/form.html",
        {"form": form, "member": member, "title": f"登记“{member.name}”的党费交纳基数", "submit": "登记"},
    )


@login_required
def payment_create(request, pk):
    member = visible_member(request, pk, CHANGE)
    form = forms.PaymentForm(request.POST or None, initial={"first_month": this_month()})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        if run_service(request, form, lambda actor: services.record_payment(actor, member, **data)):
            messages.success(request, "已登记党费交纳。")
            return redirect("dues:member", pk=member.pk)
    return render(
        request,
        "dues/form.html",
        {"form": form, "member": member, "title": f"登记“{member.name}”交纳党费", "submit": "登记"},
    )


# --- the ledger: remittance, allocation, expenses -------------------------------------------------------


@login_required
@require_GET
def ledger(request):
    within = within_org(request)
    return render(
        request,
        "dues/ledger.html",
        {
            "within": within,
            "ledger": services.ledger(within),
            "remitted": Remittance.objects.filter(org=within).select_related("to_org")[:50],
            "received": Remittance.objects.filter(to_org=within).select_related("org")[:50],
            "allocated_out": Allocation.objects.filter(org=within).select_related("to_org")[:50],
            "allocated_in": Allocation.objects.filter(to_org=within).select_related("org")[:50],
            "expenses": Expense.objects.filter(org=within).select_related("allocation")[:50],
            "can_change": path_in_scope(request.user, within.path, CHANGE),
        },
    )


def _changeable_within(request) -> Org:
    within = within_org(request)
    if not path_in_scope(request.user, within.path, CHANGE):
        raise PermissionDenied("您无权管理该组织的党费账目。")
    return within


def _ledger_form(request, within, form, call, title, done):
    if request.method == "POST" and form.is_valid() and run_service(request, form, call):
        messages.success(request, done)
        return redirect(f"{reverse('dues:ledger')}?within={within.pk}")
    return render(
        request,
        "dues/form.html",
        {
            "form": form,
            "title": title,
            "submit": "登记",
            "back": f"{reverse('dues:ledger')}?within={within.pk}",
        },
    )


@login_required
def remit(request):
    within = _changeable_within(request)
    form = forms.RemitForm(request.POST or None)

    def call(actor):
        return services.remit(
            actor, within, **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        )

    return _ledger_form(request, within, form, call, f"“{within.name}”向上级上缴党费", "已登记上缴。")


@login_required
def allocate(request):
    within = _changeable_within(request)
    form = forms.AllocateForm(request.POST or None)

    def call(actor):
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        code = data.pop("to_org_code").strip()
        to_org = Org.objects.visible_to(request.user).filter(code=code).first()
        if to_org is None:
            raise ServiceError(f"未找到组织编码为“{code}”的下级党组织。", field="to_org_code")
        return services.allocate(actor, within, to_org, **data)

    return _ledger_form(request, within, form, call, f"“{within.name}”向下级下拨党费", "已登记下拨。")


@login_required
def spend(request):
    within = _changeable_within(request)
    form = forms.SpendForm(request.POST or None)
    allocations = {a.pk: a for a in Allocation.objects.filter(to_org=within)}
    form.fields["allocation"].choices = [("", "不涉及下拨款")] + [
        (a.pk, f"{a.allocated_on} {a.purpose} {a.amount}元") for a in allocations.values()
    ]

    def call(actor):
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        if "allocation" in data:
            data["allocation"] = allocations[data["allocation"]]
        return services.spend(actor, within, **data)

    return _ledger_form(request, within, form, call, f"“{within.name}”登记党费使用", "已登记支出。")
