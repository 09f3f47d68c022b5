"""Shared machinery of the REST API: bearer tokens, the error format, list pages, and the audit log.

Every answer that is not a success has the same shape, ``{"code", "message", "details"}``, with a
Chinese message, so a client handles errors in one place. Every list has the same shape,
``{"count", "items", "next"}``, built by ``paginate``.
"""

import logging
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from dangjian.accounts.roles import Role
from dangjian.accounts.services import user_for_token
from dangjian.core import importing
from dangjian.core.access import has_system_role
from dangjian.core.audit import Actor
from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.core.import_views import require_import_permission
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Org

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

MESSAGE_UNAUTHORIZED = "未登录或令牌无效"
MESSAGE_NOT_FOUND = "未找到该记录,或您无权查看。"
MESSAGE_VALIDATION = "请求数据有误"


# --- rendering and authentication -----------------------------------------------------------------------


class ApiRenderer(JSONRenderer):
    """JSON with Chinese as written, not as \\u escapes: readable in logs and by people testing with curl."""

    json_dumps_params = {"ensure_ascii": False}


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``: the token's user becomes ``request.user`` for services and scope."""

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


# --- the error format -----------------------------------------------------------------------------------


class ApiError(HttpError):
    """An error the API itself answers (not a service's), with its own code and Chinese message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, message)
        self.code = code


def error_response(api, request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"code": code, "message": message, "details": details or {}}, status=status
    )


# Pydantic error types, in words a user of a Chinese client understands. ``{…}`` come from the error's ctx.
VALIDATION_MESSAGES = {
    "missing": "必填",
    "enum": "取值无效,应为:{expected}",
    "literal_error": "取值无效,应为:{expected}",
    "less_than_equal": "不能大于{le}",
    "less_than": "必须小于{lt}",
    "greater_than_equal": "不能小于{ge}",
    "greater_than": "必须大于{gt}",
    "string_too_long": "不能超过{max_length}个字符",
    "string_too_short": "至少需要{min_length}个字符",
    "too_long": "不能超过{max_length}项",
    "too_short": "至少需要{min_length}项",
    "extra_forbidden": "不允许的字段",
    "date_parsing": "日期格式不正确,应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式不正确,应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式不正确,应为 YYYY-MM-DD",
    "date_type": "日期格式不正确,应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式不正确,应为 YYYY-MM-DDTHH:MM:SS",
    "datetime_from_date_parsing": "时间格式不正确,应为 YYYY-MM-DDTHH:MM:SS",
    "datetime_type": "时间格式不正确,应为 YYYY-MM-DDTHH:MM:SS",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
}
WRONG_FORMAT = "格式不正确"


def validation_field(loc: tuple) -> str:
    """The input's name from a ninja error location.

    ninja puts the source first (``query``, ``path``, ``body``) and, for a JSON body, the name of
    the view's body parameter second; the client knows neither, only the field it sent.
    """
    parts = [str(part) for part in loc]
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts:
        parts = parts[1:]
    return ".".join(parts) or "body"


def readable_choices(expected: str) -> str:
    """Pydantic's "'a', 'b' or 'c'" as "a、b、c"."""
    return expected.replace("'", "").replace(" or ", "、").replace(", ", "、")


def validation_message(error: dict) -> str:
    template = VALIDATION_MESSAGES.get(error.get("type", ""), WRONG_FORMAT)
    ctx = dict(error.get("ctx", {}))
    if isinstance(ctx.get("expected"), str):
        ctx["expected"] = readable_choices(ctx["expected"])
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return WRONG_FORMAT


def on_validation_error(api, request, exc: ValidationError):
    details = [
        {"field": validation_field(tuple(error.get("loc", ()))), "message": validation_message(error)}
        for error in exc.errors
    ]
    return error_response(api, request, 400, "validation_error", MESSAGE_VALIDATION, details)


def on_service_error(api, request, exc: ServiceError):
    details = {"field": exc.field, **exc.details}
    return error_response(api, request, exc.status, exc.code, exc.message, details)


def on_not_found(api, request, exc: Http404):
    return error_response(api, request, 404, "not_found", MESSAGE_NOT_FOUND)


def on_permission_denied(api, request, exc: PermissionDenied):
    return error_response(api, request, 403, "forbidden", str(exc) or "您无权进行此操作。")


