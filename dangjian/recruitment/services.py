"""Every write of member development: checks of the rule sets in force, the dated step, the member event
that changes the person's category, and the audit entry, in one transaction.

Category changes go through ``members.services.record_event`` (activist_confirmed, candidate_confirmed,
admitted, converted, probation_extended, probation_cancelled), so member lists and statistics follow.
"""

import contextlib
import contextvars
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts.roles import Role
from dangjian.core import audit
from dangjian.core.audit import Actor
from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.rules import Finding, Level
from dangjian.members import services as member_services
from dangjian.members.models import Category, Member, MemberEvent, MemberEventKind
from dangjian.members.rules import add_months
from dangjian.orgs.models import Org
from dangjian.orgs.rules import temporary_branch_restriction
from dangjian.recruitment import indicators, rules
from dangjian.recruitment.models import (
    LAST_STEP,
    AnnualPlan,
    Assessment,
    CaseStageRollup,
    CaseStatus,
    OnPathRollup,
    OnPathSubtreeRollup,
    Recruitment,
    RecruitmentMonthRollup,
    RuleSetSwitch,
    Sponsorship,
    Step,
    StepKind,
    Vote,
    VoteFailure,
    VoteKind,
)
from dangjian.recruitment.models import (
    Role as SponsorRole,
)
from dangjian.reports.subtrees import (
    add_differences,
    differences_by_period,
    insert_subtrees,
    listed,
    move_subtree,
    rebuilding,
    recount_direct_rows,
    union_side,
)

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# The member event each step writes, when it changes the person's category or probation.
EVENT_FOR_STEP = {
    StepKind.ACTIVIST_RECOMMENDED: MemberEventKind.ACTIVIST_CONFIRMED,
    StepKind.CANDIDATE_CONFIRMED: MemberEventKind.CANDIDATE_CONFIRMED,
    StepKind.ADMISSION_MEETING: MemberEventKind.ADMITTED,
    StepKind.CONVERSION_APPROVED: MemberEventKind.CONVERTED,
}
PEOPLE_STEPS = {
    StepKind.MENTORS_ASSIGNED: SponsorRole.MENTOR,
    StepKind.SPONSORS_CONFIRMED: SponsorRole.SPONSOR,
}
VOTE_STEPS = {
    StepKind.ADMISSION_MEETING: VoteKind.ADMISSION,
    StepKind.CONVERSION_MEETING: VoteKind.CONVERSION,
}
# Step details a page or the API may send, by step.
DETAIL_FIELDS = {
    StepKind.POLITICAL_REVIEW: ("conclusion",),
    StepKind.CENTRALIZED_TRAINING: ("training_days", "training_hours"),
    StepKind.PRE_REVIEW: ("publicity_from", "publicity_to"),
}


def today() -> date:
    return timezone.localdate()


def raise_blocking(findings: list[Finding], field_name: str = "occurred_on") -> None:
    for item in findings:
        if item.blocks:
            raise ServiceError(
                item.message, field=field_name, details={"rule": item.rule_id, "source": item.source}
            )


def require_recruiting_org(actor: Actor, org: Org) -> None:
    member_services.require_change(actor, org, "办理发展党员")
    raise_blocking(temporary_branch_restriction(org.kind, "recruitment"), "org")
    if not org.is_active:
        raise ServiceError(f"“{org.name}”已撤销,不能办理发展党员。", field="org")


def finding_dict(item: Finding) -> dict:
    return {"level": str(item.level), "rule_id": item.rule_id, "message": item.message, "source": item.source}


# --- rule sets ------------------------------------------------------------------------------------------


def current_switches() -> dict[str, rules.Switch]:
    """The latest switch of each rule set (sets never switched keep their default)."""
    found: dict[str, rules.Switch] = {}
    for row in RuleSetSwitch.objects.order_by("key", "-switched_at", "-pk"):
        found.setdefault(row.key, rules.Switch(row.active, row.effective_from))
    return found


def can_switch_rule_sets(user) -> bool:
    """An organization department administrator of a top-level org (the platform's own administrators
    of party data) switches rule sets; the rules apply to everyone."""
    if user is None or not user.is_authenticated:
        return False
    return user.role_assignments.active().filter(role=Role.DEPARTMENT_ADMIN, org__depth=1).exists()


