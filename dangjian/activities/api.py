"""The activities API routes, mounted at /api/v1/activities/ in dangjian/api.py.

Every object is fetched through the caller's scope (404 outside it) before the body is read; every write
goes through activities/services.py, so the rules (no back-filling, leave reasons) hold here too.
"""

from datetime import date, time
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from dangjian.activities import queries, rules, services
from dangjian.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    AppliesTo,
    AttendanceStatus,
    ComplianceRule,
    Frequency,
    KindCategory,
)
from dangjian.core.access import CHANGE, get_visible_or_404, scopes_for
from dangjian.core.api import BearerToken, Page, PageParams, paginate
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.orgs.api import choices_text
from dangjian.orgs.models import Org


class PartyBearer(BearerToken):
    """A valid token of someone holding a party role; system roles are refused before the body is read."""

    def authenticate(self, request, token: str):
        user = super().authenticate(request, token)
        if user is not None and not scopes_for(user):
            raise PermissionDenied("您没有党组织方面的角色,不能查看组织生活。")
        return user


router = Router(tags=["组织生活"], auth=PartyBearer())


def api_actor(request) -> Actor:
    return Actor.from_request(request, via="api")


# --- schemas --------------------------------------------------------------------------------------------


class KindOut(Schema):
    code: str
    name: str
    category: str
    needs_quorum: bool
    default_study_hours: Decimal


class KindIn(Schema):
    code: str
    name: str
    category: str = Field(description=choices_text(KindCategory))
    default_study_hours: Decimal = Decimal(0)


class RuleOut(Schema):
    id: int
    kind: str = Field(alias="kind.code")
    frequency: str
    times: int
    applies_to: str
    secretary_lecturer: bool
    label: str
    source: str
    effective_from: date
    effective_until: date | None


class RuleIn(Schema):
    kind: str
    frequency: str = Field(description=choices_text(Frequency))
    applies_to: str = Field(description=choices_text(AppliesTo))
    effective_from: date
    label: str
    source: str
    times: int = 1
    secretary_lecturer: bool = False


class AgendaItemIn(Schema):
    title: str
    first_topic: bool = False


class ActivityOut(Schema):
    id: int
    org_id: int
    org_name: str = Field(alias="org.name")
    group_id: int | None
    kind: str = Field(alias="kind.code")
    kind_name: str = Field(alias="kind.name")
    status: str
    held_on: date
    starts_at: time | None
    ends_at: time | None
    place: str
    topic: str
    host: str
    recorder: str
    lecturer: str
    lecturer_is_secretary: bool
    study_hours: Decimal
    quorum: bool | None
    partner_ids: list[int]
    agenda: list[AgendaItemIn]

    @staticmethod
    def resolve_partner_ids(obj):
        return sorted(p.org_id for p in obj.parties.all() if p.org_id != obj.org_id)

    @staticmethod
    def resolve_agenda(obj):
        return [{"title": a.title, "first_topic": a.first_topic} for a in obj.agenda.all()]


class ActivityDetailOut(ActivityOut):
    minutes: str
    resolutions: str


class ActivityIn(Schema):
    org_id: int
    kind: str = Field(description="活动类型代码,见 GET /activities/kinds")
    held_on: date
    topic: str
    status: str = Field(ActivityStatus.HELD, description="planned=计划、held=已召开")
    group_id: int | None = None
    starts_at: time | None = None
    ends_at: time | None = None
    place: str = ""
    host: str = ""
    recorder: str = ""
    lecturer: str = ""
    lecturer_is_secretary: bool = False
    minutes: str = ""
    resolutions: str = ""
    study_hours: Decimal | None = None
    agenda: list[AgendaItemIn] = []
    partner_ids: list[int] = []


