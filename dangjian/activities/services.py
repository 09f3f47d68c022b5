"""Every write of the activities module: checks, the record, the attendance and the audit entry, atomically.

Each service takes an ``Actor``, checks that the actor may change records of the host org, applies the
rules of ``activities/rules.py`` (a ``block`` finding refuses the write with its message, e.g. the
no-back-filling lock), and calls ``audit.record`` inside the same transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import DateField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from dangjian.accounts.roles import Role
from dangjian.activities import indicators, rules
from dangjian.activities.models import (
    Activity,
    ActivityAttachment,
    ActivityKind,
    ActivityOrg,
    ActivityStatus,
    AgendaItem,
    AppliesTo,
    Attendance,
    AttendanceRollup,
    AttendanceStatus,
    AttendanceSubtreeRollup,
    BackfillUnlock,
    CheckInMethod,
    ComplianceRule,
    Frequency,
    HeldRollup,
    KindCategory,
    Trainee,
    TrainingClass,
)
from dangjian.core import audit
from dangjian.core.access import CHANGE, has_system_role, path_in_scope, scopes_for, subtree_q
from dangjian.core.audit import Actor
from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.rules import Finding, blocking
from dangjian.members import services as member_services
from dangjian.members.models import PARTY_MEMBER_CATEGORIES, Category, Member
from dangjian.orgs.models import Group, GroupMember, Org, OrgStatus
from dangjian.reports.registry import STEPLEN
from dangjian.reports.subtrees import (
    add_differences,
    differences_by_period,
    insert_subtrees,
    move_subtree,
    rebuilding,
)

CHECKIN_SALT = "dangjian.activities.checkin"
TEXT_FIELDS = {
    "place": ("地点", 120),
    "topic": ("主题", 200),
    "host": ("主持人", 50),
    "recorder": ("记录人", 50),
    "lecturer": ("授课人", 50),
    "minutes": ("会议记录", 20000),
    "resolutions": ("决议", 20000),
}


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS_BYTES = 30 * 1024 * 1024


def today() -> date:
    return timezone.localdate()


@dataclass
class Attachment:
    """An uploaded file on its way into an activity's record."""

    name: str
    content_type: str
    content: bytes


def _add_attachments(actor: Actor, activity: Activity, attachments: Iterable[Attachment] | None) -> list[str]:
    """Keep the files with the activity; each at most 10MB, an activity's files at most 30MB together."""
    attachments = [a for a in attachments or () if a is not None]
    if not attachments:
        return []
    stored = sum(activity.attachments.values_list("size", flat=True))
    for item in attachments:
        if len(item.content) > MAX_ATTACHMENT_BYTES:
            raise ServiceError(f"附件“{item.name}”超过10MB。", field="attachments")
        if not len(item.content):
            raise ServiceError(f"附件“{item.name}”是空文件。", field="attachments")
        stored += len(item.content)
    if stored > MAX_ATTACHMENTS_BYTES:
        raise ServiceError("一次活动的附件合计不能超过30MB。", field="attachments")
    ActivityAttachment.objects.bulk_create(
        [
            ActivityAttachment(
                activity=activity,
                name=(item.name or "附件").strip()[:200],
                content_type=(item.content_type or "application/octet-stream")[:100],
                size=len(item.content),
                content=item.content,
                uploaded_by=actor.user,
            )
            for item in attachments
        ]
    )
    return [item.name for item in attachments]


# --- checks ---------------------------------------------------------------------------------------------


def require_change(actor: Actor, org: Org, what: str = "登记组织生活") -> None:
    if actor.is_system:
        return
    if not path_in_scope(actor.user, org.path, CHANGE):
        raise NotPermitted(f"您没有在“{org.name}”{what}的权限。")


def raise_blocking(findings: list[Finding], field_name: str | None) -> None:
    blocked = blocking(findings)
    if blocked:
        raise ServiceError(blocked[0].message, field=field_name, details={"rule": blocked[0].rule_id})


def _text(value, name: str, required: bool = False) -> str:
    label, max_length = TEXT_FIELDS[name]
    value = ("" if value is None else str(value)).strip()
    if required and not value:
        raise ServiceError(f"{label}不能为空。", field=name)
    if len(value) > max_length:
        raise ServiceError(f"{label}不能超过{max_length}个字。", field=name)
    return value


def _hours(value, name: str = "study_hours", label: str = "学时") -> Decimal:
    try:
        hours = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation as exc:
        raise ServiceError(f"{label}“{value}”不是数字。", field=name) from exc
    if hours < 0 or hours > 999:
        raise ServiceError(f"{label}应在0到999之间。", field=name)
    return hours.quantize(Decimal("0.1"))