@transaction.atomic
def switch_rule_set(
    actor: Actor, key: str, *, active: bool, effective_from: date | None = None, note: str = ""
) -> RuleSetSwitch:
    if not actor.is_system and not can_switch_rule_sets(actor.user):
        raise NotPermitted("只有最上级党组织的组织部管理员可以启用或停用规则集。")
    if key not in rules.RULE_SETS or key == rules.RULES_2014:
        raise ServiceError("该规则集不能切换(2014年细则始终启用)。", field="key")
    if active and effective_from is None:
        raise ServiceError("启用规则集须填写生效日期。", field="effective_from")
    before = current_switches().get(key)
    row = RuleSetSwitch.objects.create(
        key=key,
        active=active,
        effective_from=effective_from if active else None,
        note=(note or "").strip()[:200],
        switched_by=actor.user,
    )
    audit.record(
        actor,
        "recruitment.rule_set",
        row,
        before={"active": before.active, "effective_from": before.effective_from} if before else None,
        after={"key": key, "active": active, "effective_from": row.effective_from, "note": row.note},
    )
    return row


# --- facts of a case ------------------------------------------------------------------------------------


def facts_for(case: Recruitment, member: Member | None = None) -> rules.CaseFacts:
    member = member or case.member
    steps = list(case.steps.values_list("number", "occurred_on", "details"))
    last_assessment = case.assessments.aggregate(last=Max("assessed_on"))["last"]
    return rules.CaseFacts(
        birth_date=member.birth_date,
        dates={number: day for number, day, _ in steps},
        details={number: details for number, _, details in steps},
        extension_months=member.probation_extended_months,
        last_assessment_on=last_assessment,
    )


def probation_checks(person_ids: list[int]) -> dict[int, list[tuple[date, dict]]]:
    """The 留党察看 decisions of each person (newest first), in one query."""
    found: dict[int, list] = {pk: [] for pk in person_ids}
    rows = (
        MemberEvent.objects.filter(
            member_id__in=person_ids, kind=MemberEventKind.DISCIPLINED, details__discipline="留党察看"
        )
        .order_by("-occurred_on")
        .values_list("member_id", "occurred_on", "details")
    )
    for member_id, day, details in rows:
        found[member_id].append((day, details or {}))
    return found


def person_facts(
    person: Member, case_member_id: int, on: date, checks: list[tuple[date, dict]] | None = None
) -> rules.Person:
    """A chosen mentor or sponsor as the rules see them on ``on`` (a 留党察看 counts for up to two years)."""
    if checks is None:
        checks = probation_checks([person.pk])[person.pk]
    until = None
    watched = next(((day, details) for day, details in checks if day <= on), None)
    if watched is not None:
        until = add_months(watched[0], int(watched[1].get("months") or 24))
    return rules.Person(
        name=person.name,
        org_id=person.org_id,
        on_roll=person.on_roll,
        converted_on=person.converted_on,
        status=person.status,
        status_since=person.status_since,
        probation_checked_until=until,
        is_self=person.pk == case_member_id,
    )


# --- attachments ----------------------------------------------------------------------------------------


@dataclass
class Attachment:
    name: str
    content_type: str
    content: bytes


def check_attachment(attachment: Attachment | None) -> None:
    if attachment is not None and len(attachment.content) > MAX_ATTACHMENT_BYTES:
        raise ServiceError("附件不能超过10MB。", field="attachment")


# --- opening a case and recording steps -----------------------------------------------------------------


def case_state(case: Recruitment) -> dict:
    return {
        "member_id": case.member_id,
        "org_id": case.org_id,
        "status": case.status,
        "last_step": case.last_step,
        "last_step_on": case.last_step_on,
    }


@transaction.atomic
def open_case(
    actor: Actor,
    member: Member,
    *,
    applied_on: date,
    done_by: str = "",
    document_number: str = "",
    note: str = "",
    attachment: Attachment | None = None,
) -> Recruitment:
    """Open the development case of an applicant with step 1 (递交入党申请书) on ``applied_on``."""
    member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    require_recruiting_org(actor, member.org)
    if not member.on_roll:
        raise ServiceError(f"“{member.name}”已离册,不能办理发展党员。", field="member")
    if member.category != Category.APPLICANT:
        raise ServiceError(
            f"“{member.name}”现为{member.get_category_display()},只有入党申请人才能开始发展党员纪实"
            "(已在培养中的人员请用导入)。",
            field="member",
        )
    if Recruitment.objects.filter(member=member).exists():
        raise ConflictError(f"“{member.name}”已有发展党员纪实。", field="member")
    if applied_on is None:
        raise ServiceError("请填写递交入党申请书的日期。", field="occurred_on")
    # Step 1's checks before anything is written, so the refusal is the rule's own message.
    sets = rules.sets_in_force(applied_on, current_switches())
    raise_blocking(
        rules.step_findings(rules.CaseFacts(member.birth_date), 1, applied_on, {}, sets, today=today())
    )
    case = Recruitment.objects.create(member=member, org=member.org, applied_on_before=member.applied_on)
    after_writing(case.pk, NOTHING)  # a new case: it counted nothing before
    audit.record(actor, "recruitment.open", case, org=member.org, after=case_state(case))
    if member.applied_on != applied_on:
        member_services.update_member(actor, member, applied_on=applied_on)
    record_step(
        actor,
        case,
        StepKind.APPLICATION,
        occurred_on=applied_on,
        done_by=done_by or member.name,
        document_number=document_number,
        note=note,
        attachment=attachment,
    )
    case.refresh_from_db()
    return case


