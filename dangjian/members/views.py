"""Member pages: lists and search, the record with its timeline, events, transfers, mobility, care, ledgers.

Every member is fetched through the user's scope (404 outside it); every write goes through
members/services.py. Protected fields show masked; a user holding the unmask permission asks to see
them in clear with a POST, which the service audits.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.models import User
from dangjian.core.access import CHANGE, get_visible_or_404, path_in_scope, scopes_for
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.forms import add_service_error
from dangjian.members import forms, protected, queries, services
from dangjian.members.models import (
    PARTY_MEMBER_CATEGORIES,
    Member,
    MemberEvent,
    MemberLogin,
    Transfer,
    TransferStatus,
)
from dangjian.orgs.models import Org
from dangjian.recruitment.models import Recruitment

PAGE_SIZE = 50
TIMELINE_LIMIT = 300


def require_party_role(user) -> None:
    """Member pages are for people holding a party role; system roles and strangers see none of it."""
    if not scopes_for(user):
        raise PermissionDenied("您没有党组织方面的角色,不能查看党员数据。")


def visible_member(request, pk, action="view") -> Member:
    require_party_role(request.user)
    return get_visible_or_404(Member.objects.select_related("org"), request.user, action, pk=pk)


def within_org(request) -> Org:
    """The subtree a list shows: ?within=<org id> in scope, else the current org."""
    require_party_role(request.user)
    within_id = request.GET.get("within")
    org = get_visible_or_404(Org, request.user, pk=within_id) if within_id else request.get_current_org()
    if org is None:
        raise Http404("没有可查看的党组织。")
    return org


def filters_from(form) -> queries.MemberFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return queries.MemberFilters(
        **{k: v for k, v in data.items() if v not in (None, "")} | {"roll": data.get("roll") or "on"}
    )


def run_service(request, form, call, field_map=None):
    """Call a service; on refusal put its Chinese message on the form and return None."""
    try:
        return call(Actor.from_request(request))
    except ServiceError as error:
        add_service_error(form, error, field_map)
        return None


def org_by_code(request, form, field_name: str, action=CHANGE) -> Org | None:
    """The org named by code among those the user may change; the same message otherwise, revealing nothing."""
    code = (form.cleaned_data.get(field_name) or "").strip()
    if not code:
        return None
    orgs = Org.objects.visible_to(request.user, action) if action else Org.objects.active()
    org = orgs.filter(code=code).first()
    if org is None:
        form.add_error(field_name, f"未找到组织编码为“{code}”的党组织,或您无权在其中登记。")
    return org


def can_change(user, member: Member) -> bool:
    return member.on_roll and path_in_scope(user, member.org.path, CHANGE)


# --- lists ----------------------------------------------------------------------------------------------


class ListingPaginator(Paginator):
    """Pages of a ``queries.Listing``: its rows, numbered by its own exact count (the cheaper query)."""

    def __init__(self, listing: queries.Listing, rows, per_page: int):
        super().__init__(rows, per_page)
        self.listing = listing

    @cached_property
    def count(self) -> int:
        return self.listing.count()


@login_required
@require_GET
def member_list(request):
    within = within_org(request)
    form = forms.MemberFilterForm(request.GET or None)
    listing = queries.listing(request.user, within, filters_from(form), timezone.localdate())
    rows = queries.for_listing(listing.rows).defer(*queries.UNLISTED_FIELDS)
    page = ListingPaginator(listing, rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "members/list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page,
            "today": timezone.localdate(),
            "can_change": path_in_scope(request.user, within.path, CHANGE),
            "can_unmask": protected.can_unmask(request.user, within),
        },
    )


@login_required
@require_GET
def event_list(request):
    """Events recorded in the subtree, including those of members who have since moved away (history)."""
    within = within_org(request)
    events = (
        MemberEvent.objects.visible_to(request.user)
        .filter(org__path__startswith=within.path)
        .select_related("member", "org")
        .order_by("-occurred_on", "-pk")
    )
    kind = request.GET.get("kind")
    if kind:
        events = events.filter(kind=kind)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/events.html", {"within": within, "page_obj": page})


@login_required
@require_GET
def ledger_list(request):
    within = within_org(request)
    return render(
        request,
        "members/ledgers.html",
        {"within": within, "ledgers": queries.ledger_counts(request.user, within)},
    )


@login_required
@require_GET
def reminder_list(request):
    within = within_org(request)
    today = timezone.localdate()
    return render(
        request,
        "members/reminders.html",
        {"within": within, "reminders": queries.reminders(request.user, within, today), "today": today},
    )


# --- one member -----------------------------------------------------------------------------------------


def detail_context(request, member: Member, revealed=None) -> dict:
    return {
        "member": member,
        "events": member.events.select_related("org", "recorded_by")[:TIMELINE_LIMIT],
        "transfers": member.transfers.select_related("from_org", "to_org"),
        "mobilities": member.mobilities.all(),
        "contacts": member.contacts.select_related("recorded_by")[:50],
        "cares": member.cares.all()[:50],
        "tags": list(member.tags.all()),
        "standing": member.party_standing(),
        "age": member.age(),
        "can_change": can_change(request.user, member),
        "can_unmask": protected.can_unmask(request.user, member.org),
        "revealed": revealed,
        "open_transfer": member.transfers.filter(status=TransferStatus.IN_TRANSIT).first(),
    }


@login_required
@require_GET
def member_detail(request, pk):
    member = visible_member(request, pk)
    return render(request, "members/detail.html", detail_context(request, member))


@login_required
@require_POST
def member_reveal(request, pk):
    """Show the protected fields in clear, once, on this response; the service checks and audits."""
    member = visible_member(request, pk)
    form = forms.RevealForm(request.POST)
    purpose = form.cleaned_data["purpose"] if form.is_valid() else ""
    try:
        revealed = services.reveal_member(Actor.from_request(request), member, purpose=purpose)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("members:detail", pk=member.pk)
    response = render(request, "members/detail.html", detail_context(request, member, revealed))
    response["Cache-Control"] = "no-store"
    return response


def member_fields(data: dict) -> dict:
    fields = {k: v for k, v in data.items() if k not in ("org_code",)}
    fields["tags"] = list(fields.get("tags") or [])
    return fields


@login_required
def member_create(request):
    require_party_role(request.user)
    current = request.get_current_org()
    initial = {"org_code": current.code} if current else {}
    form = forms.MemberCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        org = org_by_code(request, form, "org_code")
        if org is not None:
            member = run_service(
                request,
                form,
                lambda actor: services.create_member(actor, org=org, **member_fields(form.cleaned_data)),
            )
            if member is not None:
                for warning in member.warnings:
                    messages.warning(request, warning.message)
                messages.success(request, f"已为“{member.name}”建立档案。")
                return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "title": "新建党员档案", "submit": "建档", "org_picker": True},
    )


@login_required
def member_edit(request, pk):
    member = visible_member(request, pk, CHANGE)
    fields = (
        "name",
        "sex",
        "ethnicity",
        "birth_date",
        "native_place",
        "education",
        "occupation",
        "work_unit",
        "post",
        "applied_on",
    )
    initial = {f: getattr(member, f) for f in fields} | {"tags": list(member.tags.all())}
    form = forms.MemberEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {f: data[f] for f in fields if data[f] != initial[f] and not (f == "sex" and not data[f])}
        if data["id_number"]:
            changes["id_number"] = data["id_number"]
        for name in ("phone", "address"):
            if data[name]:
                changes[name] = data[name]
        if {t.pk for t in data["tags"]} != {t.pk for t in initial["tags"]}:
            changes["tags"] = list(data["tags"])
        updated = run_service(request, form, lambda actor: services.update_member(actor, member, **changes))
        if updated is not None:
            messages.success(request, f"已保存“{member.name}”的修改。")
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {
            "form": form,
            "member": member,
            "title": f"修改“{member.name}”的信息",
            "submit": "保存",
            "help": "联系电话和家庭住址不在页面显示;填写即为修改,留空则不变。",
        },
    )


@login_required
def member_event(request, pk):
    member = visible_member(request, pk, CHANGE)
    form = forms.EventForm(request.POST or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = {name: data[name] for name in form.DETAIL_FIELDS}
        event = run_service(
            request,
            form,
            lambda actor: services.record_event(
                actor,
                member,
                data["kind"],
                occurred_on=data["occurred_on"],
                document_number=data["document_number"],
                note=data["note"],
                details=details,
            ),
        )
        if event is not None:
            messages.success(request, f"已登记“{event.get_kind_display()}”。")
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "member": member, "title": f"为“{member.name}”登记事项", "submit": "登记"},
    )


@login_required
def member_contact(request, pk):
    member = visible_member(request, pk, CHANGE)
    form = forms.ContactForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(request, form, lambda actor: services.add_contact(actor, member, **form.cleaned_data))
    ):
        messages.success(request, "已登记联系记录。")
        return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "member": member, "title": f"与“{member.name}”的联系记录", "submit": "登记"},
    )


@login_required
def member_care(request, pk):
    member = visible_member(request, pk, CHANGE)
    form = forms.CareForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(request, form, lambda actor: services.add_care(actor, member, **form.cleaned_data))
    ):
        messages.success(request, "已登记关爱帮扶。")
        return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "member": member, "title": f"为“{member.name}”登记慰问或帮扶", "submit": "登记"},
    )


# --- transfers ------------------------------------------------------------------------------------------


@login_required
def transfer_issue(request, pk):
    member = visible_member(request, pk, CHANGE)
    form = forms.TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Any active org may receive a member: the sender does not need to hold it (its code is public on the letter).
        to_org = org_by_code(request, form, "to_org_code", action=None)
        if form.is_valid():
            transfer = run_service(
                request,
                form,
                lambda actor: services.issue_transfer(
                    actor,
                    member,
                    to_org=to_org,
                    outside_org_name=data["outside_org_name"],
                    letter_number=data["letter_number"],
                    issued_on=data["issued_on"],
                    reason=data["reason"],
                    dues_paid_until=data["dues_paid_until"],
                ),
                {"to_org": "to_org_code"},
            )
            if transfer is not None:
                messages.success(request, f"已开具介绍信,转往“{transfer.to_label}”,待对方接收。")
                return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "member": member, "title": f"转出“{member.name}”的组织关系", "submit": "开具介绍信"},
    )


@login_required
@require_GET
def transfer_list(request):
    within = within_org(request)
    transfers = Transfer.objects.visible_to(request.user).select_related("member", "from_org", "to_org")
    incoming = transfers.filter(to_org__path__startswith=within.path)
    outgoing = transfers.filter(from_org__path__startswith=within.path)
    box = request.GET.get("box", "incoming")
    shown = outgoing if box == "outgoing" else incoming
    status = request.GET.get("status", TransferStatus.IN_TRANSIT)
    if status in TransferStatus.values:
        shown = shown.filter(status=status)
    page = Paginator(shown.order_by("-issued_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (
            t,
            path_in_scope(request.user, t.to_org.path, CHANGE) if t.to_org_id else False,
            path_in_scope(request.user, t.from_org.path, CHANGE) if t.from_org_id else False,
        )
        for t in page
    ]
    return render(
        request,
        "members/transfers.html",
        {
            "within": within,
            "page_obj": page,
            "rows": rows,
            "box": box,
            "status": status,
            "statuses": TransferStatus.choices,
            "today": timezone.localdate(),
        },
    )


def visible_transfer(request, pk) -> Transfer:
    require_party_role(request.user)
    return get_visible_or_404(
        Transfer.objects.select_related("member", "from_org", "to_org"), request.user, pk=pk
    )


@login_required
@require_POST
def transfer_accept(request, pk):
    transfer = visible_transfer(request, pk)
    try:
        services.accept_transfer(Actor.from_request(request), transfer)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已接收“{transfer.member.name}”的组织关系。")
    return redirect("members:transfers")


@login_required
def transfer_return(request, pk):
    transfer = visible_transfer(request, pk)
    form = forms.ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            form,
            lambda actor: services.return_transfer(
                actor,
                transfer,
                reason=form.cleaned_data["reason"],
                returned_on=form.cleaned_data["returned_on"],
            ),
            {"return_reason": "reason"},
        )
        if done is not None:
            messages.success(request, "已退回介绍信。")
            return redirect("members:transfers")
    return render(
        request,
        "members/form.html",
        {"form": form, "title": f"退回“{transfer.member.name}”的介绍信", "submit": "退回", "danger": True},
    )


@login_required
def transfer_receipt(request, pk):
    transfer = visible_transfer(request, pk)
    form = forms.ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request, form, lambda actor: services.record_receipt(actor, transfer, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, f"已登记回执,“{transfer.member.name}”已转出本系统。")
            return redirect("members:transfers")
    return render(
        request,
        "members/form.html",
        {"form": form, "title": f"登记“{transfer.member.name}”的转出回执", "submit": "登记回执"},
    )


@login_required
def transfer_receive(request):
    """A member arrives from an org outside the platform: a letter and a new record in one step."""
    require_party_role(request.user)
    current = request.get_current_org()
    form = forms.ReceiveForm(request.POST or None, initial={"org_code": current.code} if current else {})
    if request.method == "POST" and form.is_valid():
        org = org_by_code(request, form, "org_code")
        if org is not None:
            data = member_fields(form.cleaned_data)
            transfer_fields = {
                k: data.pop(k)
                for k in ("outside_org_name", "letter_number", "received_on", "dues_paid_until")
            }
            transfer = run_service(
                request,
                form,
                lambda actor: services.receive_from_outside(actor, org=org, **transfer_fields, **data),
            )
            if transfer is not None:
                messages.success(request, f"已接收“{transfer.member.name}”的组织关系并建立档案。")
                return redirect("members:detail", pk=transfer.member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "title": "接收系统外转入的党员", "submit": "接收", "org_picker": True},
    )


SELECT_LIMIT = 20


@login_required
@require_GET
def member_select(request):
    """``<option>`` rows for a <datalist> choosing a person for a committee or a party group.

    ``?org=`` (in scope, else 404; default the current org) and ``?subtree=1`` for the members of its
    whole subtree; ``?q=`` a part of the name or pinyin initials. Only party members on the roll, at
    most 20. The option's value is "姓名 #编号", which the org module's forms read back.
    """
    require_party_role(request.user)
    org = within_org_param(request, "org")
    members = Member.objects.visible_to(request.user).on_roll().filter(category__in=PARTY_MEMBER_CATEGORIES)
    if request.GET.get("subtree") == "1":
        members = members.filter(org__path__startswith=org.path)
    else:
        members = members.filter(org=org)
    q = (request.GET.get("q") or "").split("#")[0].strip()
    if q:
        members = (
            members.filter(name_initials__startswith=q.lower())
            if queries.INITIALS.match(q)
            else members.filter(name__contains=q)
        )
    options = members.select_related("org").order_by("name", "pk")[:SELECT_LIMIT]
    return render(request, "members/_select_options.html", {"options": options})


def within_org_param(request, name: str) -> Org:
    org_id = request.GET.get(name)
    org = get_visible_or_404(Org, request.user, pk=org_id) if org_id else request.get_current_org()
    if org is None:
        raise Http404("没有可查看的党组织。")
    return org


# --- login links and the member's own page --------------------------------------------------------------


def org_to_change(request) -> Org:
    """The org whose links a secretary manages: ?org=<id> among those they may change, else the current org."""
    require_party_role(request.user)
    org_id = request.GET.get("org") or request.POST.get("org")
    org = get_visible_or_404(Org, request.user, CHANGE, pk=org_id) if org_id else request.get_current_org()
    if org is None or not path_in_scope(request.user, org.path, CHANGE):
        raise PermissionDenied("您不能管理当前党组织的党员账号关联;请先在组织树中选择您负责的党组织。")
    return org


@login_required
def login_links(request):
    """Which login is which member's own, in one org: link a login, end a link, see past links."""
    org = org_to_change(request)
    current = MemberLogin.objects.current()
    members = (
        Member.objects.filter(org=org, on_roll=True, category__in=PARTY_MEMBER_CATEGORIES)
        .exclude(pk__in=current.values("member_id"))
        .order_by("name_initials", "pk")
    )
    form = forms.LinkLoginForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"].strip()).first()
        if user is None:
            form.add_error("username", "没有这个登录账号。")
        elif run_service(
            request, form, lambda actor: services.link_login(actor, user, form.cleaned_data["member"])
        ):
            messages.success(
                request, f"已将账号“{user.username}”关联到党员“{form.cleaned_data['member'].name}”。"
            )
            return redirect(reverse("members:logins") + f"?org={org.pk}")
    links = MemberLogin.objects.filter(member__org=org).select_related("user", "member")
    return render(
        request,
        "members/logins.html",
        {
            "org": org,
            "form": form,
            "linked": links.filter(ended_at__isnull=True).order_by("member__name_initials", "pk"),
            "ended": links.filter(ended_at__isnull=False).order_by("-ended_at", "-pk")[:50],
        },
    )


@login_required
@require_POST
def login_unlink(request, pk):
    require_party_role(request.user)
    link = get_visible_or_404(
        MemberLogin.objects.select_related("member__org", "user"), request.user, CHANGE, pk=pk
    )
    try:
        services.unlink_login(Actor.from_request(request), link)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已解除账号“{link.user.username}”与党员“{link.member.name}”的关联。")
    return redirect(reverse("members:logins") + f"?org={link.member.org_id}")


@login_required
@require_GET
def mine(request):
    """The member's own page on a phone: their record in brief and the way to their meetings, dues, case."""
    member = services.member_of(request.user)
    context = {"member": member, "today": timezone.localdate()}
    if member is not None:
        case = Recruitment.objects.filter(member=member).first()
        context |= {
            "standing": member.party_standing(),
            "case": case,
            # The case page is a branch page: link it only where the member's role lets them open it.
            "case_visible": case is not None
            and Recruitment.objects.visible_to(request.user).filter(pk=case.pk).exists(),
        }
    return render(request, "members/mine.html", context)
