"""Importing activities with their attendance from a spreadsheet (one row per activity).

Attendance is given by name: 实到 lists the members present, 请假 the members on leave with their
reasons ("张三:外出务工、李四:生病"); everyone else expected is recorded absent. Each row goes through
services.record_activity and services.mark_attendance, so the no-back-filling lock applies to imports too.
"""

import re
from datetime import time

from dangjian.activities import services
from dangjian.activities.models import Activity, ActivityKind, AttendanceStatus
from dangjian.core.access import CHANGE
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.importing import Column, Importer, cell_text, parse_date, register
from dangjian.orgs.models import Org

COLUMNS = [
    Column("党组织编码", "org", required=True, help="主办党组织的组织编码"),
    Column("活动类型", "kind", required=True, help="如 支部党员大会、主题党日、警示教育"),
    Column("日期", "held_on", required=True),
    Column("主题", "topic", required=True),
    Column("开始时间", "starts_at", help="如 09:00"),
    Column("结束时间", "ends_at"),
    Column("地点", "place"),
    Column("主持人", "host"),
    Column("记录人", "recorder"),
    Column("授课人", "lecturer"),
    Column("第一议题", "first_topic"),
    Column("学时", "study_hours"),
    Column("实到", "present", help="实到党员姓名,用顿号分隔"),
    Column("请假", "on_leave", help="姓名:事由,用顿号分隔"),
]
SEPARATORS = re.compile(r"[、,,;;\s]+")
TIME_TEXT = re.compile(r"^(\d{1,2})[::](\d{2})(?::\d{2})?$")


def parse_time(value, field: str, label: str) -> time | None:
    text = cell_text(value).strip()
    if not text:
        return None
    match = TIME_TEXT.match(text)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    raise ServiceError(f"{label}“{text}”无法识别,请写作 09:00 这样的时间。", field=field)


def parse_leaves(text: str) -> dict[str, str]:
    """ "张三:外出务工、李四:生病" → {"张三": "外出务工", "李四": "生病"}; a leave needs its reason."""
    leaves = {}
    for part in re.split(r"[、;;\n]+", text):
        name, _, reason = part.replace("\uff1a", ":").partition(":")
        if not name.strip():
            continue
        if not reason.strip():
            raise ServiceError(f"请假党员“{name.strip()}”未写事由,请写作“姓名:事由”。", field="on_leave")
        leaves[name.strip()] = reason.strip()
    return leaves


@register
class ActivityImporter(Importer):
    kind = "activities"
    label = "组织生活"
    columns = COLUMNS
    upload_url_name = "activities:import"
    template_url_name = "activities:template"

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        code = cell_text(row["org"]).strip()
        orgs = Org.objects.all() if actor.is_system else Org.objects.visible_to(actor.user, CHANGE)
        org = orgs.filter(code=code).first() if code else None
        if org is None:
            raise ServiceError(f"党组织编码“{code}”对应的党组织不存在或无权操作。", field="org")
        kind_text = cell_text(row["kind"]).strip()
        kind = (
            ActivityKind.objects.filter(name=kind_text).first()
            or ActivityKind.objects.filter(code=kind_text).first()
        )
        if kind is None:
            raise ServiceError(f"活动类型“{kind_text}”不存在。", field="kind")
        first_topic = cell_text(row.get("first_topic")).strip()
        hours = cell_text(row.get("study_hours")).strip()
        return {
            "record": {
                "org": org,
                "kind": kind,
                "held_on": parse_date(row["held_on"], "held_on", "日期"),
                "topic": cell_text(row["topic"]),
                "starts_at": parse_time(row.get("starts_at"), "starts_at", "开始时间"),
                "ends_at": parse_time(row.get("ends_at"), "ends_at", "结束时间"),
                "place": cell_text(row.get("place")),
                "host": cell_text(row.get("host")),
                "recorder": cell_text(row.get("recorder")),
                "lecturer": cell_text(row.get("lecturer")),
                "study_hours": hours or None,
                "agenda": [{"title": first_topic, "first_topic": True}] if first_topic else [],
            },
            "present": [n for n in SEPARATORS.split(cell_text(row.get("present"))) if n],
            "on_leave": parse_leaves(cell_text(row.get("on_leave"))),
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> Activity:
        activity = services.record_activity(actor, **cleaned["record"])
        by_name: dict[str, list[int]] = {}
        for member_id, name in activity.attendance.values_list("member_id", "member__name"):
            by_name.setdefault(name, []).append(member_id)

        def one(name: str, field: str) -> int:
            ids = by_name.get(name, [])
            if len(ids) != 1:
                problem = "不在应到名单中" if not ids else "在应到名单中重名,请分开登记"
                raise ServiceError(f"“{name}”{problem}。", field=field)
            return ids[0]

        marks = {member_id: AttendanceStatus.ABSENT for ids in by_name.values() for member_id in ids}
        for name in cleaned["present"]:
            marks[one(name, "present")] = AttendanceStatus.PRESENT
        for name, reason in cleaned["on_leave"].items():
            marks[one(name, "on_leave")] = (AttendanceStatus.ON_LEAVE, reason)
        if cleaned["present"] or cleaned["on_leave"]:
            services.mark_attendance(actor, activity, marks)
        return activity

    def objects(self, ids: list[int]) -> list[Activity]:
        by_id = Activity.objects.in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def remove(self, actor: Actor, obj: Activity) -> None:
        services.remove_imported_activity(actor, obj)

    def template_notes(self) -> list[str]:
        names = "、".join(ActivityKind.objects.filter(active=True).values_list("name", flat=True))
        return [
            f"活动类型可填:{names}。",
            "应到名单按活动日期从党组织名册生成;实到、请假以外的应到党员记为缺席。",
            "日期早于录入期限的活动须先由上级党组织解锁。",
        ]