def clean_details(number: int, details: dict | None) -> dict:
    allowed = DETAIL_FIELDS.get(number, ())
    cleaned = {}
    for name, value in (details or {}).items():
        if name not in allowed or value in (None, ""):
            continue
        if name in ("training_days", "training_hours"):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ServiceError("培训天数和学时应为整数。", field=name) from None
            if value < 0:
                raise ServiceError("培训天数和学时不能为负数。", field=name)
        elif name in ("publicity_from", "publicity_to"):
            if not isinstance(value, date):
                raise ServiceError("公示日期格式不正确。", field=name)
        else:
            value = str(value).strip()[:2000]
        cleaned[name] = value
    return cleaned


def stored_details(details: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in details.items()}


@transaction.atomic
def record_step(
    actor: Actor,
    case: Recruitment,
    number: int,
    *,
    occurred_on: date,
    done_by: str = "",
    document_number: str = "",
    note: str = "",
    details: dict | None = None,
    attachment: Attachment | None = None,
    people: list[Member] | None = None,
    vote: rules.VoteCount | None = None,
) -> Step:
    """Record step ``number`` of ``case`` on ``occurred_on``; refused with the first blocking finding."""
    case = Recruitment.objects.select_for_update().select_related("org", "member").get(pk=case.pk)
    require_recruiting_org(actor, case.org)
    if case.status != CaseStatus.OPEN:
        raise ServiceError(f"该发展党员纪实{case.get_status_display()},不能再登记步骤。", field="number")
    if number not in StepKind.values:
        raise ServiceError("步骤应为1至25。", field="number")
    if occurred_on is None:
        raise ServiceError("请填写日期。", field="occurred_on")
    check_attachment(attachment)
    member = Member.objects.select_for_update().get(pk=case.member_id)
    facts = facts_for(case, member)
    details = clean_details(number, details)
    sets = rules.sets_in_force(occurred_on, current_switches())
    findings = rules.step_findings(facts, number, occurred_on, details, sets, vote, today())
    raise_blocking(findings)
    # Fresh from the database: the rule reads each person's category and status as they are now recorded.
    fresh = Member.objects.in_bulk([p.pk for p in people or ()])
    people = [fresh[p.pk] for p in people or ()]
    if number in PEOPLE_STEPS:
        people_facts = [person_facts(p, member.pk, occurred_on) for p in people]
        raise_blocking(
            rules.people_findings(PEOPLE_STEPS[number], people_facts, case.org_id, occurred_on), "people"
        )
    warnings = [f for f in findings if f.level == Level.WARN]
    counted = before_writing(case.pk)
    step = Step.objects.create(
        recruitment=case,
        org=case.org,
        number=number,
        occurred_on=occurred_on,
        done_by=(done_by or "").strip()[:120],
        document_number=(document_number or "").strip()[:100],
        note=(note or "").strip(),
        details=stored_details(details),
        rule_sets=sets,
        findings=[finding_dict(f) for f in warnings],
        recorded_by=actor.user,
        **(
            {
                "attachment_name": attachment.name[:200],
                "attachment_type": attachment.content_type[:100],
                "attachment": attachment.content,
            }
            if attachment
            else {}
        ),
    )
    for person in people if number in PEOPLE_STEPS else ():
        Sponsorship.objects.create(
            recruitment=case,
            step=step,
            org=case.org,
            person=person,
            role=PEOPLE_STEPS[number],
            chosen_on=occurred_on,
        )
    if number in VOTE_STEPS:
        Vote.objects.create(
            recruitment=case,
            step=step,
            org=case.org,
            kind=VOTE_STEPS[number],
            held_on=occurred_on,
            should_attend=vote.should_attend,
            present=vote.present,
            yes=vote.yes,
            no=vote.no,
            abstain=vote.abstain,
            passed=True,
            note=step.note,
            recorded_by=actor.user,
        )
    apply_member_event(actor, member, number, occurred_on, step.document_number, facts)
    before = case_state(case)
    case.last_step, case.last_step_on = number, occurred_on
    case.warning_count += len(warnings)
    if number == LAST_STEP:
        case.status = CaseStatus.COMPLETED
    case.save(update_fields=["last_step", "last_step_on", "warning_count", "status", "updated_at"])
    after_writing(case.pk, counted)
    audit.record(
        actor,
        "recruitment.step",
        step,
        org=case.org,
        before=before,
        after={
            **case_state(case),
            "step": number,
            "occurred_on": occurred_on,
            "document_number": step.document_number,
            "rule_sets": sets,
            "warnings": [f.rule_id for f in warnings],
            "people": [p.pk for p in people],
            "vote": vote.__dict__ if vote else None,
        },
    )
    step.warnings = warnings
    return step


