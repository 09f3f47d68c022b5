"""Pages of places (阵地) and of weak-and-lax flags (软弱涣散党组织): lists with export, forms."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.core.access import CHANGE, get_visible_or_404, subtree_q
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.orgs import figures, services
from dangjian.orgs.forms import (
    PlaceCloseForm,
    PlaceFilterForm,
    PlaceForm,
    WeakCloseForm,
    WeakFilterForm,
    WeakFlagForm,
    WeakStepForm,
)
from dangjian.orgs.models import Place, WeakFlag
from dangjian.orgs.views import (
    can_change,
    can_change_parent,
    form_page,
    page_of,
    require_party_role,
    visible_org,
    within_org,
)

# --- places ---------------------------------------------------------------------------------------------


def filtered_places(request):
    within = within_org(request)
    form = PlaceFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    places = (
        Place.objects.visible_to(request.user)
        .filter(subtree_q("org__path", within.path))
        .select_related("org")
    )
    if data.get("q"):
        places = places.filter(name__contains=data["q"])
    if data.get("kind"):
        places = places.filter(kind=data["kind"])
    status = data.get("status") or ""
    if status == "":
        places = places.filter(closed_on__isnull=True)
    elif status == "closed":
        places = places.filter(closed_on__isnull=False)
    return within, form, places.order_by("org__path", "kind", "name", "pk")


@login_required
@require_GET
def place_list(request):
    within, form, places = filtered_places(request)
    return render(
        request,
        "orgs/place_list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page_of(request, places),
            "counts": figures.place_counts(request.user, within),
            "can_change_within": can_change(request.user, within) and within.is_active,
        },
    )


@login_required
@require_GET
def place_export(request):
    within, _, places = filtered_places(request)
    headers = [
        "名称",
        "类型",
        "所属党组织",
        "组织编码",
        "地址",
        "面积(平方米)",
        "启用日期",
        "停用日期",
        "备注",
    ]
    rows = (
        [
            p.name,
            p.get_kind_display(),
            p.org.name,
            p.org.code,
            p.address,
            float(p.area) if p.area is not None else None,
            p.opened_on,
            p.closed_on,
            p.note,
        ]
        for p in places.iterator(chunk_size=2000)
    )
    return xlsx_response(
        f"{within.name}_阵地_{timezone.localdate():%Y%m%d}.xlsx", [Sheet("阵地", headers, rows)]
    )


def places_url(org) -> str:
    return f"{reverse('orgs:places')}?within={org.pk}"


@login_required
def place_create(request, pk):
    org = visible_org(request, pk, CHANGE)
    form = PlaceForm(request.POST or None)

    def call(actor, data):
        opening = {k: v for k, v in data.items() if k not in ("closed_on", "close_reason")}
        return services.create_place(actor, org, **opening)

    return form_page(
        request,
        form,
        call,
        org=org,
        title=f"登记“{org.name}”的阵地",
        submit="登记",
        done=lambda p: (f"已登记阵地“{p.name}”。", places_url(org)),
    )


@login_required
def place_edit(request, pk):
    require_party_role(request.user)
    place = get_visible_or_404(Place.objects.select_related("org"), request.user, CHANGE, pk=pk)
    initial = {name: getattr(place, name) for name in PlaceForm.base_fields}
    form = PlaceForm(request.POST or None, initial=initial)

    def call(actor, data):
        return services.update_place(actor, place, **{k: v for k, v in data.items() if v != initial[k]})

    return form_page(
        request,
        form,
        call,
        org=place.org,
        title=f"修改阵地“{place.name}”",
        back_url=places_url(place.org),
        done=lambda p: (f"已保存阵地“{p.name}”。", places_url(place.org)),
    )


@login_required
def place_close(request, pk):
    """Stop using a place on a date (it stays in the records and in earlier years' figures)."""
    require_party_role(request.user)
    place = get_visible_or_404(Place.objects.select_related("org"), request.user, CHANGE, pk=pk)
    form = PlaceCloseForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.close_place(actor, place, **data),
        org=place.org,
        title=f"停用阵地“{place.name}”",
        submit="停用",
        danger=True,
        back_url=places_url(place.org),
        done=lambda p: (f"阵地“{p.name}”已停用。", places_url(place.org)),
    )


