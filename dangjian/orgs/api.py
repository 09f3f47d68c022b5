"""The org tree through the API: scoped lists and details, founding and changing orgs, their events."""

from datetime import date, datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from dangjian.core.access import get_visible_or_404
from dangjian.core.api import Page, PageParams, paginate
from dangjian.core.audit import Actor
from dangjian.orgs import services
from dangjian.orgs.models import Org, OrgEvent, OrgEventKind, OrgKind, OrgStatus, Sector

router = Router(tags=["党组织"])


def choices_text(choices) -> str:
    """The code names with their Chinese labels, for the API docs: "committee=党委、branch=党支部…"."""
    return "、".join(f"{value}={label}" for value, label in choices.choices)


KIND_HELP = f"类别:{choices_text(OrgKind)}"
SECTOR_HELP = f"领域:{choices_text(Sector)}"
STATUS_HELP = f"状态:{choices_text(OrgStatus)}"


# --- schemas --------------------------------------------------------------------------------------------


class OrgOut(Schema):
    id: int
    name: str
    short_name: str
    kind: OrgKind
    kind_label: str
    sector: Sector
    sector_label: str
    code: str
    status: OrgStatus
    status_label: str
    founded_on: date | None
    dissolved_on: date | None
    parent_id: int | None = Field(description="上级党组织编号;顶级为 null")
    depth: int = Field(description="层级,顶级为 1")
    child_count: int = Field(description="直属下级党组织数(含已撤销)")

    @staticmethod
    def resolve_kind_label(org: Org) -> str:
        return org.get_kind_display()

    @staticmethod
    def resolve_sector_label(org: Org) -> str:
        return org.get_sector_display()

    @staticmethod
    def resolve_status_label(org: Org) -> str:
        return org.get_status_display()

    @staticmethod
    def resolve_child_count(org: Org) -> int:
        return org.numchild


class OrgFilters(Schema):
    model_config = ConfigDict(use_enum_values=True)  # services take the plain code names

    within: int | None = Field(None, description="党组织编号:只列该组织及其全部下级")
    kind: OrgKind | None = Field(None, description=KIND_HELP)
    sector: Sector | None = Field(None, description=SECTOR_HELP)
    status: OrgStatus | None = Field(None, description=STATUS_HELP)
    q: str | None = Field(None, description="名称包含")


class OrgCreate(Schema):
    model_config = ConfigDict(use_enum_values=True)  # services take the plain code names

    parent_id: int = Field(description="上级党组织编号")
    name: str = Field(max_length=120)
    kind: OrgKind = Field(description=KIND_HELP)
    code: str = Field(max_length=40, description="组织编码,全局唯一")
    short_name: str = Field("", max_length=60)
    sector: Sector = Field(Sector.OTHER, description=SECTOR_HELP)
    founded_on: date | None = Field(None, description="成立日期,默认今天")
    document_number: str = Field("", max_length=100, description="批准成立的文号")
    note: str = ""


class OrgPatch(Schema):
    # Only the fields sent are changed; occurred_on and document_number describe the event.

    model_config = ConfigDict(use_enum_values=True)

    name: str | None = Field(None, max_length=120)
    short_name: str | None = Field(None, max_length=60)
    sector: Sector | None = Field(None, description=SECTOR_HELP)
    code: str | None = Field(None, max_length=40)
    founded_on: date | None = None
    occurred_on: date | None = Field(None, description="变更发生日期,默认今天")
    document_number: str = Field("", max_length=100, description="变更所依据的文号")


class OrgEventOut(Schema):
    id: int
    kind: OrgEventKind
    kind_label: str
    occurred_on: date
    recorded_at: datetime
    recorded_by: str | None = Field(description="登记人;由命令或导入登记时为 null")
    document_number: str
    details: dict[str, Any]
    note: str

    @staticmethod
    def resolve_kind_label(event: OrgEvent) -> str:
        return event.get_kind_display()

    @staticmethod
    def resolve_recorded_by(event: OrgEvent) -> str | None:
        return str(event.recorded_by) if event.recorded_by_id else None


# --- queries --------------------------------------------------------------------------------------------


def with_parent_id(queryset: QuerySet) -> QuerySet:
    """Annotate each org with its parent's id, found by the parent's path inside the same query.

    A list page thus costs one query however many rows it has (``get_parent()`` would cost one per row).
    """
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Org.steplen)
    parent = Org.objects.filter(path=parent_path).order_by().values("pk")[:1]
    return queryset.annotate(parent_id=Subquery(parent))


def org_for_output(user, org_id: int) -> Org:
    return get_visible_or_404(with_parent_id(Org.objects.all()), user, pk=org_id)


def filter_orgs(user, queryset: QuerySet, filters: OrgFilters) -> QuerySet:
    if filters.within is not None:
        queryset = queryset.within(get_visible_or_404(Org, user, pk=filters.within))
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.sector:
        queryset = queryset.filter(sector=filters.sector)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.q:
        queryset = queryset.filter(name__contains=filters.q.strip())
    return queryset


# --- routes ---------------------------------------------------------------------------------------------


@router.get("", response=Page[OrgOut], summary="党组织列表(本人权限范围内)")
def list_orgs(request, filters: Query[OrgFilters], page: Query[PageParams]):
    orgs = filter_orgs(request.user, Org.objects.visible_to(request.user), filters)
    return paginate(request, with_parent_id(orgs.order_by("path")), page)


@router.post("", response={201: OrgOut}, summary="设立下级党组织")
def create_org(request, payload: OrgCreate):
    parent = get_visible_or_404(Org, request.user, pk=payload.parent_id)
    fields = payload.dict(exclude={"parent_id"})
    org = services.create_org(Actor.from_request(request, via="api"), parent=parent, **fields)
    return Status(201, org_for_output(request.user, org.pk))


@router.get("/{org_id}", response=OrgOut, summary="党组织详情")
def get_org(request, org_id: int):
    return org_for_output(request.user, org_id)


@router.patch("/{org_id}", response=OrgOut, summary="修改党组织信息(更名或信息变更)")
def update_org(request, org_id: int, payload: OrgPatch):
    org = get_visible_or_404(Org, request.user, pk=org_id)
    changes = payload.dict(exclude_unset=True)
    occurred_on = changes.pop("occurred_on", None)
    document_number = changes.pop("document_number", "")
    services.update_org(
        Actor.from_request(request, via="api"),
        org,
        occurred_on=occurred_on,
        document_number=document_number,
        **changes,
    )
    return org_for_output(request.user, org.pk)


@router.get("/{org_id}/events", response=Page[OrgEventOut], summary="党组织事项(最新在前)")
def list_org_events(request, org_id: int, page: Query[PageParams]):
    org = get_visible_or_404(Org, request.user, pk=org_id)
    events = (
        OrgEvent.objects.visible_to(request.user)
        .filter(org=org)
        .select_related("recorded_by")
        .order_by("-occurred_on", "-recorded_at", "-pk")
    )
    return paginate(request, events, page)