# ninja raises HttpError itself for an unreadable body, a failed login (401) and the like.
HTTP_ERRORS = {
    400: ("bad_request", "请求数据无法解析,请发送有效的 JSON。"),
    401: ("unauthorized", MESSAGE_UNAUTHORIZED),
    403: ("forbidden", "您无权进行此操作。"),
    404: ("not_found", MESSAGE_NOT_FOUND),
    405: ("method_not_allowed", "不支持该请求方法。"),
    429: ("too_many_requests", "请求过于频繁,请稍后再试。"),
}


def on_http_error(api, request, exc: HttpError):
    code, message = HTTP_ERRORS.get(exc.status_code, ("error", "请求失败。"))
    if isinstance(exc, ApiError):
        code, message = exc.code, exc.message
    return error_response(api, request, exc.status_code, code, message)


def on_unexpected_error(api, request, exc: Exception):
    # The traceback goes to the log; the client gets the request id to quote when reporting it.
    logger.exception("API error in %s %s", request.method, request.path)
    return error_response(
        api,
        request,
        500,
        "server_error",
        "服务器内部错误,请稍后再试或联系管理员。",
        {"request_id": getattr(request, "request_id", "")},
    )


def install_error_handlers(api) -> None:
    handlers = [
        (ValidationError, on_validation_error),
        (ServiceError, on_service_error),  # ConflictError (409) and NotPermitted (403) carry their status
        (Http404, on_not_found),
        (PermissionDenied, on_permission_denied),
        (HttpError, on_http_error),  # AuthenticationError included
        (Exception, on_unexpected_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, lambda request, exc, handler=handler: handler(api, request, exc))


# --- list pages -----------------------------------------------------------------------------------------

T = TypeVar("T")


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数,最多{MAX_LIMIT}")
    offset: int = Field(0, ge=0, description="跳过的条数")


class Page(Schema, Generic[T]):
    count: int = Field(description="符合条件的总条数")
    items: list[T]
    next: str | None = Field(description="下一页的完整地址;已是最后一页时为 null")


def next_page_url(request: HttpRequest, page: PageParams, count: int) -> str | None:
    next_offset = page.offset + page.limit
    if next_offset >= count:
        return None
    query = request.GET.copy()
    query["limit"] = str(page.limit)
    query["offset"] = str(next_offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(request: HttpRequest, queryset: QuerySet, page: PageParams) -> dict:
    """One page of ``queryset`` in the list format of every API list: two queries, whatever the page size.

    The queryset must be ordered deterministically, or pages may overlap.
    """
    count = queryset.count()
    items = list(queryset[page.offset : page.offset + page.limit]) if page.offset < count else []
    return {"count": count, "items": items, "next": next_page_url(request, page, count)}


# --- the audit log (audit administrators only) ----------------------------------------------------------

audit_router = Router(tags=["审计日志"])


class AuditEntryOut(Schema):
    seq: int
    occurred_at: datetime
    actor_name: str
    via: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    org_path: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str
    client_ip: str


class AuditFilters(Schema):
    actor: str | None = Field(None, description="操作人用户名")
    action: str | None = Field(None, description="操作,如 org.update")
    object_type: str | None = Field(None, description="对象类型,如 orgs.org")
    object_id: str | None = Field(None, description="对象编号")
    org: int | None = Field(None, description="党组织编号:该组织及其下级的日志")
    since: datetime | None = Field(None, description="起始时间(含)")
    until: datetime | None = Field(None, description="截止时间(不含)")


def aware(moment: datetime) -> datetime:
    """A time without a zone is local time, as the auditor reads it on screen."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def filter_audit_entries(queryset: QuerySet, filters: AuditFilters) -> QuerySet:
    exact = {
        "actor_name": filters.actor,
        "action": filters.action,
        "object_type": filters.object_type,
        "object_id": filters.object_id,
    }
    queryset = queryset.filter(**{field: value for field, value in exact.items() if value})
    if filters.org is not None:
        # The auditor holds no party scope, so the org is looked up for its path only; the log
        # itself already names every org's path.
        path = Org.objects.filter(pk=filters.org).values_list("path", flat=True).first()
        if path is None:
            raise Http404
        queryset = queryset.filter(org_path__startswith=path)
    if filters.since is not None:
        queryset = queryset.filter(occurred_at__gte=aware(filters.since))
    if filters.until is not None:
        queryset = queryset.filter(occurred_at__lt=aware(filters.until))
    return queryset


@audit_router.get("", response=Page[AuditEntryOut], summary="查询审计日志(仅审计管理员)")
def list_audit_entries(request, filters: Query[AuditFilters], page: Query[PageParams]):
    if not has_system_role(request.user, Role.AUDIT_ADMIN):
        raise NotPermitted("只有审计管理员可以查看审计日志。")
    entries = filter_audit_entries(AuditEntry.objects.order_by("-seq"), filters)
    return paginate(request, entries, page)


# --- imports (upload → preview with errors → commit / cancel / undo) -------------------------------------

imports_router = Router(tags=["导入"])


class ImportErrorOut(Schema):
    row: int = Field(description="电子表格中的行号")
    column: str = Field(description="出错的列(表头);整行的错误为空")
    message: str


class ImportBatchOut(Schema):
    id: int
    kind: str = Field(description="导入类型,如 members、orgs")
    kind_label: str
    file_name: str
    status: str = Field(description="previewed 待确认、committed 已导入、cancelled 已取消、undone 已撤销")
    status_label: str
    created_at: datetime
    finished_at: datetime | None
    total_rows: int
    valid_rows: int
    imported_rows: int
    error_count: int


class ImportBatchDetailOut(ImportBatchOut):
    errors: list[ImportErrorOut] = Field(description="预检发现的错误行(最多 1000 条)")


ERRORS_IN_DETAIL = 1000


def batch_out(batch, errors: bool = False) -> dict:
    try:
        label = importing.get_importer(batch.kind).label
    except LookupError:
        label = batch.kind
    data = {
        **{name: getattr(batch, name) for name in ImportBatchOut.model_fields if hasattr(batch, name)},
        "kind_label": label,
        "status_label": batch.get_status_display(),
        "error_count": len(batch.errors),
    }
    if errors:
        data["errors"] = batch.errors[:ERRORS_IN_DETAIL]
    return data


def own_import_batch(request, batch_id: int):
    # Another user's batch answers as if it did not exist: an import can carry any org's data.
    batch = importing.batches_of(request.user).defer("content").filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


def import_actor(request):
    return Actor.from_request(request, via="import")


@imports_router.get("", response=Page[ImportBatchOut], summary="本人上传的导入批次")
def list_imports(request, page: Query[PageParams]):
    batches = importing.batches_of(request.user).defer("content").order_by("-created_at", "-pk")
    result = paginate(request, batches, page)
    result["items"] = [batch_out(batch) for batch in result["items"]]
    return result


@imports_router.post(
    "",
    response={201: ImportBatchDetailOut},
    summary="上传文件并预检(不导入);commit=true 时一步导入有效行",
    description=(
        "默认只预检:返回待确认的批次和错误行,再调用 /commit 导入。commit=true 时上传即导入有效行,"
        "有错误的行不导入、记在批次的错误中(可下载、改正后再导入);没有有效行时不保存任何数据并返回 400。"
    ),
)
def upload_import(
    request,
    kind: Form[str | None] = None,
    file: File[UploadedFile | None] = None,
    commit: Form[bool] = False,
):
    # Permission first, before the form: someone who may not import learns nothing from its errors.
    require_import_permission(request.user)
    if not kind:
        raise ServiceError("请指定导入类型(kind)。", field="kind")
    if file is None:
        raise ServiceError("请上传导入文件(file)。", field="file")
    try:
        importer = importing.get_importer(kind)
    except LookupError:
        kinds = "、".join(i.kind for i in importing.all_importers() if i.upload_url_name)
        raise ServiceError(f"导入类型“{kind}”不存在,可选:{kinds}。", field="kind") from None
    run = importing.import_at_once if commit else importing.preview
    batch = run(importer, import_actor(request), file.name, file.read())
    return Status(201, batch_out(batch, errors=True))


@imports_router.get("/{batch_id}", response=ImportBatchDetailOut, summary="导入批次详情(含错误行)")
def get_import(request, batch_id: int):
    return batch_out(own_import_batch(request, batch_id), errors=True)


def _act(request, batch_id: int, action) -> dict:
    batch = action(import_actor(request), own_import_batch(request, batch_id))
    return batch_out(batch, errors=True)


@imports_router.post("/{batch_id}/commit", response=ImportBatchDetailOut, summary="确认导入预检通过的行")
def commit_import(request, batch_id: int):
    return _act(request, batch_id, importing.commit)


@imports_router.post("/{batch_id}/cancel", response=ImportBatchDetailOut, summary="取消待确认的批次")
def cancel_import(request, batch_id: int):
    return _act(request, batch_id, importing.cancel)


@imports_router.post("/{batch_id}/undo", response=ImportBatchDetailOut, summary="撤销已导入的批次")
def undo_import(request, batch_id: int):
    return _act(request, batch_id, importing.undo)