VOTE_RULES = ("recruitment.vote_quorum", "recruitment.vote_majority")


def vote_state(vote: Vote) -> dict:
    return {
        "recruitment_id": vote.recruitment_id,
        "kind": vote.kind,
        "held_on": vote.held_on,
        "should_attend": vote.should_attend,
        "present": vote.present,
        "yes": vote.yes,
        "no": vote.no,
        "abstain": vote.abstain,
        "passed": vote.passed,
        "failure_reason": vote.failure_reason,
        "step_id": vote.step_id,
    }


@transaction.atomic
def record_vote(
    actor: Actor,
    case: Recruitment,
    number: int,
    *,
    occurred_on: date,
    vote: rules.VoteCount | None,
    done_by: str = "",
    document_number: str = "",
    note: str = "",
    attachment: Attachment | None = None,
) -> Vote:
    """The branch general meeting voted on the person (step 15 admission, step 23 conversion).

    A resolution that passes records the step (``record_step``, with all its checks). One that fails the
    quorum or the majority rule of 细则第二十条 is stored as a failed vote with its reason, shown on the
    case's timeline, and the case does not advance: a later meeting may vote again. Every other check of
    the step (order, dates, probation length …) still refuses the vote.
    """
    if number not in VOTE_STEPS:
        raise ServiceError("只有第15步和第23步(支部党员大会讨论)进行表决。", field="number")
    raise_blocking(rules.vote_form_findings(vote), "vote")
    failure = rules.vote_failure(vote)
    if not failure:
        step = record_step(
            actor,
            case,
            number,
            occurred_on=occurred_on,
            done_by=done_by,
            document_number=document_number,
            note=note,
            attachment=attachment,
            vote=vote,
        )
        result = step.vote
        result.warnings = step.warnings
        return result
    case = Recruitment.objects.select_for_update().select_related("org", "member").get(pk=case.pk)
    require_recruiting_org(actor, case.org)
    if case.status != CaseStatus.OPEN:
        raise ServiceError(f"该发展党员纪实{case.get_status_display()},不能再登记表决。", field="number")
    if occurred_on is None:
        raise ServiceError("请填写会议日期。", field="occurred_on")
    facts = facts_for(case)
    sets = rules.sets_in_force(occurred_on, current_switches())
    findings = rules.step_findings(facts, number, occurred_on, {}, sets, vote, today())
    raise_blocking([f for f in findings if f.rule_id not in VOTE_RULES])
    earlier = case.votes.filter(kind=VOTE_STEPS[number], held_on__gt=occurred_on).order_by("held_on").first()
    if earlier is not None:
        raise ServiceError(
            f"已登记{rules.cn(earlier.held_on)}的表决,不能再登记更早日期的表决。", field="occurred_on"
        )
    counted = before_writing(case.pk)
    result = Vote.objects.create(
        recruitment=case,
        step=None,
        org=case.org,
        kind=VOTE_STEPS[number],
        held_on=occurred_on,
        should_attend=vote.should_attend,
        present=vote.present,
        yes=vote.yes,
        no=vote.no,
        abstain=vote.abstain,
        passed=False,
        failure_reason=VoteFailure(failure),
        note=(note or "").strip(),
        recorded_by=actor.user,
    )
    after_writing(case.pk, counted)
    audit.record(actor, "recruitment.vote_failed", result, org=case.org, after=vote_state(result))
    result.warnings = [f for f in findings if f.rule_id in VOTE_RULES]
    return result


def apply_member_event(
    actor: Actor, member: Member, number: int, occurred_on: date, document_number: str, facts: rules.CaseFacts
) -> None:
    kind = EVENT_FOR_STEP.get(number)
    if kind is None:
        return
    # 党龄 counts from the day probation ends (党章第七条), not from the approval date.
    on = facts.probation_end() if kind == MemberEventKind.CONVERTED else occurred_on
    member_services.record_event(
        actor,
        member,
        kind,
        occurred_on=on,
        document_number=document_number,
        details={"recruitment_step": int(number)},
    )


