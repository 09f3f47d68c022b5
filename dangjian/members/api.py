"""Members and transfers through the API: scoped, masked unless the caller may and asks to unmask.

Both routers require a party role before anything else (system roles get 403 even for a malformed
body), and fetch every object through the caller's scope (404 outside it) before reading the body's
meaning, so a write aimed at another subtree learns nothing.
"""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from dangjian.core.access import CHANGE, get_visible_or_404, scopes_for
from dangjian.core.api import BearerToken, Page, PageParams, next_page_url, paginate
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.members import queries, services
from dangjian.members.models import (
    Category,
    Education,
    Member,
    MemberEvent,
    MemberEventKind,
    Occupation,
    Sex,
    Transfer,
    TransferDirection,
    TransferStatus,
)
from dangjian.members.models import (
    Status as MemberStatus,
)
from dangjian.orgs.api import choices_text
from dangjian.orgs.models import Org


class PartyBearer(BearerToken):
    """A valid token of someone holding a party role; system roles are refused before the body is read."""

    def authenticate(self, request, token: str):
        user = super().authenticate(request, token)
        if user is not None and not scopes_for(user):
            raise PermissionDenied("您没有党组织方面的角色,不能查看党员数据。")
        return user


router = Router(tags=["党员"], auth=PartyBearer())
transfers_router = Router(tags=["组织关系转接"], auth=PartyBearer())


# --- schemas --------------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    name: str
    sex: Sex
    ethnicity: str
    birth_date: date
    id_number: str = Field(description="公民身份号码;默认掩码显示,unmask=true 且有权限时为完整号码")
    phone: str
    address: str
    native_place: str
    education: str
    occupation: str
    work_unit: str
    post: str
    category: Category
    category_label: str
    status: MemberStatus
    status_label: str
    on_roll: bool = Field(description="在册;出党、转出本系统后为 false")
    org_id: int
    org_name: str
    applied_on: date | None
    joined_on: date | None
    converted_on: date | None
    party_standing: int | None = Field(description="党龄(年),自转正之日起算")
    tags: list[str]
    in_transit: bool = Field(description="有在途的组织关系介绍信")

    @staticmethod
    def resolve_id_number(member: Member) -> str:
        return getattr(member, "clear", {}).get("id_number", member.id_number_masked)

    @staticmethod
    def resolve_phone(member: Member) -> str:
        return getattr(member, "clear", {}).get("phone", member.phone_masked)

    @staticmethod
    def resolve_address(member: Member) -> str:
        return getattr(member, "clear", {}).get("address", member.address_masked)

    @staticmethod
    def resolve_category_label(member: Member) -> str:
        return member.get_category_display()

    @staticmethod
    def resolve_status_label(member: Member) -> str:
        return member.get_status_display()

    @staticmethod
    def resolve_org_name(member: Member) -> str:
        return member.org.name

    @staticmethod
    def resolve_party_standing(member: Member) -> int | None:
        return member.party_standing()

    @staticmethod
    def resolve_tags(member: Member) -> list[str]:
        return [tag.code for tag in member.tags.all()]

    @staticmethod
    def resolve_in_transit(member: Member) -> bool:
        return bool(getattr(member, "in_transit", False))


class MemberFiltersIn(Schema):
    within: int | None = Field(None, description="党组织编号:该组织及其全部下级;默认为本人可见的全部")
    q: str | None = Field(None, description="姓名包含,或拼音首字母(如 zsf)")
    id_number: str | None = Field(None, description="公民身份号码,精确查找")
    category: Category | None = Field(None, description=choices_text(Category))
    status: MemberStatus | None = Field(None, description=choices_text(MemberStatus))
    tag: str | None = Field(None, description="台账标签代码,如 veteran、hardship")
    age_band: int | None = Field(None, ge=0, le=7, description="年龄段 0-7:≤30、31-35 … ≥61(当年12月31日)")
    education: Education | None = Field(None, description=choices_text(Education))
    joined_from: date | None = None
    joined_to: date | None = None
    roll: str = Field("on", description="on 在册、off 已离册、all 全部")
    sort: str = Field(queries.DEFAULT_SORT, description="、".join(queries.SORTS))


class MemberCreate(Schema):
    model_config = ConfigDict(use_enum_values=True)

    org_id: int | None = Field(None, description="所在党组织编号(必填)")
    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=24, description="公民身份号码;15位自动升位")
    sex: Sex | None = None
    ethnicity: str = "汉族"
    birth_date: date | None = None
    native_place: str = ""
    education: Education | None = None
    occupation: Occupation | None = None
    work_unit: str = ""
    post: str = ""
    phone: str = ""
    address: str = ""
    category: Category | None = Field(None, description=choices_text(Category))
    status: MemberStatus = MemberStatus.NORMAL
    applied_on: date | None = None
    joined_on: date | None = None
    converted_on: date | None = None
    tags: list[str] = Field(default_factory=list, description="台账标签代码")