def unlocked_from(org: Org, on: date) -> date | None:
    """The earliest date an unlock in force on ``on`` lets this org record (None without one)."""
    unlock = (
        BackfillUnlock.objects.filter(org=org, valid_until__gte=on)
        .order_by("earliest")
        .values_list("earliest", flat=True)
        .first()
    )
    return unlock


def check_backfill(org: Org, held_on: date, status: str) -> None:
    """No back-filling: a held activity dated before the window needs an unlock (plans are never late)."""
    if status != ActivityStatus.HELD:
        return
    day = today()
    raise_blocking(
        rules.backfill_findings(held_on, day, settings.ACTIVITY_BACKFILL_DAYS, unlocked_from(org, day)),
        "held_on",
    )


def activity_state(activity: Activity) -> dict:
    return {
        "org_id": activity.org_id,
        "group_id": activity.group_id,
        "kind": activity.kind.code,
        "status": activity.status,
        "held_on": activity.held_on,
        "starts_at": activity.starts_at.isoformat() if activity.starts_at else None,
        "ends_at": activity.ends_at.isoformat() if activity.ends_at else None,
        "place": activity.place,
        "topic": activity.topic,
        "host": activity.host,
        "recorder": activity.recorder,
        "lecturer": activity.lecturer,
        "lecturer_is_secretary": activity.lecturer_is_secretary,
        "study_hours": activity.study_hours,
        "quorum": activity.quorum,
        "partners": sorted(activity.parties.exclude(org_id=activity.org_id).values_list("org_id", flat=True)),
        "agenda": [(a.title, a.first_topic) for a in activity.agenda.all()],
    }


# --- who should attend ----------------------------------------------------------------------------------


def expected_members(org: Org, group: Group | None, on: date) -> list[Member]:
    """Who should attend (应到): the group's members on that day, or the org's probationary and full members
    of record who are on the roll."""
    if group is not None:
        ids = (
            GroupMember.objects.filter(group=group, member__isnull=False)
            .filter(Q(joined_on__isnull=True) | Q(joined_on__lte=on))
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
            .values("member_id")
        )
        members = Member.objects.filter(pk__in=ids, on_roll=True, category__in=PARTY_MEMBER_CATEGORIES)
    else:
        members = Member.objects.filter(org=org, on_roll=True, category__in=PARTY_MEMBER_CATEGORIES)
    return list(members.only("pk", "org_id", "category").order_by("name_initials", "pk"))


def _fill_attendance(activity: Activity, orgs: Iterable[Org]) -> None:
    seen: set[int] = set()
    rows = []
    group = activity.group
    for org in orgs:
        for member in expected_members(org, group if org.pk == activity.org_id else None, activity.held_on):
            if member.pk in seen:
                continue
            seen.add(member.pk)
            rows.append(
                Attendance(
                    activity=activity,
                    member=member,
                    org_id=member.org_id,
                    voting=member.category == Category.FULL,
                )
            )
        if group is not None:
            break  # a group meeting is the group's alone
    Attendance.objects.bulk_create(rows)


def attendance_counts(activity: Activity) -> dict:
    """应到, 实到, 请假, 缺席, 未签到 and the voting members expected and present (for the quorum)."""
    counts = {s: 0 for s in AttendanceStatus.values}
    voting_expected = voting_present = 0
    for status, voting in activity.attendance.values_list("status", "voting"):
        counts[status] += 1
        if voting:
            voting_expected += 1
            voting_present += status == AttendanceStatus.PRESENT
    counts["total"] = sum(counts[s] for s in AttendanceStatus.values)
    counts["voting_expected"] = voting_expected
    counts["voting_present"] = voting_present
    return counts


def _update_quorum(activity: Activity) -> None:
    if not activity.kind.needs_quorum or activity.status != ActivityStatus.HELD:
        quorum = None
    else:
        counts = attendance_counts(activity)
        quorum = rules.has_quorum(counts["voting_expected"], counts["voting_present"])
    if quorum != activity.quorum:
        activity.quorum = quorum
        activity.save(update_fields=["quorum"])


# --- activities -----------------------------------------------------------------------------------------


def _clean_kind(kind) -> ActivityKind:
    if isinstance(kind, ActivityKind):
        return kind
    found = ActivityKind.objects.filter(Q(code=kind) | Q(name=kind)).first() if kind else None
    if found is None:
        raise ServiceError(f"活动类型“{kind or ''}”不存在。", field="kind")
    if not found.active:
        raise ServiceError(f"活动类型“{found.name}”已停用。", field="kind")
    return found


