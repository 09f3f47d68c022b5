"""The recruitment API routes, mounted at /api/v1/recruitment/ in dangjian/api.py.

Cases, their steps and votes, annual plans with their fulfilment, and the to-do list. Every object is
fetched through the caller's scope (404 outside it) before the body is read; writes go through
recruitment/services.py, whose refusals answer 400 with the rule's message, key and source.
"""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from dangjian.core.access import CHANGE, get_visible_or_404
from dangjian.core.api import Page, PageParams, next_page_url, paginate
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.members.api import PartyBearer
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.recruitment import queries, rules, services
from dangjian.recruitment.models import STAGES, CaseStatus, Recruitment, RuleSetSwitch, Step, Vote, VoteKind

router = Router(tags=["发展党员"], auth=PartyBearer())


def api_actor(request) -> Actor:
    return Actor.from_request(request, via="api")


def within_of(request, org_id: int | None) -> Org:
    """The subtree asked for, or the highest org the caller sees."""
    if org_id is not None:
        return get_visible_or_404(Org, request.user, pk=org_id)
    org = Org.objects.visible_to(request.user).order_by("depth", "path").first()
    if org is None:
        raise Http404
    return org


# --- schemas --------------------------------------------------------------------------------------------


class FindingOut(Schema):
    level: str = Field(description="block 禁止、warn 警示、remind 提醒")
    rule_id: str
    message: str
    source: str


class CaseOut(Schema):
    id: int
    member_id: int
    member_name: str
    category: str
    org_id: int
    org_name: str
    status: CaseStatus
    stage: int = Field(description="所处阶段 1–5")
    last_step: int = Field(description="已完成的最后一步(1–25)")
    last_step_on: date | None
    warning_count: int

    @staticmethod
    def resolve_member_name(case: Recruitment) -> str:
        return case.member.name

    @staticmethod
    def resolve_category(case: Recruitment) -> str:
        return case.member.category

    @staticmethod
    def resolve_org_name(case: Recruitment) -> str:
        return case.org.name


class VoteOut(Schema):
    id: int
    case_id: int = Field(alias="recruitment_id")
    step: int
    kind: VoteKind
    held_on: date
    should_attend: int
    present: int
    yes: int
    no: int
    abstain: int
    passed: bool
    outcome: str = Field(description="通过 / 未通过")
    failure_reason: str = Field(
        description="未通过原因:quorum 到会未过半数、majority 赞成票未过半数;通过时为空"
    )
    failure_reason_label: str

    @staticmethod
    def resolve_step(vote: Vote) -> int:
        return vote.step_number

    @staticmethod
    def resolve_failure_reason_label(vote: Vote) -> str:
        return vote.get_failure_reason_display()


class StepOut(Schema):
    id: int
    number: int
    label: str
    stage: int
    occurred_on: date
    done_by: str
    document_number: str
    note: str
    details: dict
    rule_sets: list[str]
    findings: list[FindingOut] = Field(description="登记时的警示")
    has_attachment: bool
    people: list[int] = Field(description="培养联系人或入党介绍人的党员编号")

    @staticmethod
    def resolve_label(step: Step) -> str:
        return step.get_number_display()

    @staticmethod
    def resolve_has_attachment(step: Step) -> bool:
        return bool(step.attachment_name)

    @staticmethod
    def resolve_people(step: Step) -> list[int]:
        return [s.person_id for s in step.sponsorships.all()]


class CaseDetailOut(CaseOut):
    steps: list[StepOut]
    findings: list[FindingOut] = Field(description="按规则检查已登记步骤的结果")
    reminders: list[FindingOut]

    @staticmethod
    def resolve_steps(case: Recruitment) -> list:
        return case.step_list

    @staticmethod
    def resolve_findings(case: Recruitment) -> list:
        return case.finding_list

    @staticmethod
    def resolve_reminders(case: Recruitment) -> list:
        return case.reminder_list


class CaseFilters(Schema):
    within: int | None = Field(None, description="党组织编号:该组织及其下级;默认本人可见的最上级组织")
    status: CaseStatus | None = None
    stage: int | None = Field(None, ge=1, le=5)


class CaseIn(Schema):
    member_id: int = Field(description="入党申请人的党员档案编号")
    applied_on: date
    done_by: str = ""
    document_number: str = ""
    note: str = ""


class VoteIn(Schema):
    should_attend: int = Field(ge=0)
    present: int = Field(ge=0)
    yes: int = Field(ge=0)
    no: int = Field(ge=0)
    abstain: int = Field(ge=0)