class ActivityPatch(Schema):
    kind: str | None = None
    status: str | None = None
    held_on: date | None = None
    starts_at: time | None = None
    ends_at: time | None = None
    topic: str | None = None
    place: str | None = None
    host: str | None = None
    recorder: str | None = None
    lecturer: str | None = None
    lecturer_is_secretary: bool | None = None
    minutes: str | None = None
    resolutions: str | None = None
    study_hours: Decimal | None = None
    agenda: list[AgendaItemIn] | None = None
    partner_ids: list[int] | None = None


class ActivityFiltersIn(Schema):
    within: int | None = Field(None, description="党组织 id:只列该组织及其下级参加的活动")
    kind: str = ""
    category: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None


class AttendanceOut(Schema):
    member_id: int
    member_name: str = Field(alias="member.name")
    org_id: int
    status: str = Field(description=choices_text(AttendanceStatus))
    reason: str
    voting: bool
    checked_in_at: str | None
    method: str

    @staticmethod
    def resolve_checked_in_at(obj):
        return obj.checked_in_at.isoformat() if obj.checked_in_at else None


class MarkIn(Schema):
    member_id: int
    status: str = Field(description=choices_text(AttendanceStatus))
    reason: str = ""


class MarksIn(Schema):
    marks: list[MarkIn] = []


class CountsOut(Schema):
    total: int
    present: int
    on_leave: int
    absent: int
    expected: int
    voting_expected: int
    voting_present: int


class RequirementOut(Schema):
    label: str
    kind: str
    period: str
    period_start: date
    period_end: date
    group_name: str
    expected: int
    held: int
    planned: int
    met: bool
    source: str


class OrgComplianceOut(Schema):
    org_id: int
    org_name: str
    colour: str
    missing: list[str]
    requirements: list[RequirementOut]


class StudyHoursOut(Schema):
    member_id: int
    name: str
    org_id: int
    from_activities: Decimal
    from_classes: Decimal
    total: Decimal
    minimum: Decimal
    below: bool


# --- routes ---------------------------------------------------------------------------------------------


def output(activity_id: int, user) -> Activity:
    return get_visible_or_404(
        Activity.objects.select_related("org", "kind").prefetch_related("parties", "agenda"),
        user,
        pk=activity_id,
    )


def partners_of(request, ids: list[int]) -> list[Org]:
    return [get_visible_or_404(Org, request.user, pk=pk) for pk in ids]


@router.get("/kinds", response=list[KindOut], summary="活动类型代码表")
def list_kinds(request):
    return list(ActivityKind.objects.filter(active=True))


@router.post("/kinds", response={201: KindOut}, summary="新增活动类型(组织部管理员)")
def add_kind(request, payload: KindIn):
    return Status(201, services.add_kind(api_actor(request), **payload.dict()))


@router.get("/rules", response=list[RuleOut], summary="组织生活频次要求(含历史版本)")
def list_rules(request):
    return list(ComplianceRule.objects.select_related("kind"))


@router.post("/rules", response={201: RuleOut}, summary="新增频次要求的新版本(自生效日期起适用)")
def add_rule(request, payload: RuleIn):
    return Status(201, services.add_compliance_rule(api_actor(request), **payload.dict()))


@router.get("/compliance", response=list[OrgComplianceOut], summary="组织生活落实情况(某季度,红黄绿)")
def compliance(request, within: int | None = None, year: int | None = None, quarter: int | None = None):
    today = timezone.localdate()
    org = get_visible_or_404(Org, request.user, pk=within) if within else None
    org = org or Org.objects.visible_to(request.user).order_by("depth", "path").first()
    if org is None:
        return []
    year = year or today.year
    quarter = quarter or (today.month - 1) // 3 + 1
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        raise ServiceError("年度或季度不正确。", field="quarter")
    result = []
    for item_org, item in queries.subtree_compliance(request.user, org, rules.quarter(year, quarter)):
        result.append(
            {
                "org_id": item_org.pk,
                "org_name": item_org.name,
                "colour": item.colour(today),
                "missing": [r.missing_text for r in item.missing(today)],
                "requirements": [
                    {
                        "label": r.label,
                        "kind": r.kind_code,
                        "period": r.period.label,
                        "period_start": r.period.start,
                        "period_end": r.period.end,
                        "group_name": r.group_name,
                        "expected": r.expected,
                        "held": r.held,
                        "planned": r.planned,
                        "met": r.met,
                        "source": r.source,
                    }
                    for r in item.requirements
                ],
            }
        )
    return result


