"""Pages of units (单位): the list with its coverage filters and export, a unit's page, and its forms.

A unit is seen from the org responsible for it and from the org set up in it (``Unit.visible_to``).
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.core.access import CHANGE, get_visible_or_404
from dangjian.core.audit import Actor
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.orgs import services
from dangjian.orgs.figures import COVERED
from dangjian.orgs.forms import UnitFilterForm, UnitForm
from dangjian.orgs.importers import UNIT_IMPORTER
from dangjian.orgs.models import Unit
from dangjian.orgs.views import (
    can_change,
    form_page,
    org_by_code,
    page_of,
    require_party_role,
    visible_org,
    within_org,
)

UNIT_QUERY_FIELDS = ("responsible_org", "org")


def unit_url(unit) -> str:
    return reverse("orgs:unit_detail", args=[unit.pk])


def filtered_units(request):
    within = within_org(request)
    form = UnitFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    units = Unit.objects.visible_to(request.user).within(within).open().select_related(*UNIT_QUERY_FIELDS)
    if data.get("q"):
        units = units.filter(Q(name__contains=data["q"]) | Q(credit_code=data["q"].upper()))
    if data.get("sector"):
        units = units.filter(sector=data["sector"])
    if data.get("new_sector"):
        units = units.filter(is_new_sector=data["new_sector"] == "yes")
    if data.get("covered") == "yes":
        units = units.filter(COVERED)
    elif data.get("covered") == "no":
        units = units.exclude(COVERED)
    return within, form, units.order_by("name", "pk")


@login_required
@require_GET
def unit_list(request):
    within, form, units = filtered_units(request)
    return render(
        request,
        "orgs/unit_list.html",
        {
            "within": within,
            "form": form,
            "page_obj": page_of(request, units),
            "can_change_within": can_change(request.user, within) and within.is_active,
        },
    )


def unit_row(unit) -> list:
    return [
        unit.name,
        unit.credit_code,
        unit.get_sector_display(),
        unit.is_new_sector,
        unit.headcount,
        unit.responsible_org.code,
        unit.org.code if unit.org_id else "",
        unit.charter_includes_party_building,
        unit.cross_appointment,
        unit.secretary_is_head,
    ]


@login_required
@require_GET
def unit_export(request):
    """The units of the list as .xlsx, with the import template's headers, so an export re-imports."""
    within, _, units = filtered_units(request)
    rows = (unit_row(u) for u in units.iterator(chunk_size=2000))
    filename = f"{within.name}_单位_{timezone.localdate():%Y%m%d}.xlsx"
    return xlsx_response(filename, [Sheet("单位", UNIT_IMPORTER.headers(), rows)])


@login_required
@require_GET
def unit_detail(request, pk):
    require_party_role(request.user)
    unit = get_visible_or_404(Unit.objects.select_related(*UNIT_QUERY_FIELDS), request.user, pk=pk)
    may_change = services.may_change_unit(Actor.from_request(request), unit)
    return render(request, "orgs/unit_detail.html", {"unit": unit, "can_change": may_change})


def unit_values(data: dict) -> dict:
    return {name: value for name, value in data.items() if name != "org_code"}


@login_required
def unit_create(request, pk):
    responsible = visible_org(request, pk, CHANGE)
    form = UnitForm(request.POST or None)
    covering = None
    if request.method == "POST" and form.is_valid():
        # An unknown code is put on the form, which form_page then shows instead of calling the service.
        covering = org_by_code(request, form, "org_code", required=False)

    def call(actor, data):
        return services.create_unit(actor, responsible_org=responsible, org=covering, **unit_values(data))

    return form_page(
        request,
        form,
        call,
        org=responsible,
        title=f"在“{responsible.name}”登记单位",
        submit="登记",
        org_picker=True,
        field_map={"org": "org_code"},
        done=lambda u: (f"已登记单位“{u.name}”。", unit_url(u)),
    )


@login_required
def unit_edit(request, pk):
    require_party_role(request.user)
    unit = get_visible_or_404(Unit.objects.select_related(*UNIT_QUERY_FIELDS), request.user, pk=pk)
    fields = [name for name in UnitForm.base_fields if name != "org_code"]
    initial = {name: getattr(unit, name) for name in fields} | {
        "org_code": unit.org.code if unit.org_id else ""
    }
    form = UnitForm(request.POST or None, initial=initial)
    covering = unit.org
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["org_code"].strip()
        if code != initial["org_code"]:
            covering = org_by_code(request, form, "org_code", required=False)

    def call(actor, data):
        changes = {name: value for name, value in unit_values(data).items() if value != initial[name]}
        if covering != unit.org:
            changes["org"] = covering
        return services.update_unit(actor, unit, **changes)

    return form_page(
        request,
        form,
        call,
        org=unit.responsible_org,
        title=f"修改单位“{unit.name}”",
        back_url=unit_url(unit),
        org_picker=True,
        field_map={"org": "org_code"},
        done=lambda u: (f"已保存单位“{u.name}”。", unit_url(u)),
    )