def _clean_group(org: Org, group) -> Group | None:
    if group in (None, ""):
        return None
    group = group if isinstance(group, Group) else Group.objects.filter(pk=group).first()
    if group is None or group.org_id != org.pk:
        raise ServiceError(f"党小组不属于“{org.name}”。", field="group")
    return group


def _clean_partners(actor: Actor, org: Org, partners) -> list[Org]:
    cleaned = []
    for partner in partners or []:
        if not isinstance(partner, Org):
            found = Org.objects.filter(pk=partner).first()
            if found is None or not (actor.is_system or path_in_scope(actor.user, found.path)):
                raise ServiceError("联合开展的党组织不存在或不在您的权限范围内。", field="partners")
            partner = found
        elif not (actor.is_system or path_in_scope(actor.user, partner.path)):
            raise ServiceError("联合开展的党组织不存在或不在您的权限范围内。", field="partners")
        if partner.pk != org.pk and partner not in cleaned:
            if partner.status != OrgStatus.ACTIVE:
                raise ServiceError(f"“{partner.name}”已撤销,不能联合开展活动。", field="partners")
            cleaned.append(partner)
    return cleaned


def _clean_times(starts_at: time | None, ends_at: time | None) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        raise ServiceError("结束时间应晚于开始时间。", field="ends_at")


def _set_agenda(activity: Activity, agenda) -> None:
    activity.agenda.all().delete()
    items = []
    for position, item in enumerate(agenda or [], start=1):
        title = str((item.get("title") if isinstance(item, dict) else item) or "").strip()
        if not title:
            continue
        if len(title) > 200:
            raise ServiceError("议题不能超过200个字。", field="agenda")
        items.append(
            AgendaItem(
                activity=activity,
                position=position,
                title=title,
                first_topic=bool(item.get("first_topic")) if isinstance(item, dict) else False,
            )
        )
    AgendaItem.objects.bulk_create(items)


@transaction.atomic
def record_activity(
    actor: Actor,
    *,
    org: Org,
    kind,
    held_on: date,
    topic: str,
    status: str = ActivityStatus.HELD,
    group=None,
    starts_at: time | None = None,
    ends_at: time | None = None,
    place: str = "",
    host: str = "",
    recorder: str = "",
    lecturer: str = "",
    lecturer_is_secretary: bool = False,
    minutes: str = "",
    resolutions: str = "",
    study_hours=None,
    agenda: list | None = None,
    partners: Iterable | None = None,
    attachments: Iterable[Attachment] | None = None,
) -> Activity:
    """Record an activity held (or plan one): its host org, partners, agenda and the list of who should
    attend, filled from the members of the org (or group) on its date."""
    org = Org.objects.get(pk=org.pk)
    require_change(actor, org)
    if org.status != OrgStatus.ACTIVE:
        raise ServiceError(f"“{org.name}”已撤销,不能登记组织生活。", field="org")
    kind = _clean_kind(kind)
    if not isinstance(held_on, date):
        raise ServiceError("请填写活动日期。", field="held_on")
    if status not in ActivityStatus.values or status == ActivityStatus.CANCELLED:
        raise ServiceError("新登记的活动只能是“计划”或“已召开”。", field="status")
    if status == ActivityStatus.HELD and held_on > today():
        raise ServiceError("活动日期在今天之后,请登记为“计划”。", field="held_on")
    check_backfill(org, held_on, status)
    _clean_times(starts_at, ends_at)
    group = _clean_group(org, group)
    partners = _clean_partners(actor, org, partners)
    activity = Activity.objects.create(
        org=org,
        group=group,
        kind=kind,
        status=status,
        held_on=held_on,
        starts_at=starts_at,
        ends_at=ends_at,
        place=_text(place, "place"),
        topic=_text(topic, "topic", required=True),
        host=_text(host, "host"),
        recorder=_text(recorder, "recorder"),
        lecturer=_text(lecturer, "lecturer"),
        lecturer_is_secretary=bool(lecturer_is_secretary),
        minutes=_text(minutes, "minutes"),
        resolutions=_text(resolutions, "resolutions"),
        study_hours=kind.default_study_hours if study_hours in (None, "") else _hours(study_hours),
        recorded_by=actor.user,
    )
    ActivityOrg.objects.bulk_create([ActivityOrg(activity=activity, org=o) for o in [org, *partners]])
    _set_agenda(activity, agenda)
    _fill_attendance(activity, [org, *partners])
    _update_quorum(activity)
    recount_attendance([activity.pk])
    count_held({}, held_of(activity))
    files = _add_attachments(actor, activity, attachments)
    audit.record(
        actor,
        "activities.record",
        activity,
        org=org,
        after={**activity_state(activity), "attachments": files},
    )
    return activity