class MemberPatch(Schema):
    """Only the fields sent are changed. Category, status and org change by events and transfers."""

    model_config = ConfigDict(use_enum_values=True)

    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=24)
    sex: Sex | None = None
    ethnicity: str | None = None
    birth_date: date | None = None
    native_place: str | None = None
    education: Education | None = None
    occupation: Occupation | None = None
    work_unit: str | None = None
    post: str | None = None
    phone: str | None = None
    address: str | None = None
    applied_on: date | None = None
    tags: list[str] | None = None


class EventOut(Schema):
    id: int
    kind: MemberEventKind
    kind_label: str
    occurred_on: date
    recorded_at: datetime
    org_id: int = Field(description="登记时党员所在的党组织")
    document_number: str
    details: dict[str, Any]
    note: str

    @staticmethod
    def resolve_kind_label(event: MemberEvent) -> str:
        return event.get_kind_display()


class EventIn(Schema):
    kind: str | None = Field(None, description=f"事项(必填):{'、'.join(services.RECORDABLE_KINDS)}")
    occurred_on: date | None = Field(None, description="发生日期,默认今天")
    document_number: str = ""
    note: str = ""
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="months(延长预备期)、reason(出党方式)、destination 等(外出流动)、title/level(表彰)、discipline(处分)",
    )


class TransferOut(Schema):
    id: int
    member_id: int
    member_name: str
    direction: TransferDirection
    from_org_id: int | None
    to_org_id: int | None
    from_name: str
    to_name: str
    letter_number: str
    issued_on: date
    expires_on: date | None
    reason: str
    dues_paid_until: str | None = Field(description="党费交至月份,YYYY-MM")
    status: TransferStatus
    status_label: str
    accepted_on: date | None
    returned_on: date | None
    return_reason: str
    receipt_number: str

    @staticmethod
    def resolve_member_name(transfer: Transfer) -> str:
        return transfer.member.name

    @staticmethod
    def resolve_from_name(transfer: Transfer) -> str:
        return transfer.from_label

    @staticmethod
    def resolve_to_name(transfer: Transfer) -> str:
        return transfer.to_label

    @staticmethod
    def resolve_dues_paid_until(transfer: Transfer) -> str | None:
        return transfer.dues_paid_until.isoformat()[:7] if transfer.dues_paid_until else None

    @staticmethod
    def resolve_status_label(transfer: Transfer) -> str:
        return transfer.get_status_display()


class TransferIn(Schema):
    member_id: int | None = Field(None, description="党员编号(必填)")
    to_org_id: int | None = Field(None, description="系统内转入党组织编号;与 outside_org_name 二选一")
    outside_org_name: str = ""
    letter_number: str = ""
    issued_on: date | None = None
    reason: str = ""
    dues_paid_until: date | None = Field(None, description="党费交至的月份(该月任一天)")


class TransferAcceptIn(Schema):
    accepted_on: date | None = None


class TransferReturnIn(Schema):
    reason: str = Field("", description="退回原因(必填)")
    returned_on: date | None = None


class TransferFiltersIn(Schema):
    box: str = Field("incoming", description="incoming 转入本组织、outgoing 本组织转出")
    within: int | None = Field(None, description="党组织编号;默认为本人可见的全部")
    status: TransferStatus | None = None


# --- helpers --------------------------------------------------------------------------------------------


def api_actor(request) -> Actor:
    return Actor.from_request(request, via="api")


def listed(queryset: QuerySet) -> QuerySet:
    return queries.for_listing(queryset).prefetch_related("tags")


def member_for_output(request, member_id: int, unmask: bool = False) -> Member:
    member = get_visible_or_404(listed(Member.objects.all()), request.user, pk=member_id)
    if unmask:
        # Refused (403) without the permission; audited when granted.
        member.clear = services.reveal_member(api_actor(request), member, purpose="API")
    return member


def required(value, field_name: str, label: str):
    if value in (None, ""):
        raise ServiceError(f"{label}不能为空。", field=field_name)
    return value


# --- members --------------------------------------------------------------------------------------------


@router.get("", response=Page[MemberOut], summary="党员列表(本人权限范围内,掩码显示)")
def list_members(request, filters: Query[MemberFiltersIn], page: Query[PageParams]):
    within = None if filters.within is None else get_visible_or_404(Org, request.user, pk=filters.within)
    data = filters.dict(exclude={"within"})
    chosen = queries.MemberFilters(**{k: v for k, v in data.items() if v is not None})
    listing = queries.listing(request.user, within, chosen, timezone.localdate())
    # core.api.paginate, with the listing's cheaper exact count in place of rows.count().
    count = listing.count()
    rows = listed(listing.rows).defer(*queries.UNLISTED_FIELDS)
    items = list(rows[page.offset : page.offset + page.limit]) if page.offset < count else []
    return {"count": count, "items": items, "next": next_page_url(request, page, count)}


