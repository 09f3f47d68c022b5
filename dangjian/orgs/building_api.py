"""The organization module through the API (mounted at /api/v1/orgs beside the org tree's routes):
events and their counts, findings, units, committees, groups, pairings, places, weak-and-lax flags.

Every route needs a party role: ``PartyToken`` answers 403 to the system roles before anything else
is read. Lists take ``within`` (an org id: that org and its subtree; default: every org in scope).
Writes that name their parent record take its id in the body (``POST /orgs/units`` with
``responsible_org_id``), so a route with an id in its path only ever acts on that record.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from dangjian.core.access import get_visible_or_404, path_in_scope, scopes_for, subtree_q
from dangjian.core.api import BearerToken, Page, PageParams, paginate
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.rules import Level
from dangjian.orgs import figures, rules, services
from dangjian.orgs.figures import COVERED, EVENT_INDICATORS, INDICATORS_BY_KEY
from dangjian.orgs.models import (
    Committee,
    CommitteeMember,
    Group,
    Org,
    OrgEvent,
    OrgEventKind,
    Pairing,
    PairingActivity,
    PairingOrg,
    Place,
    PlaceKind,
    Post,
    SeatOrigin,
    Sector,
    Unit,
    WeakFlag,
)


class PartyToken(BearerToken):
    """A bearer token whose user holds a party role: the system roles see no party data (403)."""

    def authenticate(self, request, token: str):
        user = super().authenticate(request, token)
        if user is not None and not scopes_for(user):
            raise PermissionDenied("您没有党组织方面的角色,不能查看党组织数据。")
        return user


router = Router(tags=["组织建设"], auth=PartyToken())


def actor(request) -> Actor:
    return Actor.from_request(request, via="api")


def within_org(request, within: int | None) -> Org | None:
    return get_visible_or_404(Org, request.user, pk=within) if within is not None else None


def visible(request, model_or_qs, pk: int, action: str = "view"):
    return get_visible_or_404(model_or_qs, request.user, action, pk=pk)


def choices_text(choices) -> str:
    return "、".join(f"{value}={label}" for value, label in choices.choices)


class WithinFilter(Schema):
    within: int | None = Field(None, description="党组织编号:只列该组织及其全部下级")


class PeriodFilter(WithinFilter):
    date_from: date | None = Field(None, alias="from", description="起始日期(含)")
    date_to: date | None = Field(None, alias="to", description="截止日期(含)")

    def period(self) -> figures.Period:
        return figures.Period(self.date_from, self.date_to)


# --- events, their counts, findings ---------------------------------------------------------------------


class EventFilters(PeriodFilter):
    model_config = ConfigDict(use_enum_values=True)

    kind: OrgEventKind | None = Field(None, description=f"事项:{choices_text(OrgEventKind)}")
    indicator: str | None = Field(
        None, description="统计口径:" + "、".join(f"{i.key}={i.label}" for i in EVENT_INDICATORS)
    )


class EventOut(Schema):
    id: int
    org_id: int
    org_name: str
    kind: OrgEventKind
    kind_label: str
    occurred_on: date
    document_number: str
    details: dict[str, Any]
    note: str
    corrects_id: int | None

    @staticmethod
    def resolve_org_name(event) -> str:
        return event.org.name

    @staticmethod
    def resolve_kind_label(event) -> str:
        return event.get_kind_display()


def events_for(request, filters: EventFilters) -> QuerySet:
    within = within_org(request, filters.within)
    events = OrgEvent.objects.visible_to(request.user).filter(filters.period().q("occurred_on"))
    if within is not None:
        events = events.filter(subtree_q("org__path", within.path))
    if filters.kind:
        events = events.filter(kind=filters.kind)
    if filters.indicator:
        if filters.indicator not in INDICATORS_BY_KEY:
            raise ServiceError(f"统计口径“{filters.indicator}”无效。", field="indicator")
        events = events.filter(INDICATORS_BY_KEY[filters.indicator].q)
    return events.select_related("org").order_by("-occurred_on", "-recorded_at", "-pk")


@router.get("/events", response=Page[EventOut], summary="组织事项(可按范围、事项、统计口径、期间筛选)")
def list_events(request, filters: Query[EventFilters], page: Query[PageParams]):
    return paginate(request, events_for(request, filters), page)


class IndicatorCount(Schema):
    key: str
    label: str
    count: int


@router.get("/event-counts", response=list[IndicatorCount], summary="组织事项统计(换届、新成立、更名……)")
def count_events(request, filters: Query[PeriodFilter]):
    within = within_org(request, filters.within)
    events = OrgEvent.objects.visible_to(request.user).filter(filters.period().q("occurred_on"))
    if within is not None:
        events = events.filter(subtree_q("org__path", within.path))
    return [{"key": i.key, "label": i.label, "count": n} for i, n in figures.event_counts(events)]


class CorrectionIn(Schema):
    reason: str = Field("", description="更正原因(必填)")
    occurred_on: date | None = None
    document_number: str | None = None
    note: str | None = None


@router.post("/events/{event_id}/corrections", response={201: EventOut}, summary="更正事项(登记一条更正事项)")
def correct_event(request, event_id: int, payload: CorrectionIn):
    event = visible(request, OrgEvent, event_id)
    correction = services.correct_event(actor(request), event, **payload.dict())
    return Status(201, OrgEvent.objects.select_related("org").get(pk=correction.pk))


class MergeIn(Schema):
    org_id: int = Field(description="被合并(撤销)的党组织")
    into_id: int = Field(description="并入的党组织")
    occurred_on: date | None = None
    document_number: str = ""
    note: str = ""


@router.post("/merges", response={201: EventOut}, summary="合并党组织(下级、单位、阵地和党员转入并入的组织)")
def merge(request, payload: MergeIn):
    org = visible(request, Org, payload.org_id)
    into = visible(request, Org, payload.into_id)
    services.merge_org(
        actor(request),
        org,
        into,
        occurred_on=payload.occurred_on,
        document_number=payload.document_number,
        note=payload.note,
    )
    return Status(
        201, OrgEvent.objects.select_related("org").filter(org=org, kind=OrgEventKind.MERGED).latest("pk")
    )


class FindingOut(Schema):
    org_id: int
    org_name: str
    level: str
    rule_id: str
    message: str
    source: str


class FindingFilters(WithinFilter):
    level: Level | None = Field(None, description="block=禁止、warn=警示、remind=提醒")
    rule: str | None = Field(None, description="规则编号,如 org.term_overdue")


@router.get("/findings", response=list[FindingOut], summary="组织建设提醒(规则检查结果)")
def list_findings(request, filters: Query[FindingFilters]):
    within = within_org(request, filters.within)
    orgs = Org.objects.visible_to(request.user).active()
    if within is not None:
        orgs = orgs.filter(subtree_q("path", within.path))
    found = rules.findings_for(orgs, timezone.localdate())
    return [
        {"org_id": f.org.pk, "org_name": f.org.name, **f.finding.__dict__}
        for f in found
        if (not filters.level or f.finding.level == filters.level)
        and (not filters.rule or f.finding.rule_id == filters.rule)
    ]


# --- units ----------------------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    name: str
    credit_code: str
    sector: Sector
    is_new_sector: bool
    headcount: int | None
    responsible_org_id: int
    org_id: int | None = Field(description="所建党组织;未建立为 null")
    charter_includes_party_building: bool
    cross_appointment: bool
    secretary_is_head: bool
    closed_on: date | None
    note: str


class UnitFilters(WithinFilter):
    model_config = ConfigDict(use_enum_values=True)

    sector: Sector | None = Field(None, description=f"领域:{choices_text(Sector)}")
    new_sector: bool | None = Field(None, description="是否两新组织")
    covered: bool | None = Field(None, description="是否已建立党组织")
    q: str | None = Field(None, description="名称包含,或信用代码")


@router.get("/units", response=Page[UnitOut], summary="单位列表")
def list_units(request, filters: Query[UnitFilters], page: Query[PageParams]):
    within = within_org(request, filters.within)
    units = Unit.objects.visible_to(request.user)
    if within is not None:
        units = units.within(within)
    if filters.sector:
        units = units.filter(sector=filters.sector)
    if filters.new_sector is not None:
        units = units.filter(is_new_sector=filters.new_sector)
    if filters.covered is True:
        units = units.filter(COVERED)
    elif filters.covered is False:
        units = units.exclude(COVERED)
    if filters.q:
        units = units.filter(Q(name__contains=filters.q) | Q(credit_code=filters.q.upper()))
    return paginate(request, units.order_by("name", "pk"), page)


@router.get("/units/{unit_id}", response=UnitOut, summary="单位详情")
def get_unit(request, unit_id: int):
    return visible(request, Unit, unit_id)


class UnitFields(Schema):
    model_config = ConfigDict(use_enum_values=True)

    name: str | None = Field(None, max_length=120)
    credit_code: str | None = Field(None, max_length=18)
    sector: Sector | None = None
    is_new_sector: bool | None = None
    headcount: int | None = Field(None, ge=0)
    org_id: int | None = Field(None, description="所建党组织编号")
    charter_includes_party_building: bool | None = None
    cross_appointment: bool | None = None
    secretary_is_head: bool | None = None
    closed_on: date | None = None
    note: str | None = None


class UnitIn(UnitFields):
    responsible_org_id: int = Field(description="主管党组织编号")
    name: str = Field(max_length=120)


def covering_org(request, org_id: int | None) -> Org | None:
    return visible(request, Org, org_id) if org_id is not None else None


@router.post("/units", response={201: UnitOut}, summary="登记单位")
def create_unit(request, payload: UnitIn):
    responsible = visible(request, Org, payload.responsible_org_id)
    fields = payload.dict(exclude={"responsible_org_id", "org_id"}, exclude_none=True)
    unit = services.create_unit(
        actor(request), responsible_org=responsible, org=covering_org(request, payload.org_id), **fields
    )
    return Status(201, unit)


@router.patch(
    "/units/{unit_id}", response=UnitOut, summary="修改单位(只改发送的字段;org_id 为 null 表示未建立党组织)"
)
def update_unit(request, unit_id: int, payload: UnitFields):
    unit = visible(request, Unit, unit_id)
    changes = payload.dict(exclude_unset=True)
    if "org_id" in changes:
        changes["org"] = covering_org(request, changes.pop("org_id"))
    return services.update_unit(actor(request), unit, **changes)


# --- committees -----------------------------------------------------------------------------------------


class SeatIn(Schema):
    model_config = ConfigDict(use_enum_values=True)

    post: Post = Field(description=f"职务:{choices_text(Post)}")
    name: str = Field("", max_length=50, description="姓名;选择了党员档案时以档案为准,可空")
    member_id: int | None = Field(
        None, description="党员档案编号:须为本组织(党委、党总支为其下级组织)在册的正式党员;平台外人员为 null"
    )


class SeatOut(Schema):
    id: int
    post: Post
    post_label: str
    name: str
    member_id: int | None
    origin: SeatOrigin
    started_on: date
    ended_on: date | None
    end_reason: str

    @staticmethod
    def resolve_post_label(seat) -> str:
        return seat.get_post_display()


class CommitteeOut(Schema):
    id: int
    org_id: int
    number: int | None
    origin: str
    started_on: date
    ends_on: date | None = Field(description="任期届满日期")
    ended_on: date | None = Field(description="实际结束日期;现任为 null")
    seats: int | None
    document_number: str
    members: list[SeatOut]

    @staticmethod
    def resolve_members(committee) -> list:
        return list(committee.members.all())


class CommitteeFilters(WithinFilter):
    current: bool | None = Field(None, description="true:只列现任班子")
    overdue: bool | None = Field(None, description="true:只列任期已届满的现任班子")


@router.get("/committees", response=Page[CommitteeOut], summary="班子与任期")
def list_committees(request, filters: Query[CommitteeFilters], page: Query[PageParams]):
    within = within_org(request, filters.within)
    committees = Committee.objects.visible_to(request.user)
    if within is not None:
        committees = committees.filter(subtree_q("org__path", within.path))
    if filters.current or filters.overdue:
        committees = committees.current()
    if filters.overdue:
        committees = committees.filter(ends_on__lt=timezone.localdate())
    return paginate(
        request, committees.prefetch_related("members").order_by("org__path", "-started_on", "-pk"), page
    )


@router.get("/committees/{committee_id}", response=CommitteeOut, summary="班子详情")
def get_committee(request, committee_id: int):
    return visible(request, Committee, committee_id)


class CommitteeIn(Schema):
    org_id: int
    elected_on: date = Field(description="选举日期(临时党支部为指定日期)")
    members: list[SeatIn]
    appointed: bool = Field(False, description="true:临时党支部由上级指定负责人(不选举)")
    number: int | None = Field(None, ge=1, description="届次")
    seats: int | None = Field(None, ge=1, description="职数")
    ends_on: date | None = Field(None, description="任期届满日期;默认按规定任期")
    document_number: str = ""
    note: str = ""


@router.post("/committees", response={201: CommitteeOut}, summary="登记换届选举(或指定临时党支部负责人)")
def create_committee(request, payload: CommitteeIn):
    org = visible(request, Org, payload.org_id)
    members = [m.dict() for m in payload.members]
    if payload.appointed:
        committee = services.appoint_committee(
            actor(request),
            org,
            appointed_on=payload.elected_on,
            members=members,
            document_number=payload.document_number,
            note=payload.note,
        )
    else:
        committee = services.elect_committee(
            actor(request),
            org,
            elected_on=payload.elected_on,
            members=members,
            number=payload.number,
            seats=payload.seats,
            ends_on=payload.ends_on,
            document_number=payload.document_number,
            note=payload.note,
        )
    return Status(201, committee)


class CommitteeMemberIn(SeatIn):
    committee_id: int
    started_on: date
    origin: SeatOrigin = Field(
        SeatOrigin.BY_ELECTION, description="by_election=补选;appointed=上级指定(临时党支部)"
    )
    document_number: str = ""
    note: str = ""


@router.post("/committee-members", response={201: SeatOut}, summary="补选(或指定)班子成员")
def add_committee_member(request, payload: CommitteeMemberIn):
    committee = visible(request, Committee, payload.committee_id)
    fields = payload.dict(exclude={"committee_id"})
    return Status(201, services.add_committee_member(actor(request), committee, **fields))


class DepartureIn(Schema):
    ended_on: date | None = Field(None, description="离任日期(必填)")
    reason: str = Field("", description="离任原因(必填)")
    document_number: str = ""


class TermIn(Schema):
    # Optional here and checked by the service: a hidden committee id must answer 404, not 400.
    ends_on: date | None = Field(None, description="新的任期届满日期(必填;与规定任期相差一般不超过1年)")
    document_number: str = Field("", description="上级批准延期或提前换届的文号(必填)")
    occurred_on: date | None = Field(None, description="批准日期;默认今天")
    note: str = ""


@router.post(
    "/committees/{committee_id}/term",
    response=CommitteeOut,
    summary="调整本届任期(延期或提前换届,上级党组织办理)",
)
def adjust_term(request, committee_id: int, payload: TermIn):
    committee = visible(request, Committee, committee_id)
    return services.adjust_term(actor(request), committee, **payload.dict())


@router.post("/committee-members/{member_id}/end", response=SeatOut, summary="班子成员离任")
def end_committee_member(request, member_id: int, payload: DepartureIn):
    holder = visible(request, CommitteeMember, member_id)
    return services.end_committee_member(actor(request), holder, **payload.dict())


# --- groups ---------------------------------------------------------------------------------------------


class GroupMemberOut(Schema):
    id: int
    name: str
    member_id: int | None
    joined_on: date | None
    left_on: date | None


class GroupOut(Schema):
    id: int
    org_id: int
    name: str
    leader_name: str
    leader_id: int | None
    founded_on: date | None
    dissolved_on: date | None
    dissolve_reason: str
    members: list[GroupMemberOut]

    @staticmethod
    def resolve_members(group) -> list:
        return list(group.members.all())


@router.get("/groups", response=Page[GroupOut], summary="党小组")
def list_groups(request, filters: Query[WithinFilter], page: Query[PageParams]):
    within = within_org(request, filters.within)
    groups = Group.objects.visible_to(request.user)
    if within is not None:
        groups = groups.filter(subtree_q("org__path", within.path))
    return paginate(request, groups.prefetch_related("members").order_by("org__path", "name", "pk"), page)


@router.get("/groups/{group_id}", response=GroupOut, summary="党小组详情")
def get_group(request, group_id: int):
    return visible(request, Group, group_id)


class GroupIn(Schema):
    org_id: int
    name: str = Field(max_length=60)
    leader_name: str = ""
    leader_id: int | None = Field(None, description="组长的党员档案编号(须在本支部在册)")
    founded_on: date | None = None
    note: str = ""


@router.post("/groups", response={201: GroupOut}, summary="设立党小组")
def create_group(request, payload: GroupIn):
    org = visible(request, Org, payload.org_id)
    return Status(201, services.create_group(actor(request), org, **payload.dict(exclude={"org_id"})))


class GroupMemberIn(Schema):
    group_id: int
    name: str = Field("", max_length=50, description="姓名;选择了党员档案时以档案为准,可空")
    member_id: int | None = Field(None, description="党员档案编号(须在本支部在册);平台外人员为 null")
    joined_on: date | None = None


@router.post("/group-members", response={201: GroupMemberOut}, summary="编入党小组")
def add_group_member(request, payload: GroupMemberIn):
    group = visible(request, Group, payload.group_id)
    return Status(201, services.add_group_member(actor(request), group, **payload.dict(exclude={"group_id"})))


class EndIn(Schema):
    on: date | None = Field(None, description="日期;默认今天")
    reason: str = Field("", max_length=200)


@router.post(
    "/groups/{group_id}/dissolve", response=GroupOut, summary="撤销党小组(保留记录,在组成员一并调出)"
)
def dissolve_group(request, group_id: int, payload: EndIn):
    group = visible(request, Group, group_id)
    return services.dissolve_group(actor(request), group, dissolved_on=payload.on, reason=payload.reason)


# --- pairings -------------------------------------------------------------------------------------------


class PairingActivityOut(Schema):
    id: int
    held_on: date
    title: str
    note: str
    activity_ref: str


class PairingOut(Schema):
    id: int
    scheme: str
    started_on: date
    ended_on: date | None
    note: str
    orgs: list[dict[str, Any]] = Field(description="您权限范围内的结对党组织(编号、名称)")
    other_org_count: int = Field(description="不在您权限范围内的结对党组织个数(不列名称)")
    activity_count: int


def pairing_out(user, pairings) -> list[dict]:
    """Pairings with the sides the user may see named, the others only counted."""
    pairings = list(pairings)
    parties: dict[int, list[Org]] = {}
    parties_now = PairingOrg.objects.taking_part().filter(pairing__in=pairings)
    for party in parties_now.select_related("org").order_by("org__path"):
        parties.setdefault(party.pairing_id, []).append(party.org)
    counts = dict(
        PairingActivity.objects.filter(pairing__in=pairings)
        .values_list("pairing")
        .annotate(n=Count("pk"))
        .order_by()
    )
    result = []
    for p in pairings:
        orgs = parties.get(p.pk, [])
        seen = [o for o in orgs if path_in_scope(user, o.path)]
        result.append(
            {
                "id": p.pk,
                "scheme": p.scheme,
                "started_on": p.started_on,
                "ended_on": p.ended_on,
                "note": p.note,
                "orgs": [{"id": o.pk, "name": o.name} for o in seen],
                "other_org_count": len(orgs) - len(seen),
                "activity_count": counts.get(p.pk, 0),
            }
        )
    return result


@router.get("/pairings", response=Page[PairingOut], summary="结对共建")
def list_pairings(request, filters: Query[WithinFilter], page: Query[PageParams]):
    within = within_org(request, filters.within)
    pairings = Pairing.objects.visible_to(request.user)
    if within is not None:
        pairings = pairings.involving(within)
    listed = paginate(request, pairings.order_by("-started_on", "-pk"), page)
    listed["items"] = pairing_out(request.user, listed["items"])
    return listed


@router.get("/pairings/{pairing_id}", response=PairingOut, summary="结对共建详情")
def get_pairing(request, pairing_id: int):
    return pairing_out(request.user, [visible(request, Pairing, pairing_id)])[0]


@router.get("/pairings/{pairing_id}/activities", response=Page[PairingActivityOut], summary="共建活动")
def list_pairing_activities(request, pairing_id: int, page: Query[PageParams]):
    pairing = visible(request, Pairing, pairing_id)
    return paginate(request, pairing.activities.order_by("-held_on", "-pk"), page)


class PairingIn(Schema):
    scheme: str = Field(max_length=120)
    org_ids: list[int] = Field(description="结对的党组织编号(两个或以上,均须在您的管理范围内)")
    started_on: date
    ended_on: date | None = None
    note: str = ""


@router.post("/pairings", response={201: PairingOut}, summary="建立结对共建")
def create_pairing(request, payload: PairingIn):
    orgs = [visible(request, Org, pk) for pk in payload.org_ids]
    pairing = services.create_pairing(actor(request), orgs=orgs, **payload.dict(exclude={"org_ids"}))
    return Status(201, pairing_out(request.user, [pairing])[0])


class PairingOrgIn(Schema):
    pairing_id: int
    org_id: int = Field(description="加入的党组织(须在您的管理范围内)")
    joined_on: date | None = Field(None, description="加入日期;默认今天")
    note: str = ""


class PairingOrgOut(Schema):
    id: int
    pairing_id: int
    org_id: int
    joined_on: date | None
    left_on: date | None
    left_reason: str


@router.post("/pairing-orgs", response={201: PairingOrgOut}, summary="增加结对党组织")
def add_pairing_org(request, payload: PairingOrgIn):
    pairing = visible(request, Pairing, payload.pairing_id)
    org = visible(request, Org, payload.org_id)
    party = services.add_pairing_org(
        actor(request), pairing, org, joined_on=payload.joined_on, note=payload.note
    )
    return Status(201, party)


@router.post("/pairing-orgs/{party_id}/leave", response=PairingOrgOut, summary="党组织退出结对共建(保留记录)")
def remove_pairing_org(request, party_id: int, payload: EndIn):
    party = visible(request, PairingOrg, party_id)
    return services.remove_pairing_org(actor(request), party, left_on=payload.on, reason=payload.reason)


class PairingActivityIn(Schema):
    pairing_id: int
    held_on: date
    title: str = Field(max_length=120)
    note: str = ""
    activity_ref: str = Field("", description="活动模块中的活动编号(可空)")


@router.post("/pairing-activities", response={201: PairingActivityOut}, summary="登记共建活动")
def add_pairing_activity(request, payload: PairingActivityIn):
    pairing = visible(request, Pairing, payload.pairing_id)
    activity = services.add_pairing_activity(actor(request), pairing, **payload.dict(exclude={"pairing_id"}))
    return Status(201, activity)


# --- places and weak-and-lax flags ----------------------------------------------------------------------


class PlaceOut(Schema):
    id: int
    org_id: int
    kind: PlaceKind
    kind_label: str
    name: str
    address: str
    area: Decimal | None = Field(description="面积(平方米)")
    opened_on: date | None
    closed_on: date | None
    close_reason: str
    note: str

    @staticmethod
    def resolve_kind_label(place) -> str:
        return place.get_kind_display()


class PlaceFilters(WithinFilter):
    model_config = ConfigDict(use_enum_values=True)

    kind: PlaceKind | None = Field(None, description=f"类型:{choices_text(PlaceKind)}")


@router.get("/places", response=Page[PlaceOut], summary="阵地")
def list_places(request, filters: Query[PlaceFilters], page: Query[PageParams]):
    within = within_org(request, filters.within)
    places = Place.objects.visible_to(request.user)
    if within is not None:
        places = places.filter(subtree_q("org__path", within.path))
    if filters.kind:
        places = places.filter(kind=filters.kind)
    return paginate(request, places.order_by("org__path", "kind", "name", "pk"), page)


class PlaceFields(Schema):
    model_config = ConfigDict(use_enum_values=True)

    # Plain text, checked by the service: a wrong kind in a PATCH of someone else's place must answer 404.
    kind: str | None = Field(None, description=f"类型:{choices_text(PlaceKind)}")
    name: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=200)
    area: Decimal | None = Field(None, ge=0)
    opened_on: date | None = None
    closed_on: date | None = None
    close_reason: str | None = Field(None, max_length=200)
    note: str | None = None


class PlaceIn(PlaceFields):
    org_id: int
    kind: PlaceKind
    name: str = Field(max_length=120)


@router.post("/places", response={201: PlaceOut}, summary="登记阵地")
def create_place(request, payload: PlaceIn):
    org = visible(request, Org, payload.org_id)
    fields = payload.dict(exclude={"org_id", "closed_on", "close_reason"}, exclude_none=True)
    return Status(201, services.create_place(actor(request), org, **fields))


@router.patch("/places/{place_id}", response=PlaceOut, summary="修改阵地(只改发送的字段)")
def update_place(request, place_id: int, payload: PlaceFields):
    place = visible(request, Place, place_id)
    return services.update_place(actor(request), place, **payload.dict(exclude_unset=True))


@router.post("/places/{place_id}/close", response=PlaceOut, summary="停用阵地(保留记录)")
def close_place(request, place_id: int, payload: EndIn):
    place = visible(request, Place, place_id)
    return services.close_place(actor(request), place, closed_on=payload.on, reason=payload.reason)


class WeakFlagOut(Schema):
    id: int
    org_id: int
    reason: str
    flagged_on: date
    closed_on: date | None
    closing_note: str
    document_number: str
    steps: list[dict[str, Any]]

    @staticmethod
    def resolve_steps(flag) -> list:
        return [{"taken_on": s.taken_on, "description": s.description} for s in flag.steps.all()]


@router.get("/weak-flags", response=Page[WeakFlagOut], summary="软弱涣散党组织")
def list_weak_flags(request, filters: Query[WithinFilter], page: Query[PageParams]):
    within = within_org(request, filters.within)
    flags = WeakFlag.objects.visible_to(request.user)
    if within is not None:
        flags = flags.filter(subtree_q("org__path", within.path))
    return paginate(request, flags.prefetch_related("steps").order_by("-flagged_on", "-pk"), page)


class WeakFlagIn(Schema):
    org_id: int
    reason: str
    flagged_on: date
    document_number: str = ""


@router.post("/weak-flags", response={201: WeakFlagOut}, summary="认定软弱涣散党组织(上级党组织办理)")
def flag_weak(request, payload: WeakFlagIn):
    org = visible(request, Org, payload.org_id)
    return Status(201, services.flag_weak(actor(request), org, **payload.dict(exclude={"org_id"})))


class WeakStepIn(Schema):
    flag_id: int
    taken_on: date
    description: str


class WeakStepOut(Schema):
    id: int
    flag_id: int
    taken_on: date
    description: str


@router.post("/weak-flag-steps", response={201: WeakStepOut}, summary="登记整顿措施")
def add_weak_step(request, payload: WeakStepIn):
    flag = visible(request, WeakFlag, payload.flag_id)
    step = services.add_weak_step(
        actor(request), flag, taken_on=payload.taken_on, description=payload.description
    )
    return Status(201, step)


class WeakCloseIn(Schema):
    closed_on: date | None = Field(None, description="销号日期(必填)")
    closing_note: str = ""


@router.post("/weak-flags/{flag_id}/close", response=WeakFlagOut, summary="整顿销号(上级党组织办理)")
def close_weak_flag(request, flag_id: int, payload: WeakCloseIn):
    flag = visible(request, WeakFlag, flag_id)
    return services.close_weak_flag(actor(request), flag, **payload.dict())