EDITABLE = (
    "held_on",
    "starts_at",
    "ends_at",
    "place",
    "topic",
    "host",
    "recorder",
    "lecturer",
    "lecturer_is_secretary",
    "minutes",
    "resolutions",
    "study_hours",
    "kind",
    "status",
)


@transaction.atomic
def update_activity(
    actor: Actor, activity: Activity, *, agenda=None, partners=None, attachments=None, **changes
) -> Activity:
    """Correct or complete an activity (a plan becomes held, the minutes are added …); the lock applies to
    both the old and the new date."""
    activity = Activity.objects.select_for_update().select_related("org", "kind").get(pk=activity.pk)
    require_change(actor, activity.org)
    before = activity_state(activity)
    counted_before = held_of(activity)
    check_backfill(activity.org, activity.held_on, activity.status)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"不能修改:{', '.join(sorted(unknown))}。")
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            value = _text(value, name, required=name == "topic")
        elif name == "study_hours":
            value = _hours(value)
        elif name == "kind":
            value = _clean_kind(value)
        elif name == "lecturer_is_secretary":
            value = bool(value)
        elif name == "status" and value not in ActivityStatus.values:
            raise ServiceError("活动状态不正确。", field="status")
        setattr(activity, name, value)
    if activity.status == ActivityStatus.HELD and activity.held_on > today():
        raise ServiceError("活动日期在今天之后,请登记为“计划”。", field="held_on")
    _clean_times(activity.starts_at, activity.ends_at)
    check_backfill(activity.org, activity.held_on, activity.status)
    activity.save()
    if agenda is not None:
        _set_agenda(activity, agenda)
    if partners is not None:
        partners = _clean_partners(actor, activity.org, partners)
        activity.parties.exclude(org=activity.org).exclude(org__in=partners).delete()
        existing = set(activity.parties.values_list("org_id", flat=True))
        new = [p for p in partners if p.pk not in existing]
        ActivityOrg.objects.bulk_create([ActivityOrg(activity=activity, org=p) for p in new])
        if new:
            _add_missing_attendance(activity, new)
    _update_quorum(activity)
    recount_attendance([activity.pk])
    count_held(counted_before, held_of(activity))
    files = _add_attachments(actor, activity, attachments)
    audit.record(
        actor,
        "activities.update",
        activity,
        org=activity.org,
        before=before,
        after={**activity_state(activity), **({"attachments_added": files} if files else {})},
    )
    return activity


def _add_missing_attendance(activity: Activity, orgs: list[Org]) -> None:
    present = set(activity.attendance.values_list("member_id", flat=True))
    rows = [
        Attendance(activity=activity, member=m, org_id=m.org_id, voting=m.category == Category.FULL)
        for org in orgs
        for m in expected_members(org, None, activity.held_on)
        if m.pk not in present
    ]
    Attendance.objects.bulk_create(rows)


@transaction.atomic
def cancel_activity(actor: Actor, activity: Activity, *, reason: str = "") -> Activity:
    """A planned activity that will not take place: kept, marked cancelled (never deleted)."""
    activity = Activity.objects.select_for_update().select_related("org", "kind").get(pk=activity.pk)
    require_change(actor, activity.org)
    if activity.status != ActivityStatus.PLANNED:
        raise ConflictError("只有计划中的活动可以取消;已召开的活动请修改记录。")
    before = activity_state(activity)
    activity.status = ActivityStatus.CANCELLED
    activity.save(update_fields=["status"])
    recount_attendance([activity.pk])
    after = activity_state(activity) | {"reason": reason}
    audit.record(actor, "activities.cancel", activity, org=activity.org, before=before, after=after)
    return activity


# --- attendance -----------------------------------------------------------------------------------------


