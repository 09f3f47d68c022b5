"""Pages of the import framework: the user's batches, the preview, commit, cancel, undo, error download.

Every module's upload page is ``upload`` with its importer, and its template download is
``template_download``; the batch pages are shared. A user sees only the batches they uploaded.
"""

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dangjian.core import importing
from dangjian.core.access import scopes_for
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.exporting import Sheet, xlsx_response
from dangjian.core.forms import StyledFormMixin, add_service_error
from dangjian.core.models import ImportBatch

BATCHES_PER_PAGE = 20
ERRORS_SHOWN = 500


class UploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label="导入文件",
        help_text="支持 .xlsx、.xls、.ods 和 .csv(UTF-8 或 GB18030 编码);上传后先预检,确认后才导入。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv"}),
    )


def import_actor(request) -> Actor:
    return Actor.from_request(request, via="import")


def require_import_permission(user) -> None:
    """Importing writes records, so it needs a role that may change something somewhere."""
    if not any(scope.can_change for scope in scopes_for(user)):
        raise PermissionDenied("您没有导入数据的权限。")


def own_batch(request, pk: int) -> ImportBatch:
    # The file itself is read only by the actions that need it.
    return get_object_or_404(importing.batches_of(request.user).defer("content"), pk=pk)


def importer_of(batch: ImportBatch) -> importing.Importer:
    try:
        return importing.get_importer(batch.kind)
    except LookupError as exc:
        raise Http404("未找到该导入类型。") from exc


# --- shared by every module's upload page -------------------------------------------------------------


def upload(request, importer: importing.Importer):
    """The upload page of one importer: the file is checked at once and the preview shown."""
    require_import_permission(request.user)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            batch = importing.preview(importer, import_actor(request), file.name, file.read())
        except ServiceError as error:
            add_service_error(form, error, {None: "file"})
        else:
            return redirect("imports:detail", pk=batch.pk)
    return render(request, "core/imports/upload.html", {"form": form, "importer": importer})


def template_download(importer: importing.Importer):
    """An empty file with the headers (required ones marked *), and a sheet explaining each column."""
    notes = [[c.header, "是" if c.required else "否", c.help] for c in importer.columns]
    notes += [["说明", "", line] for line in importer.template_notes()]
    return xlsx_response(
        f"{importer.label}导入模板.xlsx",
        [
            Sheet(importer.label, importer.headers(), text_columns=True),
            Sheet("填写说明", ["表头", "必填", "说明"], notes, widths=[16, 8, 80]),
        ],
    )


# --- the batch pages ------------------------------------------------------------------------------------


@login_required
@require_GET
def batch_list(request):
    batches = (
        importing.batches_of(request.user)
        .defer("content", "errors")
        .annotate(error_rows=F("total_rows") - F("valid_rows"))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    importers = [i for i in importing.all_importers() if i.upload_url_name]
    labels = {i.kind: i.label for i in importing.all_importers()}
    for batch in page:
        batch.kind_label = labels.get(batch.kind, batch.kind)
    can_import = any(scope.can_change for scope in scopes_for(request.user))
    return render(
        request,
        "core/imports/list.html",
        {"page_obj": page, "importers": importers if can_import else []},
    )


@login_required
@require_GET
def batch_detail(request, pk: int):
    batch = own_batch(request, pk)
    importer = importer_of(batch)
    return render(
        request,
        "core/imports/detail.html",
        {
            "batch": batch,
            "importer": importer,
            "errors": batch.errors[:ERRORS_SHOWN],
            "errors_truncated": len(batch.errors) > ERRORS_SHOWN,
            "upload_url": reverse(importer.upload_url_name) if importer.upload_url_name else "",
        },
    )


def _act(request, pk: int, action, success: str):
    batch = own_batch(request, pk)
    importer_of(batch)
    try:
        batch = action(import_actor(request), batch)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success.format(batch=batch))
    return redirect("imports:detail", pk=pk)


@login_required
@require_POST
def batch_commit(request, pk: int):
    return _act(request, pk, importing.commit, "已导入 {batch.imported_rows} 条数据。")


@login_required
@require_POST
def batch_cancel(request, pk: int):
    return _act(request, pk, importing.cancel, "已取消本批导入,未导入任何数据。")


@login_required
@require_POST
def batch_undo(request, pk: int):
    return _act(request, pk, importing.undo, "已撤销本批导入,本批导入的 {batch.imported_rows} 条数据已删除。")


@login_required
@require_GET
def batch_errors(request, pk: int):
    """The refused rows as an Excel file: the original columns plus 错误说明, to correct and import again."""
    batch = own_batch(request, pk)
    importer_of(batch)
    if not batch.errors:
        raise Http404("本批没有错误行。")
    try:
        headers, rows = importing.rejected_rows(batch)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    return xlsx_response(f"{PurePath(batch.file_name).stem}_错误行.xlsx", [Sheet("错误行", headers, rows)])