class StepIn(Schema):
    # Optional in the schema so an id out of scope answers 404 before the body is judged; required below.
    number: int | None = Field(None, description="步骤 1–25,须是下一步(必填)")
    occurred_on: date | None = Field(None, description="日期(必填)")
    done_by: str = ""
    document_number: str = ""
    note: str = ""
    conclusion: str | None = Field(None, description="第10步:政治审查结论")
    training_days: int | None = Field(None, ge=0, description="第11步:集中培训天数")
    training_hours: int | None = Field(None, ge=0, description="第11步:集中培训学时")
    publicity_from: date | None = Field(None, description="第13步:公示开始日期(2026年修订规则集)")
    publicity_to: date | None = None
    people: list[int] = Field(default_factory=list, description="第5步培养联系人、第9步入党介绍人的党员编号")
    vote: VoteIn | None = Field(None, description="第15、23步:支部党员大会表决情况")


class PlanOut(Schema):
    org_id: int
    org_name: str
    year: int
    planned: int | None
    admitted: int
    share_of_plan: Decimal | None = Field(description="完成率(%)")
    under_35_share: Decimal | None
    college_share: Decimal | None
    frontline_share: Decimal | None
    admitted_in_december: int
    crash_recruitment: bool = Field(description="突击发展:12月发展占全年30%以上")


class PlanReportOut(Schema):
    total: PlanOut
    subordinates: list[PlanOut]


class PlanIn(Schema):
    org_id: int
    year: int = Field(ge=2000, le=2100)
    quota: int = Field(ge=0)
    under_35_share: Decimal | None = Field(None, ge=0, le=100)
    college_share: Decimal | None = Field(None, ge=0, le=100)
    frontline_share: Decimal | None = Field(None, ge=0, le=100)
    note: str = ""


class PlanSetOut(Schema):
    id: int
    org_id: int
    year: int
    quota: int
    under_35_share: Decimal | None
    college_share: Decimal | None
    frontline_share: Decimal | None


class TodoOut(Schema):
    case_id: int
    member_id: int
    member_name: str
    org_id: int
    org_name: str
    due_on: date
    finding: FindingOut


def finding_out(finding) -> dict:
    return services.finding_dict(finding)


def plan_out(row: queries.Fulfilment) -> dict:
    return {
        "org_id": row.org.pk,
        "org_name": row.org.name,
        "year": row.year,
        "planned": row.planned,
        "admitted": row.admitted,
        "share_of_plan": row.share_of_plan,
        "under_35_share": row.under_35_share,
        "college_share": row.college_share,
        "frontline_share": row.frontline_share,
        "admitted_in_december": row.late,
        "crash_recruitment": row.crash_recruitment,
    }


def case_detail(case: Recruitment) -> Recruitment:
    """The case with its steps, the review of its steps and its reminders, for ``CaseDetailOut``."""
    today = timezone.localdate()
    facts = services.facts_for(case)
    sets = rules.sets_in_force(today, services.current_switches())
    reminders = rules.case_reminders(facts, today, sets) if case.status == CaseStatus.OPEN else []
    case.step_list = list(case.steps.prefetch_related("sponsorships").order_by("number"))
    case.finding_list = [finding_out(f) for _, f in queries.review(case)]
    case.reminder_list = [finding_out(r.finding) for r in reminders]
    return case


def visible_case(request, case_id: int, action: str = "view") -> Recruitment:
    return get_visible_or_404(
        Recruitment.objects.select_related("member", "org"), request.user, action, pk=case_id
    )


# --- cases and steps ------------------------------------------------------------------------------------


@router.get("/cases", response=Page[CaseOut], summary="发展党员纪实列表")
def list_cases(request, filters: Query[CaseFilters], page: Query[PageParams]):
    cases = queries.cases_in(request.user, within_of(request, filters.within)).select_related("member", "org")
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.stage:
        numbers = list(dict((s, n) for s, _, n in STAGES)[filters.stage])
        cases = cases.filter(last_step__in=numbers + ([0] if filters.stage == 1 else []))
    return paginate(request, cases.order_by("org__path", "pk"), page)


@router.post("/cases", response={201: CaseDetailOut}, summary="为入党申请人开始发展党员纪实(登记第1步)")
def open_case(request, payload: CaseIn):
    member = get_visible_or_404(Member, request.user, CHANGE, pk=payload.member_id)
    case = services.open_case(api_actor(request), member, **payload.dict(exclude={"member_id"}))
    return Status(201, case_detail(visible_case(request, case.pk)))


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="发展党员纪实:25个步骤、检查结果和提醒")
def get_case(request, case_id: int):
    return case_detail(visible_case(request, case_id))


@router.get("/cases/{case_id}/steps", response=list[StepOut], summary="已登记的步骤")
def list_steps(request, case_id: int):
    case = visible_case(request, case_id)
    return list(case.steps.prefetch_related("sponsorships").order_by("number"))