@transaction.atomic
def add_assessment(
    actor: Actor, case: Recruitment, *, assessed_on: date, conclusion: str, assessed_by: str = ""
) -> Assessment:
    """The half-yearly assessment of an activist (细则第十一条), between steps 3 and 7."""
    case = Recruitment.objects.select_for_update().select_related("org", "member").get(pk=case.pk)
    require_recruiting_org(actor, case.org)
    if not StepKind.ACTIVIST_RECOMMENDED <= case.last_step < StepKind.CANDIDATE_CONFIRMED:
        raise ServiceError("考察记录用于入党积极分子培养期间(第3步之后、第7步之前)。", field="assessed_on")
    conclusion = (conclusion or "").strip()
    if not conclusion:
        raise ServiceError("请填写考察意见。", field="conclusion")
    if assessed_on is None or assessed_on > today():
        raise ServiceError("考察日期不能为空,也不能晚于今天。", field="assessed_on")
    activist_on = case.steps.get(number=StepKind.ACTIVIST_RECOMMENDED).occurred_on
    if assessed_on < activist_on:
        raise ServiceError(
            f"考察日期不能早于确定为入党积极分子的日期 {rules.cn(activist_on)}。", field="assessed_on"
        )
    assessment = Assessment.objects.create(
        recruitment=case,
        org=case.org,
        assessed_on=assessed_on,
        assessed_by=(assessed_by or "").strip()[:120],
        conclusion=conclusion[:2000],
        recorded_by=actor.user,
    )
    audit.record(
        actor,
        "recruitment.assessment",
        assessment,
        org=case.org,
        after={"recruitment_id": case.pk, "assessed_on": assessed_on},
    )
    return assessment


@transaction.atomic
def extend_probation(
    actor: Actor,
    case: Recruitment,
    *,
    months: int,
    occurred_on: date,
    document_number: str = "",
    note: str = "",
) -> None:
    """The branch extends probation (once, 6 to 12 months — checked by the member rules)."""
    case = Recruitment.objects.select_for_update().select_related("org", "member").get(pk=case.pk)
    require_recruiting_org(actor, case.org)
    if not StepKind.ADMISSION_APPROVED <= case.last_step < StepKind.CONVERSION_MEETING:
        raise ServiceError("延长预备期须在上级党委审批接收之后、讨论转正之前。", field="months")
    member_services.record_event(
        actor,
        case.member,
        MemberEventKind.PROBATION_EXTENDED,
        occurred_on=occurred_on,
        document_number=document_number,
        note=note,
        details={"months": months},
    )
    audit.record(actor, "recruitment.extend", case, org=case.org, after={"months": months})


@transaction.atomic
def end_case(actor: Actor, case: Recruitment, *, ended_on: date, reason: str) -> Recruitment:
    """End a case before the archive (the applicant withdrew, moved away, the probation was cancelled …).

    A probationary member's case ends with 取消预备党员资格, recorded as a member event."""
    case = Recruitment.objects.select_for_update().select_related("org", "member").get(pk=case.pk)
    require_recruiting_org(actor, case.org)
    if case.status != CaseStatus.OPEN:
        raise ServiceError(f"该发展党员纪实{case.get_status_display()}。", field="reason")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写终止原因。", field="reason")
    if ended_on is None or ended_on > today() or (case.last_step_on and ended_on < case.last_step_on):
        raise ServiceError("终止日期不能晚于今天,也不能早于最近一个步骤的日期。", field="ended_on")
    if case.member.category == Category.PROBATIONARY:
        member_services.record_event(
            actor, case.member, MemberEventKind.PROBATION_CANCELLED, occurred_on=ended_on, note=reason
        )
    before, counted = case_state(case), before_writing(case.pk)
    case.status, case.ended_on, case.end_reason = CaseStatus.ENDED, ended_on, reason[:200]
    case.save(update_fields=["status", "ended_on", "end_reason", "updated_at"])
    after_writing(case.pk, counted)
    audit.record(actor, "recruitment.end", case, org=case.org, before=before, after=case_state(case))
    return case


# --- taking back an import -----------------------------------------------------------------------------


def import_undo_blockers(cases: list[Recruitment], since) -> list[str]:
    """Why imported cases cannot be taken back: anything recorded on them (or on their person) after the
    import committed at ``since`` — a step, an assessment, a vote, a member event — or a case no longer
    open. Chinese reasons, one per person (at most five named)."""
    reasons = []
    for case in cases:
        name = case.member.name
        if case.status != CaseStatus.OPEN:
            reasons.append(f"“{name}”的纪实{case.get_status_display()}")
        elif case.steps.filter(recorded_at__gt=since).exists():
            reasons.append(f"“{name}”导入后又登记了步骤")
        elif case.assessments.exists():
            reasons.append(f"“{name}”导入后已有积极分子考察记录")
        elif case.votes.exists():
            reasons.append(f"“{name}”导入后已有支部党员大会表决")
        elif MemberEvent.objects.filter(member_id=case.member_id, recorded_at__gt=since).exists():
            reasons.append(f"“{name}”导入后已登记党员事项")
    if len(reasons) > 5:
        reasons = [*reasons[:5], f"等共{len(reasons)}人"]
    return reasons