@transaction.atomic
def mark_attendance(actor: Actor, activity: Activity, marks: dict) -> dict:
    """The secretary marks attendance: ``marks`` maps a member id to ``status`` or ``(status, reason)``.
    A leave needs its reason. Returns the new counts."""
    activity = Activity.objects.select_for_update().select_related("org", "kind").get(pk=activity.pk)
    require_change(actor, activity.org, "登记出勤")
    if activity.status == ActivityStatus.CANCELLED:
        raise ConflictError("活动已取消,不能登记出勤。")
    check_backfill(activity.org, activity.held_on, activity.status)
    rows = {row.member_id: row for row in activity.attendance.select_related("member")}
    before = {str(k): r.status for k, r in rows.items()}
    changed = []
    for member_id, mark in marks.items():
        status, reason = (mark, "") if isinstance(mark, str) else mark
        row = rows.get(int(member_id))
        if row is None:
            raise ServiceError("该党员不在本次活动的应到名单中。", field="attendance")
        if status not in AttendanceStatus.values:
            raise ServiceError(f"“{row.member.name}”的出勤情况不正确。", field="attendance")
        reason = (reason or "").strip()[:200]
        if status == AttendanceStatus.ON_LEAVE and not reason:
            raise ServiceError(f"“{row.member.name}”请假,请填写请假事由。", field="attendance")
        if status != AttendanceStatus.ON_LEAVE:
            reason = ""
        if (row.status, row.reason) == (status, reason):
            continue
        if status == AttendanceStatus.PRESENT and row.status != AttendanceStatus.PRESENT:
            row.checked_in_at, row.method = timezone.now(), CheckInMethod.MARKED
        elif status != AttendanceStatus.PRESENT:
            row.checked_in_at, row.method = None, ""
        row.status, row.reason = status, reason
        changed.append(row)
    Attendance.objects.bulk_update(changed, ["status", "reason", "checked_in_at", "method"])
    _update_quorum(activity)
    recount_attendance([activity.pk])
    counts = attendance_counts(activity)
    audit.record(
        actor,
        "activities.attendance",
        activity,
        org=activity.org,
        before={"attendance": before},
        after={"attendance": {str(r.member_id): r.status for r in rows.values()}, "quorum": activity.quorum},
    )
    return counts


def checkin_token(activity: Activity) -> str:
    """The signed token the activity's QR code carries (it names the activity and nothing else)."""
    return signing.dumps({"activity": activity.pk}, salt=CHECKIN_SALT, compress=True)