@router.post(
    "/cases/{case_id}/steps", response={201: StepOut}, summary="登记下一步骤(按当日生效的规则集检查)"
)
def record_step(request, case_id: int, payload: StepIn):
    case = visible_case(request, case_id, CHANGE)
    if payload.number is None:
        raise ServiceError("请填写步骤(number)。", field="number")
    if payload.occurred_on is None:
        raise ServiceError("请填写日期(occurred_on)。", field="occurred_on")
    people = []
    for person_id in payload.people:
        person = Member.objects.visible_to(request.user).filter(pk=person_id).first()
        if person is None:
            raise ServiceError(f"未找到编号为{person_id}的党员,或您无权查看。", field="people")
        people.append(person)
    vote = rules.VoteCount(**payload.vote.dict()) if payload.vote else None
    details = payload.dict(
        include={"conclusion", "training_days", "training_hours", "publicity_from", "publicity_to"}
    )
    step = services.record_step(
        api_actor(request),
        case,
        payload.number,
        occurred_on=payload.occurred_on,
        done_by=payload.done_by,
        document_number=payload.document_number,
        note=payload.note,
        details=details,
        people=people,
        vote=vote,
    )
    return Status(201, Step.objects.prefetch_related("sponsorships").get(pk=step.pk))


# --- votes ----------------------------------------------------------------------------------------------


class VoteRecordIn(Schema):
    # Optional in the schema so an id out of scope answers 404 before the body is judged; required below.
    should_attend: int | None = Field(None, ge=0, description="应到会有表决权的正式党员")
    present: int | None = Field(None, ge=0)
    yes: int | None = Field(None, ge=0)
    no: int | None = Field(None, ge=0)
    abstain: int | None = Field(None, ge=0)
    number: int | None = Field(None, description="15 接收预备党员、23 预备党员转正(必填)")
    occurred_on: date | None = Field(None, description="会议日期(必填)")
    done_by: str = ""
    document_number: str = ""
    note: str = ""


@router.post(
    "/cases/{case_id}/votes",
    response={201: VoteOut},
    summary="登记支部党员大会表决:通过则完成第15或23步,未通过则记录表决及原因、步骤不推进",
)
def record_vote(request, case_id: int, payload: VoteRecordIn):
    case = visible_case(request, case_id, CHANGE)
    if payload.number is None:
        raise ServiceError("请填写步骤(number):15 或 23。", field="number")
    if payload.occurred_on is None:
        raise ServiceError("请填写会议日期(occurred_on)。", field="occurred_on")
    counts = (payload.should_attend, payload.present, payload.yes, payload.no, payload.abstain)
    if any(n is None for n in counts):
        raise ServiceError("请填写表决情况(应到、实到、赞成、反对、弃权人数)。", field="should_attend")
    count = rules.VoteCount(*counts)
    vote = services.record_vote(
        api_actor(request),
        case,
        payload.number,
        occurred_on=payload.occurred_on,
        vote=count,
        done_by=payload.done_by,
        document_number=payload.document_number,
        note=payload.note,
    )
    return Status(201, vote)


class VoteFilters(Schema):
    within: int | None = None
    kind: VoteKind | None = None
    year: int | None = Field(None, ge=2000, le=2100)


@router.get("/votes", response=Page[VoteOut], summary="支部党员大会表决(接收、转正)")
def list_votes(request, filters: Query[VoteFilters], page: Query[PageParams]):
    within = within_of(request, filters.within)
    votes = (
        Vote.objects.visible_to(request.user).filter(org__path__startswith=within.path).select_related("step")
    )
    if filters.kind:
        votes = votes.filter(kind=filters.kind)
    if filters.year:
        votes = votes.filter(held_on__year=filters.year)
    return paginate(request, votes.order_by("-held_on", "-pk"), page)


# --- rule sets ------------------------------------------------------------------------------------------


class SwitchOut(Schema):
    key: str
    active: bool
    effective_from: date | None
    note: str
    switched_at: datetime


class RuleSetOut(Schema):
    key: str
    label: str
    active: bool = Field(description="当前是否启用")
    effective_from: date | None = Field(description="启用时的生效日期")
    active_by_default: bool
    can_switch: bool = Field(description="2014年细则始终启用,不能切换")
    switches: list[SwitchOut] = Field(description="启用、停用记录(最近的在前)")


class RuleSetListOut(Schema):
    can_switch: bool = Field(description="调用者能否启用或停用规则集(最上级党组织的组织部管理员)")
    sets: list[RuleSetOut]


class SwitchIn(Schema):
    active: bool = True
    effective_from: date | None = Field(None, description="启用时必填:自该日起的步骤适用此规则集")
    note: str = ""