@transaction.atomic
def take_back_imported_cases(actor: Actor, ids: list[int], batch) -> None:
    """Undo a recruitment import batch (``batch`` committed at ``batch.finished_at``): remove the cases
    it created with their steps and mentors, remove the member events those steps wrote (确定为入党积极分子)
    and put the person back as an applicant with their former 申请入党日期. All or nothing, refused with
    the reasons while anything was recorded on a case after the import. One audit entry per case."""
    since = batch.finished_at or batch.created_at
    cases = list(
        Recruitment.objects.select_for_update()
        .select_related("org", "member")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    for case in cases:
        require_recruiting_org(actor, case.org)
    reasons = import_undo_blockers(cases, since)
    if reasons:
        raise ConflictError(f"不能撤销本批导入:{';'.join(reasons)}。个别有误的纪实请在纪实页“终止发展”。")
    for case in cases:
        member = Member.objects.select_for_update().get(pk=case.member_id)
        before = {**case_state(case), "member": member_services.member_state(member)}
        steps = list(case.steps.values_list("number", flat=True))
        events = MemberEvent.objects.filter(member=member, details__has_key="recruitment_step")
        event_ids = list(events.values_list("pk", flat=True))
        counted, case_id = before_writing(case.pk), case.pk
        Sponsorship.objects.filter(recruitment=case).delete()
        Step.objects.filter(recruitment=case).delete()
        member = member_services.take_back_path_events(
            actor, member, event_ids, category=Category.APPLICANT, applied_on=case.applied_on_before
        )
        audit.record(
            actor,
            "recruitment.import_undo",
            case,
            org=case.org,
            before={**before, "steps": steps, "member_event_ids": event_ids, "batch_id": batch.pk},
            after={"member": member_services.member_state(member)},
            sensitive=member_services.SENSITIVE,
        )
        case.delete()
        after_writing(case_id, counted)


# --- the kept figures (reports' roll-ups) --------------------------------------------------------------
#
# Every write above that changes what a case counts (opened, a step, a failed vote, ended, taken back)
# reads the case's figures before it (``before_writing``, after the case row is locked) and after it
# (``after_writing``: the registry's own filters over the case's row, its steps and its votes), and adds
# the difference to the subtree rows up the tree, in the same transaction. Inside ``counting_cases``
# (an import's rows) a case's figures are read before its first write only, and the differences of all
# the cases written are added once, when the block ends.

NOTHING: tuple[dict, dict] = ({}, {})
_pending: contextvars.ContextVar[dict[int, tuple[dict, dict]] | None] = contextvars.ContextVar(
    "pending_cases", default=None
)


def figures_of(case_ids: Iterable[int]) -> tuple[dict, dict]:
    """What these cases count now, as stored: their open-case rows ({last step: {org path: [cases]}},
    nothing for a closed case) and their steps and votes by month ({month: {org path: numbers of
    MONTH_NAMES}})."""
    ids = list(case_ids)
    return (
        indicators.case_rows(Recruitment.objects.filter(pk__in=ids)),
        indicators.month_rows(
            Step.objects.filter(recruitment_id__in=ids), Vote.objects.filter(recruitment_id__in=ids)
        ),
    )


def count_case(before: tuple[dict, dict], after: tuple[dict, dict]) -> None:
    """Add the difference of what cases count (``figures_of`` before and after writes) up the tree."""
    add_differences(before[0], after[0], CaseStageRollup, indicators.CASE_NAMES)
    add_differences(before[1], after[1], RecruitmentMonthRollup, indicators.MONTH_NAMES)


def before_writing(case_id: int) -> tuple[dict, dict] | None:
    """What the case counts before a write (None inside ``counting_cases`` once already read)."""
    pending = _pending.get()
    if pending is None:
        return figures_of([case_id])
    if case_id not in pending:
        pending[case_id] = figures_of([case_id])
    return None


def after_writing(case_id: int, before: tuple[dict, dict] | None) -> None:
    """Add what the write changed in the case's figures (``before`` from ``before_writing``), or leave it
    to the end of the ``counting_cases`` block."""
    pending = _pending.get()
    if pending is None:
        count_case(before, figures_of([case_id]))
    elif before is not None:  # a case created in the block (otherwise read by before_writing)
        pending.setdefault(case_id, before)


def _summed(figures: Iterable[dict]) -> dict:
    total: dict = {}
    for by_period in figures:
        for period, by_path in by_period.items():
            for path, numbers in by_path.items():
                kept = total.setdefault(period, {}).get(path)
                total[period][path] = (
                    list(numbers) if kept is None else [a + b for a, b in zip(kept, numbers, strict=True)]
                )
    return total


@contextlib.contextmanager
def counting_cases():
    """Add the kept figures' differences of the cases written inside the block once, when it ends (the
    recruitment import's rows: ``importers.RecruitmentImporter.writing``), instead of at every write.

    Each case's figures are read before its first write in the block and after the block, so a row
    rolled back to its savepoint since changes nothing. Use it inside the transaction of the writes;
    nested blocks add when the outermost ends; an error leaves the block without adding (the
    transaction is being rolled back)."""
    if _pending.get() is not None:
        yield
        return
    pending: dict[int, tuple[dict, dict]] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if pending:
        after = figures_of(pending)
        before = tuple(_summed(figures[part] for figures in pending.values()) for part in (0, 1))
        count_case(before, after)


def recount_people(org_ids: set[int], new_member_ids: list[int] | None = None) -> None:
    """members.services' change hook: recount the people on the path on these orgs' rolls (the people
    source's own count over the orgs' records), inside the caller's transaction, and add the difference
    to the subtree rows. Called for every write of member records, one at a time or at the end of a
    bulk import (then with the orgs of the records created)."""
    if not org_ids:
        return
    order = sorted((category, org_id) for org_id in org_ids for category in indicators.PATH_CATEGORIES)

    def count() -> dict[tuple, list[int]]:
        counted = indicators.people_counts(Member.objects.filter(org_id__in=listed(org_ids)))
        return {(row["category"], row["org_id"]): [row["people"]] for row in counted}

    recount_direct_rows(OnPathRollup, OnPathSubtreeRollup, indicators.PEOPLE_NAMES, order, count)


def rebuild_recruitment_rollups() -> int:
    """Every development roll-up row again from the member records, cases, steps and votes (``manage.py
    rebuild_rollups``, which audits it; the demo after inserting its records directly): the direct rows of
    the people on the path by one INSERT … SELECT, the subtree rows by one per depth and table. Answers
    the rows written."""

    def people_rows(depth: int) -> tuple[str, tuple]:
        return (
            f"SELECT r.org_id, r.category, r.people FROM {OnPathRollup._meta.db_table} r "
            f"JOIN {Org._meta.db_table} d ON d.id = r.org_id WHERE d.depth = %s",
            (depth,),
        )

    def case_rows(depth: int) -> tuple[str, tuple]:
        counts = indicators.case_counts(Recruitment.objects.filter(org__depth=depth))
        return counts.values("org_id", "last_step", "open_cases").query.sql_with_params()

    def month_rows(depth: int) -> tuple[str, tuple]:
        steps, step_params = (
            indicators.step_counts(Step.objects.filter(org__depth=depth))
            .values("org_id", "month", *indicators.STEP_NAMES)
            .query.sql_with_params()
        )
        votes, vote_params = (
            indicators.vote_counts(Vote.objects.filter(org__depth=depth))
            .values("org_id", "month", *indicators.VOTE_NAMES)
            .query.sql_with_params()
        )

        return (
            f"SELECT s.org_id AS org_id, s.month AS month, {union_side('s', indicators.STEP_NAMES, indicators.MONTH_NAMES)} FROM ({steps}) s "
            f"UNION ALL SELECT v.org_id, v.month, {union_side('v', indicators.VOTE_NAMES, indicators.MONTH_NAMES)} FROM ({votes}) v",
            (*step_params, *vote_params),
        )

    models = [OnPathRollup, OnPathSubtreeRollup, CaseStageRollup, RecruitmentMonthRollup]
    with rebuilding([model._meta.db_table for model in models]), connection.cursor() as cursor:
        people, params = (
            indicators.people_counts(Member.objects.all())
            .values("org_id", "category", "people")
            .query.sql_with_params()
        )
        cursor.execute(
            f"INSERT INTO {OnPathRollup._meta.db_table} (org_id, category, people) "
            f"SELECT p.org_id, p.category, p.people FROM ({people}) p",
            params,
        )
        written = cursor.rowcount
        written += insert_subtrees(OnPathSubtreeRollup, indicators.PEOPLE_NAMES, people_rows)
        written += insert_subtrees(CaseStageRollup, indicators.CASE_NAMES, case_rows)
        return written + insert_subtrees(RecruitmentMonthRollup, indicators.MONTH_NAMES, month_rows)


def rollup_differences() -> list[str]:
    """Where the kept development roll-ups disagree with the member records, cases, steps and votes: a
    Chinese line per org, category, last step or month, and figure (``manage.py rebuild_rollups`` prints
    them)."""
    paths = dict(Org.objects.values_list("pk", "path").iterator(chunk_size=20000))
    people = indicators.people_rows(Member.objects.all())
    labels = dict(Category.choices)
    found = []
    kept = {
        (category, org_id): count
        for org_id, category, count in OnPathRollup.objects.values_list(
            "org_id", "category", "people"
        ).iterator(chunk_size=5000)
    }
    pks = {path: pk for pk, path in paths.items()}
    live = {
        (category, pks[path]): values[0]
        for category, by_path in people.items()
        for path, values in by_path.items()
    }
    for category, org_id in sorted(set(kept) | set(live)):
        have, want = kept.get((category, org_id), 0), live.get((category, org_id), 0)
        if have != want:
            found.append(
                f"党组织 {org_id} 本级{labels.get(category, category)}的 people:汇总 {have},实际 {want}"
            )
    what = {
        OnPathSubtreeRollup: lambda category: f"{labels.get(category, category)}子树",
        CaseStageRollup: "已完成第{}步的进行中纪实".format,
        RecruitmentMonthRollup: "{:%Y年%m月}发展党员步骤和表决".format,
    }
    return (
        found
        + differences_by_period(
            people, OnPathSubtreeRollup, indicators.PEOPLE_NAMES, what[OnPathSubtreeRollup], paths
        )
        + differences_by_period(
            indicators.case_rows(Recruitment.objects.all()),
            CaseStageRollup,
            indicators.CASE_NAMES,
            what[CaseStageRollup],
            paths,
        )
        + differences_by_period(
            indicators.month_rows(Step.objects.all(), Vote.objects.all()),
            RecruitmentMonthRollup,
            indicators.MONTH_NAMES,
            what[RecruitmentMonthRollup],
            paths,
        )
    )


def on_org_moved(actor: Actor, org: Org, old_path: str) -> None:
    """orgs.services' move hook: the moved subtree's development rows take the new paths, and its totals
    leave the old ancestors for the new ones."""
    move_subtree(OnPathSubtreeRollup, indicators.PEOPLE_NAMES, org, old_path)
    move_subtree(CaseStageRollup, indicators.CASE_NAMES, org, old_path)
    move_subtree(RecruitmentMonthRollup, indicators.MONTH_NAMES, org, old_path)


# --- annual plans ---------------------------------------------------------------------------------------


def parent_of(org: Org) -> Org | None:
    return Org.objects.filter(path=org.parent_path).first() if org.depth > 1 else None


@transaction.atomic
def set_plan(
    actor: Actor,
    org: Org,
    *,
    year: int,
    quota: int,
    under_35_share=None,
    college_share=None,
    frontline_share=None,
    note: str = "",
) -> AnnualPlan:
    """The upper org sets (or changes) a subordinate's development quota for a year."""
    upper = parent_of(org)
    member_services.require_change(actor, upper or org, "下达发展党员计划")
    raise_blocking(temporary_branch_restriction(org.kind, "recruitment"), "org")
    if not 2000 <= int(year) <= 2100:
        raise ServiceError("年度不正确。", field="year")
    if quota is None or int(quota) < 0:
        raise ServiceError("计划发展数不能为负数。", field="quota")
    shares = {
        "under_35_share": under_35_share,
        "college_share": college_share,
        "frontline_share": frontline_share,
    }
    for name, value in shares.items():
        if value is not None and not 0 <= value <= 100:
            raise ServiceError("结构目标占比应在0至100之间。", field=name)
    plan = AnnualPlan.objects.select_for_update().filter(org=org, year=year).first()
    before = plan_state(plan) if plan else None
    if plan is None:
        plan = AnnualPlan(org=org, year=year)
    plan.quota = int(quota)
    for name, value in shares.items():
        setattr(plan, name, value)
    plan.note = (note or "").strip()[:200]
    plan.set_by = actor.user
    plan.save()
    audit.record(actor, "recruitment.plan", plan, org=org, before=before, after=plan_state(plan))
    return plan


def plan_state(plan: AnnualPlan) -> dict:
    return {
        "org_id": plan.org_id,
        "year": plan.year,
        "quota": plan.quota,
        "under_35_share": plan.under_35_share,
        "college_share": plan.college_share,
        "frontline_share": plan.frontline_share,
    }
