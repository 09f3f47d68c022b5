"""Member import (new records, updates), the template, and the Excel export with the import's headers.

The export is masked unless the user holds the unmask permission at the exported org and asks for it
(``?unmask=1``); such an export is one audit entry naming the org, the filters and the row count.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core import audit
from dangjian.core.audit import Actor
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.core.import_views import template_download, upload
from dangjian.members import protected, queries
from dangjian.members.forms import MemberFilterForm
from dangjian.members.importers import MemberImporter, MemberUpdateImporter
from dangjian.members.models import Member
from dangjian.members.views import filters_from, within_org

IMPORTER = MemberImporter()
UPDATER = MemberUpdateImporter()


@login_required
@require_http_methods(["GET", "POST"])
def member_import(request):
    return upload(request, IMPORTER)


@login_required
@require_http_methods(["GET", "POST"])
def member_update_import(request):
    return upload(request, UPDATER)


@login_required
@require_GET
def member_template(request):
    return template_download(IMPORTER)


def export_row(member: Member, tag_names: str, clear: dict | None) -> list:
    clear = clear or {}
    return [
        member.name,
        clear.get("id_number", member.id_number_masked),
        member.get_sex_display(),
        member.ethnicity,
        member.birth_date,
        member.native_place,
        member.get_education_display(),
        member.get_occupation_display(),
        member.work_unit,
        member.post,
        clear.get("phone", member.phone_masked),
        clear.get("address", member.address_masked),
        member.get_category_display(),
        member.get_status_display(),
        member.org.code,
        member.org.name,
        member.applied_on,
        member.joined_on,
        member.converted_on,
        tag_names,
    ]


def export_rows(members, unmask: bool):
    """Rows in chunks: one query for the members and their orgs, one for their tags per chunk."""
    chunk: list[Member] = []
    for member in members.iterator(chunk_size=2000):
        chunk.append(member)
        if len(chunk) == 2000:
            yield from _rows_of(chunk, unmask)
            chunk = []
    yield from _rows_of(chunk, unmask)


def _rows_of(chunk: list[Member], unmask: bool):
    if not chunk:
        return
    tags: dict[int, list[str]] = {}
    through = Member.tags.through.objects.filter(member_id__in=[m.pk for m in chunk]).select_related(
        "membertag"
    )
    for link in through.order_by("membertag__sort_order"):
        tags.setdefault(link.member_id, []).append(link.membertag.name)
    for member in chunk:
        clear = (
            {name: protected.reveal(member, name) for name in protected.PROTECTED_FIELDS} if unmask else None
        )
        yield export_row(member, "、".join(tags.get(member.pk, [])), clear)


@login_required
@require_GET
def member_export(request):
    within = within_org(request)
    filters = filters_from(MemberFilterForm(request.GET or None))
    members = queries.filter_members(
        queries.members_within(request.user, within), filters, timezone.localdate()
    )
    members = members.select_related("org")
    unmask = request.GET.get("unmask") == "1"
    if unmask:
        if not protected.can_unmask(request.user, within):
            raise PermissionDenied("您没有导出完整个人信息的权限。")
        with transaction.atomic():
            audit.record(
                Actor.from_request(request),
                "member.export_unmasked",
                within,
                org=within,
                after={"rows": members.count(), "filters": request.GET.urlencode()[:500]},
            )
    suffix = "_完整信息" if unmask else ""
    filename = f"{within.name}_党员{suffix}_{timezone.localdate():%Y%m%d}.xlsx"
    headers = IMPORTER.headers()
    return xlsx_response(filename, [Sheet("党员", headers, export_rows(members, unmask), text_columns=True)])
