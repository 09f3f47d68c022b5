"""Org import (upload and template) and the Excel export, with the same headers so an export re-imports."""

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core.access import get_visible_or_404
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.core.import_views import template_download, upload
from dangjian.orgs.importers import COMMITTEE_IMPORTER, UNIT_IMPORTER, OrgImporter
from dangjian.orgs.models import Org, OrgEvent, OrgEventKind, OrgKind, OrgStatus, Sector

IMPORTER = OrgImporter()


@login_required
@require_http_methods(["GET", "POST"])
def org_import(request):
    return upload(request, IMPORTER)


@login_required
@require_GET
def org_template(request):
    return template_download(IMPORTER)


def with_export_fields(queryset):
    """Each org's parent code and founding document number, found in the same query (none per row)."""
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Org.steplen)
    parent = Org.objects.filter(path=parent_path).order_by().values("code")[:1]
    founding = OrgEvent.objects.filter(org=OuterRef("pk"), kind=OrgEventKind.FOUNDED).order_by("pk")
    return queryset.annotate(
        parent_code=Subquery(parent),
        founding_document=Subquery(founding.values("document_number")[:1]),
    )


def filtered_orgs(request):
    """The orgs of the export: the chosen subtree (default: the current org), filtered, in the user's scope."""
    user = request.user
    within = request.GET.get("within")
    org = get_visible_or_404(Org, user, pk=within) if within else request.get_current_org()
    if org is None:
        raise Http404("没有可导出的党组织。")
    orgs = Org.objects.visible_to(user).within(org)
    for name, choices in (("kind", OrgKind), ("sector", Sector)):
        if request.GET.get(name) in choices.values:
            orgs = orgs.filter(**{name: request.GET[name]})
    if request.GET.get("q", "").strip():
        orgs = orgs.filter(name__contains=request.GET["q"].strip())
    status = request.GET.get("status") or OrgStatus.ACTIVE
    if status != "all":
        orgs = orgs.filter(status=status)
    return org, with_export_fields(orgs).order_by("path")


def export_row(org: Org) -> list:
    return [
        org.name,
        org.short_name,
        org.get_kind_display(),
        org.get_sector_display(),
        org.code,
        org.parent_code or "",
        org.founded_on,
        org.founding_document or "",
    ]


@login_required
@require_GET
def org_export(request):
    """The orgs in the current filter as .xlsx, headers as in the import template, parents before children."""
    org, orgs = filtered_orgs(request)
    rows = (export_row(o) for o in orgs.iterator(chunk_size=2000))
    filename = f"{org.name}_党组织_{timezone.localdate():%Y%m%d}.xlsx"
    return xlsx_response(filename, [Sheet("党组织", IMPORTER.headers(), rows)])


# --- units and committees: the shared upload page with their importers ----------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def unit_import(request):
    return upload(request, UNIT_IMPORTER)


@login_required
@require_GET
def unit_template(request):
    return template_download(UNIT_IMPORTER)


@login_required
@require_http_methods(["GET", "POST"])
def committee_import(request):
    return upload(request, COMMITTEE_IMPORTER)


@login_required
@require_GET
def committee_template(request):
    return template_download(COMMITTEE_IMPORTER)
