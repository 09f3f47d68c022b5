"""Pages of pairings (结对共建): list with export, a pairing's page with its joint activities, forms.

A pairing is seen by everyone who sees one of its orgs. The orgs of the other side are named only
to those who may see them; the others read "另有N个党组织(不在您的权限范围内)". The organization
department that set the pairing up sees every side. (docs/architecture.md, "Pairings across subtrees")
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.core.access import CHANGE, get_visible_or_404, path_in_scope, scopes_for
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.orgs import services
from dangjian.orgs.forms import (
    PairingActivityForm,
    PairingEditForm,
    PairingFilterForm,
    PairingForm,
    PairingOrgAddForm,
    PairingOrgRemoveForm,
)
from dangjian.orgs.models import Org, Pairing, PairingOrg
from dangjian.orgs.views import can_change, form_page, page_of, require_party_role, within_org


def pairing_url(pairing) -> str:
    return reverse("orgs:pairing_detail", args=[pairing.pk])


def sides(user, pairings) -> dict[int, tuple[list[Org], int]]:
    """For each pairing: the orgs the user may see, and how many others there are (not named)."""
    result: dict[int, tuple[list[Org], int]] = {p.pk: ([], 0) for p in pairings}
    parties = (
        PairingOrg.objects.taking_part()
        .filter(pairing__in=list(result))
        .select_related("org")
        .order_by("org__path")
    )
    for party in parties:
        seen, hidden = result[party.pairing_id]
        if path_in_scope(user, party.org.path):
            seen.append(party.org)
        else:
            result[party.pairing_id] = (seen, hidden + 1)
    return result


def filtered_pairings(request):
    within = within_org(request)
    form = PairingFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    pairings = Pairing.objects.visible_to(request.user).involving(within)
    if data.get("q"):
        pairings = pairings.filter(scheme__contains=data["q"])
    running = Q(ended_on__isnull=True) | Q(ended_on__gte=today)
    if data.get("status") == "running":
        pairings = pairings.filter(running)
    elif data.get("status") == "ended":
        pairings = pairings.exclude(running)
    return within, form, pairings.annotate(activity_count=Count("activities")).order_by("-started_on", "-pk")


@login_required
@require_GET
def pairing_list(request):
    within, form, pairings = filtered_pairings(request)
    page = page_of(request, pairings)
    by_pairing = sides(request.user, list(page))
    return render(
        request,
        "orgs/pairing_list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page,
            "rows": [(p, *by_pairing[p.pk]) for p in page],
            "can_create": any(s.can_change for s in scopes_for(request.user)),
        },
    )


def side_text(seen: list[Org], hidden: int) -> str:
    text = "、".join(org.name for org in seen)
    return f"{text}(另有{hidden}个党组织不在您的权限范围内)" if hidden else text


@login_required
@require_GET
def pairing_export(request):
    within, _, pairings = filtered_pairings(request)
    pairings = list(pairings)
    by_pairing = sides(request.user, pairings)
    headers = ["共建项目", "结对党组织", "开始日期", "结束日期", "共建活动次数", "共建内容"]
    rows = [
        [p.scheme, side_text(*by_pairing[p.pk]), p.started_on, p.ended_on, p.activity_count, p.note]
        for p in pairings
    ]
    return xlsx_response(
        f"{within.name}_结对共建_{timezone.localdate():%Y%m%d}.xlsx", [Sheet("结对共建", headers, rows)]
    )


def visible_pairing(request, pk, action=None):
    require_party_role(request.user)
    if action is None:
        return get_visible_or_404(Pairing, request.user, pk=pk)
    return get_visible_or_404(Pairing, request.user, action, pk=pk)


@login_required
@require_GET
def pairing_detail(request, pk):
    pairing = visible_pairing(request, pk)
    seen, hidden = sides(request.user, [pairing])[pairing.pk]
    parties = [
        party
        for party in pairing.parties.select_related("org").order_by("left_on", "org__path")
        if path_in_scope(request.user, party.org.path)
    ]
    return render(
        request,
        "orgs/pairing_detail.html",
        {
            "pairing": pairing,
            "seen": seen,
            "hidden": hidden,
            "parties": [(p, p.left_on is None and can_change(request.user, p.org)) for p in parties],
            "activities": pairing.activities.all(),
            "can_change": Pairing.objects.visible_to(request.user, CHANGE).filter(pk=pairing.pk).exists(),
        },
    )


@login_required
def pairing_create(request):
    require_party_role(request.user)
    form = PairingForm(request.POST or None)
    orgs = []
    if request.method == "POST" and form.is_valid():
        codes = form.codes()
        found = {o.code: o for o in Org.objects.visible_to(request.user, CHANGE).filter(code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            form.add_error("org_codes", f"未找到组织编码为“{'、'.join(missing)}”的党组织,或您无权办理。")
        orgs = [found[code] for code in codes if code in found]

    def call(actor, data):
        fields = {name: data[name] for name in ("scheme", "started_on", "ended_on", "note")}
        return services.create_pairing(actor, orgs=orgs, **fields)

    return form_page(
        request,
        form,
        call,
        title="建立结对共建",
        submit="建立",
        back_url=reverse("orgs:pairings"),
        field_map={"orgs": "org_codes"},
        done=lambda p: (f"已建立结对共建“{p.scheme}”。", pairing_url(p)),
    )


@login_required
def pairing_edit(request, pk):
    pairing = visible_pairing(request, pk, CHANGE)
    initial = {"scheme": pairing.scheme, "ended_on": pairing.ended_on, "note": pairing.note}
    form = PairingEditForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        lambda actor, data: services.update_pairing(actor, pairing, **data),
        title=f"修改结对共建“{pairing.scheme}”",
        back_url=pairing_url(pairing),
        done=lambda p: ("已保存。", pairing_url(p)),
    )


@login_required
def pairing_activity_add(request, pk):
    pairing = visible_pairing(request, pk, CHANGE)
    form = PairingActivityForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.add_pairing_activity(actor, pairing, **data),
        title=f"登记“{pairing.scheme}”的共建活动",
        submit="登记",
        back_url=pairing_url(pairing),
        done=lambda a: (f"已登记共建活动“{a.title}”。", pairing_url(pairing)),
    )


@login_required
def pairing_org_add(request, pk):
    """Another org joins the pairing; the user must hold it as well as one of the pairing's orgs."""
    pairing = visible_pairing(request, pk, CHANGE)
    form = PairingOrgAddForm(request.POST or None)
    org = None
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["org_code"].strip()
        org = Org.objects.visible_to(request.user, CHANGE).filter(code=code).first()
        if org is None:
            form.add_error("org_code", f"未找到组织编码为“{code}”的党组织,或您无权办理。")

    def call(actor, data):
        return services.add_pairing_org(actor, pairing, org, joined_on=data["joined_on"], note=data["note"])

    return form_page(
        request,
        form,
        call,
        title=f"“{pairing.scheme}”增加结对党组织",
        submit="加入",
        back_url=pairing_url(pairing),
        field_map={"org": "org_code"},
        org_picker=True,
        done=lambda p: (f"“{p.org.name}”已加入结对共建。", pairing_url(pairing)),
    )


@login_required
def pairing_org_remove(request, pk):
    """An org leaves the pairing on a date (its row and history stay)."""
    require_party_role(request.user)
    party = get_visible_or_404(
        PairingOrg.objects.select_related("pairing", "org"), request.user, CHANGE, pk=pk
    )
    form = PairingOrgRemoveForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.remove_pairing_org(actor, party, **data),
        title=f"“{party.org.name}”退出结对共建“{party.pairing.scheme}”",
        submit="退出",
        danger=True,
        back_url=pairing_url(party.pairing),
        done=lambda p: (f"“{p.org.name}”已退出结对共建。", pairing_url(p.pairing)),
    )