def rule_sets_out(user) -> dict:
    switches = services.current_switches()
    history: dict[str, list] = {}
    for row in RuleSetSwitch.objects.order_by("-switched_at", "-pk"):
        history.setdefault(row.key, []).append(row)
    sets = []
    for key, rule_set in rules.RULE_SETS.items():
        switch = switches.get(key)
        sets.append(
            {
                "key": key,
                "label": rule_set.label,
                "active": rule_set.active_by_default if switch is None else switch.active,
                "effective_from": rule_set.effective_from if switch is None else switch.effective_from,
                "active_by_default": rule_set.active_by_default,
                "can_switch": key != rules.RULES_2014,
                "switches": history.get(key, []),
            }
        )
    return {"can_switch": services.can_switch_rule_sets(user), "sets": sets}


@router.get("/rule-sets", response=RuleSetListOut, summary="规则集及其启用记录")
def list_rule_sets(request):
    return rule_sets_out(request.user)


@router.post(
    "/rule-sets/{key}/switch",
    response={201: RuleSetListOut},
    summary="启用(自某日起)或停用规则集(限最上级党组织的组织部管理员)",
)
def switch_rule_set(request, key: str, payload: SwitchIn):
    services.switch_rule_set(
        api_actor(request),
        key,
        active=payload.active,
        effective_from=payload.effective_from,
        note=payload.note,
    )
    return Status(201, rule_sets_out(request.user))


# --- archive audit --------------------------------------------------------------------------------------


class AuditFindingOut(FindingOut):
    step: int | None = Field(description="所涉步骤;缺少纪实记录时为空")


class AuditPersonOut(Schema):
    member_id: int
    member_name: str
    org_id: int
    org_name: str
    admitted_on: date
    case_id: int | None
    findings: list[AuditFindingOut]


class AuditOut(Schema):
    year: int
    org_id: int
    total: int = Field(description="当年接收的预备党员人数")
    with_findings: int
    people: list[AuditPersonOut]


class AuditFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="接收年度,默认今年")
    org: int | None = Field(None, description="党组织编号:该组织及其下级;默认本人可见的最上级组织")
    only_findings: bool = Field(False, description="只列有问题的人员")


@router.get("/audit", response=AuditOut, summary="年度发展党员档案审核:当年接收的每个人及其检查结果")
def archive_audit(request, filters: Query[AuditFilters]):
    within = within_of(request, filters.org)
    year = filters.year or timezone.localdate().year
    rows = queries.archive_audit(request.user, within, year)
    shown = [r for r in rows if r.findings] if filters.only_findings else rows
    return {
        "year": year,
        "org_id": within.pk,
        "total": len(rows),
        "with_findings": sum(1 for r in rows if r.findings),
        "people": [
            {
                "member_id": r.member.pk,
                "member_name": r.member.name,
                "org_id": r.member.org_id,
                "org_name": r.member.org.name,
                "admitted_on": r.admitted_on,
                "case_id": r.case.pk if r.case else None,
                "findings": [{**finding_out(f), "step": number or None} for number, f in r.findings],
            }
            for r in shown
        ],
    }


# --- plans ----------------------------------------------------------------------------------------------


class PlanFilters(Schema):
    within: int | None = None
    year: int | None = Field(None, ge=2000, le=2100, description="默认今年")


@router.get("/plans", response=PlanReportOut, summary="年度发展党员计划完成情况(本组织及直属下级)")
def list_plans(request, filters: Query[PlanFilters]):
    within = within_of(request, filters.within)
    total, rows = queries.fulfilment(request.user, within, filters.year or timezone.localdate().year)
    return {"total": plan_out(total), "subordinates": [plan_out(r) for r in rows]}


@router.put("/plans", response=PlanSetOut, summary="上级党组织下达(或调整)下级的年度发展党员计划")
def set_plan(request, payload: PlanIn):
    org = get_visible_or_404(Org, request.user, pk=payload.org_id)
    return services.set_plan(api_actor(request), org, **payload.dict(exclude={"org_id"}))


# --- to-do ----------------------------------------------------------------------------------------------


class TodoFilters(Schema):
    within: int | None = None
    rule: str | None = Field(None, description="只看某一规则,如 recruitment.conversion_due")


@router.get("/todo", response=Page[TodoOut], summary="发展党员待办提醒(最早到期在前)")
def list_todo(request, filters: Query[TodoFilters], page: Query[PageParams]):
    within = within_of(request, filters.within)
    items = queries.todo(request.user, within, timezone.localdate(), filters.rule or "")
    chosen = items[page.offset : page.offset + page.limit]
    return {
        "count": len(items),
        "items": [
            {
                "case_id": i.case.pk,
                "member_id": i.case.member_id,
                "member_name": i.case.member.name,
                "org_id": i.case.org_id,
                "org_name": i.case.org.name,
                "due_on": i.due_on,
                "finding": finding_out(i.finding),
            }
            for i in chosen
        ],
        "next": next_page_url(request, page, len(items)),
    }