def activity_id_from_token(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=CHECKIN_SALT)["activity"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


@transaction.atomic
def check_in(actor: Actor, activity: Activity, now: datetime | None = None) -> Attendance:
    """A member checks in by scanning the activity's QR code: only within its window, only if expected."""
    member = member_services.member_of(actor.user)
    if member is None:
        raise ServiceError("您的账号尚未关联党员档案,请联系党支部书记。")
    activity = Activity.objects.select_for_update().select_related("org", "kind").get(pk=activity.pk)
    if activity.status == ActivityStatus.CANCELLED:
        raise ConflictError("活动已取消。")
    row = activity.attendance.filter(member=member).first()
    if row is None:
        raise ServiceError("您不在本次活动的应到名单中。")
    now = now or timezone.now()
    opens, closes = activity.checkin_window()
    if not opens <= now <= closes:
        local = timezone.localtime
        raise ServiceError(
            f"不在签到时间内:签到时间为{local(opens):%Y-%m-%d %H:%M}至{local(closes):%H:%M}。",
            field="check_in",
        )
    if row.status == AttendanceStatus.PRESENT:
        return row
    before = {"status": row.status}
    row.status, row.reason, row.checked_in_at, row.method = (
        AttendanceStatus.PRESENT,
        "",
        now,
        CheckInMethod.QR,
    )
    row.save(update_fields=["status", "reason", "checked_in_at", "method"])
    if activity.status == ActivityStatus.PLANNED:
        counted_before = held_of(activity)
        activity.status = ActivityStatus.HELD
        activity.save(update_fields=["status"])
        count_held(counted_before, held_of(activity))
    _update_quorum(activity)
    recount_attendance([activity.pk])
    audit.record(
        actor, "activities.check_in", row, org=activity.org, before=before, after={"status": row.status}
    )
    return row


# --- no back-filling ------------------------------------------------------------------------------------


def may_unlock(user, org: Org) -> bool:
    """Unlocking is for a supervisor: someone who may change records of the org's parent."""
    parent = org.get_parent()
    return parent is not None and path_in_scope(user, parent.path, CHANGE)


@transaction.atomic
def grant_unlock(actor: Actor, org: Org, *, earliest: date, valid_until: date, reason: str) -> BackfillUnlock:
    """An upper org lets ``org`` record activities dated from ``earliest`` on, until ``valid_until``."""
    if not actor.is_system and not may_unlock(actor.user, org):
        raise NotPermitted(f"补录解锁须由“{org.name}”的上级党组织办理。")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写解锁事由。", field="reason")
    if not isinstance(earliest, date) or earliest > today():
        raise ServiceError("可补录的最早日期不正确。", field="earliest")
    if not isinstance(valid_until, date) or valid_until < today():
        raise ServiceError("解锁有效期不能早于今天。", field="valid_until")
    unlock = BackfillUnlock.objects.create(
        org=org, earliest=earliest, valid_until=valid_until, reason=reason[:200], granted_by=actor.user
    )
    audit.record(
        actor,
        "activities.unlock",
        unlock,
        org=org,
        after={"earliest": earliest, "valid_until": valid_until, "reason": unlock.reason},
    )
    return unlock


# --- training classes -----------------------------------------------------------------------------------


@transaction.atomic
def create_training_class(
    actor: Actor,
    *,
    org: Org,
    title: str,
    started_on: date,
    ended_on: date,
    hours,
    session: int = 1,
    place: str = "",
    trainees: Iterable = (),
) -> TrainingClass:
    """Record one session (期) of a training class with its trainees (member ids or names), each credited
    the class's hours."""
    require_change(actor, org, "登记培训班")
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise ServiceError("请填写培训班名称(不超过120字)。", field="title")
    if not isinstance(started_on, date) or not isinstance(ended_on, date) or ended_on < started_on:
        raise ServiceError("结业日期不能早于开班日期。", field="ended_on")
    check_backfill(org, ended_on, ActivityStatus.HELD)
    hours = _hours(hours, "hours")
    training = TrainingClass.objects.create(
        org=org,
        title=title,
        session=max(int(session or 1), 1),
        started_on=started_on,
        ended_on=ended_on,
        hours=hours,
        place=(place or "").strip()[:120],
    )
    _add_trainees(actor, training, trainees)
    audit.record(
        actor,
        "activities.training_class",
        training,
        org=org,
        after={
            "title": title,
            "session": training.session,
            "hours": hours,
            "trainees": training.trainees.count(),
        },
    )
    return training


def _add_trainees(actor: Actor, training: TrainingClass, trainees: Iterable) -> None:
    rows, seen = [], set()
    visible = Member.objects.visible_to(actor.user) if not actor.is_system else Member.objects.all()
    for trainee in trainees:
        if isinstance(trainee, int) or (isinstance(trainee, str) and trainee.isdigit()):
            member = visible.filter(pk=int(trainee)).first()
            if member is None:
                raise ServiceError("学员不存在或不在您的权限范围内。", field="trainees")
            if member.pk in seen:
                continue
            seen.add(member.pk)
            rows.append(
                Trainee(training_class=training, member=member, name=member.name, hours=training.hours)
            )
        else:
            name = str(trainee).strip()[:50]
            if name:
                rows.append(Trainee(training_class=training, name=name, hours=training.hours))
    Trainee.objects.bulk_create(rows)


# --- code tables ----------------------------------------------------------------------------------------


def may_edit_code_tables(user) -> bool:
    """An organization department admin at a top org (or a system administrator): the pages show the forms."""
    if user is None or not user.is_authenticated:
        return False
    try:
        require_code_table_admin(Actor(user=user, via="page"))
    except NotPermitted:
        return False
    return True


def require_code_table_admin(actor: Actor) -> None:
    """Kinds and frequencies are changed by an organization department admin at a top org, or a command."""
    if actor.is_system or has_system_role(actor.user, Role.SYSTEM_ADMIN):
        return
    top = [s for s in scopes_for(actor.user) if s.can_change and len(s.path) <= 4]
    if not top:
        raise NotPermitted("只有组织部管理员可以维护活动类型和频次要求。")


@transaction.atomic
def add_kind(actor: Actor, *, code: str, name: str, category: str, default_study_hours=0) -> ActivityKind:
    require_code_table_admin(actor)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not code.replace("_", "").isalnum() or not code.isascii():
        raise ServiceError("代码只能由英文字母、数字和下划线组成。", field="code")
    if not name:
        raise ServiceError("请填写名称。", field="name")
    if category not in KindCategory.values:
        raise ServiceError("类别不正确。", field="category")
    if ActivityKind.objects.filter(Q(code=code) | Q(name=name)).exists():
        raise ConflictError(f"活动类型“{name}”或代码“{code}”已存在。", field="code")
    last = ActivityKind.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
    kind = ActivityKind.objects.create(
        code=code,
        name=name,
        category=category,
        default_study_hours=_hours(default_study_hours, "default_study_hours"),
        sort_order=last + 10,
    )
    audit.record(actor, "activities.add_kind", kind, after={"code": code, "name": name, "category": category})
    return kind


@transaction.atomic
def add_compliance_rule(
    actor: Actor,
    *,
    kind,
    frequency: str,
    applies_to: str,
    effective_from: date,
    label: str,
    source: str,
    times: int = 1,
    secretary_lecturer: bool = False,
) -> ComplianceRule:
    """A new version of a frequency rule: the previous rule for the same kind and orgs ends the day it starts."""
    require_code_table_admin(actor)
    kind = _clean_kind(kind)
    if frequency not in Frequency.values:
        raise ServiceError("频次不正确。", field="frequency")
    if applies_to not in AppliesTo.values:
        raise ServiceError("适用对象不正确。", field="applies_to")
    if not isinstance(effective_from, date):
        raise ServiceError("请填写生效日期。", field="effective_from")
    if not (label or "").strip() or not (source or "").strip():
        raise ServiceError("请填写要求名称和依据。", field="label")
    ComplianceRule.objects.filter(
        kind=kind,
        applies_to=applies_to,
        secretary_lecturer=secretary_lecturer,
        effective_until__isnull=True,
        effective_from__lt=effective_from,
    ).update(effective_until=effective_from)
    rule = ComplianceRule.objects.create(
        kind=kind,
        frequency=frequency,
        applies_to=applies_to,
        effective_from=effective_from,
        label=label.strip()[:60],
        source=source.strip()[:200],
        times=max(int(times), 1),
        secretary_lecturer=secretary_lecturer,
    )
    audit.record(
        actor,
        "activities.add_rule",
        rule,
        after={
            "kind": kind.code,
            "frequency": frequency,
            "applies_to": applies_to,
            "effective_from": effective_from,
        },
    )
    return rule


@transaction.atomic
def remove_imported_activity(actor: Actor, activity: Activity) -> None:
    """Undo of an import batch: the activity was never real, so it goes with its attendance (audited)."""
    activity = Activity.objects.select_for_update().select_related("org", "kind").get(pk=activity.pk)
    require_change(actor, activity.org)
    before = activity_state(activity)
    audit.record(actor, "activities.import_undo", activity, org=activity.org, before=before)
    count_held(held_of(activity), {})
    forget_attendance(activity)
    activity.delete()


# --- the attendance roll-ups ----------------------------------------------------------------------------
#
# ``AttendanceRollup`` keeps each held activity's attendance counted per org of record, for the 人次 and
# 学时 indicators (activities.indicators.AttendanceCounts). Every service above that changes an activity
# or its attendance list recounts the activity's rows at its end, in its transaction; an activity taken
# back with its import loses them by CASCADE.


def _insert_rollups(attendance) -> int:
    """Write the roll-up rows of these attendance rows (a queryset) by one INSERT … SELECT; answers the
    rows written."""
    sql, params = indicators.rollup_counts(attendance).query.sql_with_params()
    columns = ", ".join(["activity_id", "org_id", *indicators.ROLLUP_COLUMNS])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {AttendanceRollup._meta.db_table} ({columns}) {sql}", params)
        return cursor.rowcount


def _contributions(rows) -> dict:
    """What these per-activity roll-up rows (a queryset) add to the attendance subtree rows."""
    return indicators.subtree_contributions(rows.order_by().values(*indicators.CONTRIBUTING))


def _add_contributions(before: dict, after: dict) -> None:
    """Add the difference of two ``_contributions`` to the subtree rows of each common org and of all
    its ancestors (one upsert)."""
    add_differences(before, after, AttendanceSubtreeRollup, indicators.SUBTREE_NAMES)


def recount_attendance(activity_ids: Iterable[int]) -> None:
    """Rewrite the roll-up rows of these activities from their attendance lists, and add the difference
    to the subtree rows (inside the caller's transaction, after the activity and its list are written)."""
    ids = sorted(set(activity_ids))
    rows = AttendanceRollup.objects.filter(activity_id__in=ids)
    before = _contributions(rows)
    rows.delete()
    _insert_rollups(Attendance.objects.filter(activity_id__in=ids))
    _add_contributions(before, _contributions(rows))


def forget_attendance(activity: Activity) -> None:
    """An activity about to be deleted (its import taken back): its attendance leaves the subtree rows
    (its per-activity rows go by CASCADE)."""
    _add_contributions(_contributions(AttendanceRollup.objects.filter(activity_id=activity.pk)), {})


def rebuild_attendance_rollups() -> int:
    """Every roll-up row again from the attendance lists (``manage.py rebuild_rollups``, which audits it;
    the demo after inserting its activities directly). Answers the rows written."""
    tables = [AttendanceRollup._meta.db_table, AttendanceSubtreeRollup._meta.db_table]
    with rebuilding(tables):
        written = _insert_rollups(Attendance.objects.all())
        return written + insert_subtrees(AttendanceSubtreeRollup, indicators.SUBTREE_NAMES, _common_rows)


def _common_rows(depth: int) -> tuple[str, tuple]:
    """The per-activity rows whose common org is at ``depth``, summed by that org, month and kind
    (``insert_subtrees``' own counts)."""
    sums = {name: Sum(name) for name in indicators.SUBTREE_NAMES}
    grouped = (
        AttendanceRollup.objects.filter(lca_depth=depth)
        .order_by()
        .annotate(
            common=Substr("path", 1, depth * STEPLEN), month=TruncMonth("held_on", output_field=DateField())
        )
        .values("common", "month", "kind_id")
        .annotate(**sums)
    )
    sql, params = grouped.query.sql_with_params()
    columns = ", ".join(f"g.{name}" for name in ("month", "kind_id", *indicators.SUBTREE_NAMES))
    return (
        f"SELECT o.id AS org_id, {columns} FROM ({sql}) g JOIN {Org._meta.db_table} o ON o.path = g.common",
        params,
    )


def on_org_moved(actor: Actor, org: Org, old_path: str) -> None:
    """orgs.services' move hook: the roll-up rows of the moved subtree's orgs take their new paths, and
    its totals leave the old ancestors for the new ones.

    Attendance across the subtree's edge (the member inside it and the host outside, or the reverse) has
    a new common org: it leaves the old one's subtree rows before the move of the totals and joins the
    new one's after. Attendance wholly inside moves with the subtree's own rows."""
    rows = AttendanceRollup.objects.all()
    inside, host_inside = subtree_q("path", old_path), subtree_q("host_path", old_path)
    across = rows.filter((inside & ~host_inside) | (~inside & host_inside))
    activity_ids = set(across.values_list("activity_id", flat=True))
    _add_contributions(_contributions(across), {})
    move_subtree(AttendanceSubtreeRollup, indicators.SUBTREE_NAMES, org, old_path)
    moved = Org.objects.filter(subtree_q("path", org.path)).values("pk")
    rows.filter(org_id__in=moved).update(
        path=Subquery(Org.objects.filter(pk=OuterRef("org_id")).values("path"))
    )
    rows.filter(host_id__in=moved).update(
        host_path=Subquery(Org.objects.filter(pk=OuterRef("host_id")).values("path"))
    )
    touched = rows.filter(Q(org_id__in=moved) | Q(host_id__in=moved))
    touched.update(lca_depth=indicators.common_depth("path", "host_path"))
    across = rows.filter(activity_id__in=activity_ids).filter(Q(org_id__in=moved) ^ Q(host_id__in=moved))
    _add_contributions({}, _contributions(across))
    move_subtree(HeldRollup, indicators.HELD_NAMES, org, old_path)


# --- the roll-ups of activities held ----------------------------------------------------------------------
#
# ``HeldRollup`` keeps the activities held per org's subtree, month and kind. Each service that changes
# what an activity counts (recorded, corrected, held by a check-in, taken back) reads what the activity
# counted before (``held_of``, after locking it) and after, and adds the difference to the rows of its
# host org and every ancestor (``count_held``). Cancelling a plan and marking attendance change nothing
# counted there. The activity's own row lock orders concurrent writers of one activity; the upsert adds
# the writers of different activities to the same rows without losing any.


def held_of(activity: Activity) -> dict[tuple, dict[str, list[int]]]:
    """What the activity counts now, as stored: {(month, kind id): {host path: [held, secretary_lectures]}}
    (nothing unless it is held). The registry's own filters, over the activity's one row."""
    return indicators.held_rows(Activity.objects.filter(pk=activity.pk))


def count_held(before: dict, after: dict) -> None:
    """Add the difference of what an activity counts (``held_of`` before and after a write) up the tree."""
    add_differences(before, after, HeldRollup, indicators.HELD_NAMES)


def rebuild_held_rollups() -> int:
    """Every held roll-up row again from the activities (``manage.py rebuild_rollups``, which audits it;
    the demo after inserting its activities directly): one INSERT … SELECT per depth. Answers the rows
    written."""

    def own_rows(depth: int) -> tuple[str, tuple]:
        counts = indicators.held_counts(Activity.objects.filter(org__depth=depth))
        return counts.values("org_id", "month", "kind_id", *indicators.HELD_NAMES).query.sql_with_params()

    with rebuilding([HeldRollup._meta.db_table]):
        return insert_subtrees(HeldRollup, indicators.HELD_NAMES, own_rows)


def held_differences() -> list[str]:
    """Where the kept held roll-ups disagree with the activities: a Chinese line per org, month, kind and
    count (``manage.py rebuild_rollups`` prints them)."""
    kinds = dict(ActivityKind.objects.values_list("pk", "name"))
    return differences_by_period(
        indicators.held_rows(Activity.objects.all()),
        HeldRollup,
        indicators.HELD_NAMES,
        lambda period: f"{period[0]:%Y年%m月}“{kinds.get(period[1], period[1])}”活动",
    )