# --- weak-and-lax flags ---------------------------------------------------------------------------------


def filtered_flags(request):
    within = within_org(request)
    form = WeakFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    flags = (
        WeakFlag.objects.visible_to(request.user)
        .filter(subtree_q("org__path", within.path))
        .select_related("org")
    )
    if not status:
        flags = flags.filter(closed_on__isnull=True)
    elif status == "closed":
        flags = flags.filter(closed_on__isnull=False)
    return within, form, flags.order_by("-flagged_on", "-pk")


@login_required
@require_GET
def weak_list(request):
    within, form, flags = filtered_flags(request)
    return render(
        request, "orgs/weak_list.html", {"within": within, "form": form, "page_obj": page_of(request, flags)}
    )


@login_required
@require_GET
def weak_export(request):
    within, _, flags = filtered_flags(request)
    headers = ["党组织", "组织编码", "认定日期", "文号", "主要问题", "整顿措施", "销号日期", "销号说明"]
    rows = (
        [
            f.org.name,
            f.org.code,
            f.flagged_on,
            f.document_number,
            f.reason,
            ";".join(f"{s.taken_on:%Y-%m-%d} {s.description}" for s in f.steps.all()),
            f.closed_on,
            f.closing_note,
        ]
        for f in flags.prefetch_related("steps")
    )
    return xlsx_response(
        f"{within.name}_软弱涣散党组织_{timezone.localdate():%Y%m%d}.xlsx", [Sheet("软弱涣散", headers, rows)]
    )


def flag_url(flag) -> str:
    return reverse("orgs:weak_detail", args=[flag.pk])


def visible_flag(request, pk, action=None):
    require_party_role(request.user)
    queryset = WeakFlag.objects.select_related("org")
    if action is None:
        return get_visible_or_404(queryset, request.user, pk=pk)
    return get_visible_or_404(queryset, request.user, action, pk=pk)


@login_required
def weak_create(request, pk):
    org = visible_org(request, pk)
    form = WeakFlagForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.flag_weak(actor, org, **data),
        org=org,
        title=f"认定“{org.name}”为软弱涣散党组织",
        submit="认定",
        danger=True,
        done=lambda f: (f"已认定“{org.name}”为软弱涣散党组织。", flag_url(f)),
    )


@login_required
@require_GET
def weak_detail(request, pk):
    flag = visible_flag(request, pk)
    return render(
        request,
        "orgs/weak_detail.html",
        {
            "flag": flag,
            "org": flag.org,
            "steps": flag.steps.all(),
            "can_add_step": can_change(request.user, flag.org) and flag.is_open,
            "can_close": can_change_parent(request.user, flag.org) and flag.is_open,
        },
    )


@login_required
def weak_step_add(request, pk):
    flag = visible_flag(request, pk, CHANGE)
    form = WeakStepForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.add_weak_step(actor, flag, **data),
        org=flag.org,
        title=f"登记“{flag.org.name}”的整顿措施",
        submit="登记",
        back_url=flag_url(flag),
        done=lambda _: ("已登记整顿措施。", flag_url(flag)),
    )


@login_required
def weak_close(request, pk):
    flag = visible_flag(request, pk)
    form = WeakCloseForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda actor, data: services.close_weak_flag(actor, flag, **data),
        org=flag.org,
        title=f"“{flag.org.name}”整顿销号",
        submit="销号",
        back_url=flag_url(flag),
        done=lambda _: (f"“{flag.org.name}”已整顿销号。", flag_url(flag)),
    )