@router.post("", response={201: MemberOut}, summary="新建党员档案")
def create_member(request, payload: MemberCreate):
    fields = payload.dict()
    org_id = required(fields.pop("org_id"), "org_id", "所在党组织")
    org = get_visible_or_404(Org, request.user, pk=org_id)
    member = services.create_member(api_actor(request), org=org, **fields)
    return Status(201, member_for_output(request, member.pk))


@router.get("/{member_id}", response=MemberOut, summary="党员详情;unmask=true 显示完整信息(需权限,记入审计)")
def get_member(request, member_id: int, unmask: bool = False):
    return member_for_output(request, member_id, unmask)


@router.patch("/{member_id}", response=MemberOut, summary="修改党员信息(信息变更)")
def update_member(request, member_id: int, payload: MemberPatch):
    member = get_visible_or_404(Member, request.user, CHANGE, pk=member_id)
    services.update_member(api_actor(request), member, **payload.dict(exclude_unset=True))
    return member_for_output(request, member.pk)


@router.get("/{member_id}/events", response=Page[EventOut], summary="党员事项(全程纪实,最新在前)")
def list_member_events(request, member_id: int, page: Query[PageParams]):
    member = get_visible_or_404(Member, request.user, pk=member_id)
    return paginate(request, member.events.order_by("-occurred_on", "-recorded_at", "-pk"), page)


@router.post("/{member_id}/events", response={201: EventOut}, summary="登记党员事项")
def record_member_event(request, member_id: int, payload: EventIn):
    member = get_visible_or_404(Member, request.user, CHANGE, pk=member_id)
    event = services.record_event(
        api_actor(request),
        member,
        required(payload.kind, "kind", "事项"),
        occurred_on=payload.occurred_on,
        document_number=payload.document_number,
        note=payload.note,
        details=payload.details,
    )
    return Status(201, event)


# --- transfers ------------------------------------------------------------------------------------------


def transfer_for_output(request, transfer_id: int) -> Transfer:
    return get_visible_or_404(
        Transfer.objects.select_related("member", "from_org", "to_org"), request.user, pk=transfer_id
    )


@transfers_router.get("", response=Page[TransferOut], summary="组织关系转接列表")
def list_transfers(request, filters: Query[TransferFiltersIn], page: Query[PageParams]):
    transfers = Transfer.objects.visible_to(request.user).select_related("member", "from_org", "to_org")
    side = "from_org__path" if filters.box == "outgoing" else "to_org__path"
    if filters.within is not None:
        within = get_visible_or_404(Org, request.user, pk=filters.within)
        transfers = transfers.filter(**{f"{side}__startswith": within.path})
    else:
        transfers = transfers.filter(**{f"{side}__isnull": False})
    if filters.status:
        transfers = transfers.filter(status=filters.status)
    return paginate(request, transfers.order_by("-issued_on", "-pk"), page)


@transfers_router.post("", response={201: TransferOut}, summary="开具介绍信(转出组织关系)")
def issue_transfer(request, payload: TransferIn):
    member = get_visible_or_404(
        Member, request.user, CHANGE, pk=required(payload.member_id, "member_id", "党员")
    )
    to_org = None
    if payload.to_org_id is not None:
        # Any active org may receive a member; an unknown id is a 404 like any other.
        to_org = Org.objects.active().filter(pk=payload.to_org_id).first()
        if to_org is None:
            raise ServiceError("转入党组织不存在或已撤销。", field="to_org_id")
    transfer = services.issue_transfer(
        api_actor(request),
        member,
        to_org=to_org,
        outside_org_name=payload.outside_org_name,
        letter_number=payload.letter_number,
        issued_on=payload.issued_on,
        reason=payload.reason,
        dues_paid_until=payload.dues_paid_until,
    )
    return Status(201, transfer_for_output(request, transfer.pk))


@transfers_router.get("/{transfer_id}", response=TransferOut, summary="介绍信详情")
def get_transfer(request, transfer_id: int):
    return transfer_for_output(request, transfer_id)


@transfers_router.post("/{transfer_id}/accept", response=TransferOut, summary="接收(转入党组织)")
def accept_transfer(request, transfer_id: int, payload: TransferAcceptIn | None = None):
    transfer = transfer_for_output(request, transfer_id)
    services.accept_transfer(
        api_actor(request), transfer, accepted_on=payload.accepted_on if payload else None
    )
    return transfer_for_output(request, transfer_id)


@transfers_router.post("/{transfer_id}/return", response=TransferOut, summary="退回(转入党组织)")
def return_transfer(request, transfer_id: int, payload: TransferReturnIn | None = None):
    transfer = transfer_for_output(request, transfer_id)
    payload = payload or TransferReturnIn()
    services.return_transfer(
        api_actor(request), transfer, reason=payload.reason, returned_on=payload.returned_on
    )
    return transfer_for_output(request, transfer_id)