@router.get("/study-hours", response=list[StudyHoursOut], summary="党员年度学时(对照32/56学时要求)")
def study_hours(request, within: int | None = None, year: int | None = None, below: bool = False):
    org = get_visible_or_404(Org, request.user, pk=within) if within else None
    org = org or Org.objects.visible_to(request.user).order_by("depth", "path").first()
    if org is None:
        return []
    rows = queries.study_hours(request.user, org, year or timezone.localdate().year)
    return [
        {
            "member_id": r.member.pk,
            "name": r.member.name,
            "org_id": r.member.org_id,
            "from_activities": r.from_activities,
            "from_classes": r.from_classes,
            "total": r.total,
            "minimum": r.minimum,
            "below": r.below,
        }
        for r in rows
        if r.below or not below
    ]


@router.get("", response=Page[ActivityOut], summary="组织生活列表(本人权限范围内)")
def list_activities(request, filters: Query[ActivityFiltersIn], page: Query[PageParams]):
    within = get_visible_or_404(Org, request.user, pk=filters.within) if filters.within else None
    queryset = (
        queries.activities_within(request.user, within)
        if within
        else Activity.objects.visible_to(request.user)
    )
    data = filters.dict(exclude={"within"})
    queryset = queries.filter_activities(
        queryset, queries.ActivityFilters(**{k: v for k, v in data.items() if v not in (None, "")})
    )
    queryset = queryset.select_related("org", "kind").prefetch_related("parties", "agenda")
    return paginate(request, queryset.order_by("-held_on", "-pk"), page)


@router.post(
    "", response={201: ActivityDetailOut}, summary="登记(或计划)一次组织生活,按党组织名册生成应到名单"
)
def create_activity(request, payload: ActivityIn):
    org = get_visible_or_404(Org, request.user, pk=payload.org_id)
    data = payload.dict(exclude={"org_id", "group_id", "partner_ids"})
    data["agenda"] = [a for a in data["agenda"]]
    activity = services.record_activity(
        api_actor(request),
        org=org,
        group=payload.group_id,
        partners=partners_of(request, payload.partner_ids),
        **data,
    )
    return Status(201, output(activity.pk, request.user))


@router.get("/{activity_id}", response=ActivityDetailOut, summary="组织生活详情")
def get_activity(request, activity_id: int):
    return output(activity_id, request.user)


@router.patch("/{activity_id}", response=ActivityDetailOut, summary="修改组织生活记录")
def update_activity(request, activity_id: int, payload: ActivityPatch):
    activity = get_visible_or_404(Activity, request.user, CHANGE, pk=activity_id)
    data = payload.dict(exclude_unset=True)
    partner_ids = data.pop("partner_ids", None)
    agenda = data.pop("agenda", None)
    services.update_activity(
        api_actor(request),
        activity,
        agenda=agenda,
        partners=None if partner_ids is None else partners_of(request, partner_ids),
        **data,
    )
    return output(activity.pk, request.user)


@router.get(
    "/{activity_id}/attendance", response=list[AttendanceOut], summary="出勤名单(应到、实到、请假、缺席)"
)
def list_attendance(request, activity_id: int):
    activity = get_visible_or_404(Activity, request.user, pk=activity_id)
    return list(activity.attendance.select_related("member"))


@router.post("/{activity_id}/attendance", response=CountsOut, summary="登记出勤;请假须填事由")
def mark_attendance(request, activity_id: int, payload: MarksIn):
    activity = get_visible_or_404(Activity, request.user, CHANGE, pk=activity_id)
    marks = {m.member_id: (m.status, m.reason) for m in payload.marks}
    return services.mark_attendance(api_actor(request), activity, marks)
