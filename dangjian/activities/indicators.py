"""The figures of organizational life and education in the indicator registry (reports).

Activities are counted under their HOST org (``Activity.org``): a joint activity counts once, at the org
that held it, so a subtree's figure is the sum of its subordinates' figures and a joint activity of two
branches of the same committee is not counted twice at the committee. (Compliance, which judges each
org, still counts a joint activity for every org taking part.) Attendance (人次) is counted under the
org of record the member had when the attendance list was filled (``Attendance.org``). Only activities
held (status 已召开) and dated in the period count. Training classes count by their start date, under
the org running them; trainees with their class.

Activity kinds are a code table: the kinds seeded from GLOSSARY.md are registered one by one below;
a kind an administrator adds later is answered by ``kind_indicator`` through the registry's resolver,
so ``activities.kind.<code>`` exists for every kind.

The 人次 and 学时 indicators of attendance are answered from ``AttendanceRollup`` (one row per held
activity and org of record, kept by the services) through the registry's accelerator ``AttendanceCounts``:
a city's year at its root is then a few thousand rows instead of ~480,000 attendance rows joined to
their orgs (bench/README.md, ## Statistics).
"""

from datetime import date
from decimal import Decimal
from functools import cache

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length, Substr, TruncMonth
from django.db.models.lookups import Exact, GreaterThanOrEqual
from django.urls import reverse

from dangjian.activities.defaults import KINDS
from dangjian.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Attendance,
    AttendanceRollup,
    AttendanceStatus,
    AttendanceSubtreeRollup,
    HeldRollup,
    KindCategory,
    Trainee,
    TrainingClass,
)
from dangjian.core.access import subtree_q
from dangjian.orgs.models import Org
from dangjian.reports.registry import (
    STEPLEN,
    Indicator,
    Period,
    Source,
    money_sum,
    register,
    register_resolver,
)
from dangjian.reports.registry import get as registry_get
from dangjian.reports.subtrees import SubtreeCounts, differences_by_period, in_months, sees_whole_subtree

PRESENT = Q(status=AttendanceStatus.PRESENT)


def held_in(period: Period, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": ActivityStatus.HELD}) & period.q(f"{prefix}held_on")


ACTIVITIES = Source(
    key="activities",
    name="组织生活和学习教育活动",
    model=Activity,
    path_lookup="org__path",
    base=held_in,
    select_related=("org", "kind", "group"),
    order_by=("-held_on", "org__path", "-pk"),
    columns=(
        ("主题", lambda a: a.topic),
        ("类型", lambda a: a.kind.name),
        ("日期", lambda a: a.held_on),
        ("主办党组织", lambda a: a.org.name),
        ("党小组", lambda a: a.group.name if a.group_id else ""),
        ("授课人", lambda a: a.lecturer),
        ("书记讲党课", lambda a: a.lecturer_is_secretary),
        ("学时", lambda a: a.study_hours),
    ),
    detail_url=lambda a: reverse("activities:detail", args=[a.pk]),
)

ATTENDANCE = Source(
    key="activity_attendance",
    name="活动出勤",
    model=Attendance,
    path_lookup="org__path",
    base=lambda period: held_in(period, "activity__"),
    select_related=("member", "org", "activity", "activity__kind"),
    order_by=("-activity__held_on", "activity_id", "org__path", "member__name_initials", "pk"),
    columns=(
        ("姓名", lambda r: r.member.name),
        ("所在党组织", lambda r: r.org.name),
        ("活动", lambda r: r.activity.topic),
        ("类型", lambda r: r.activity.kind.name),
        ("日期", lambda r: r.activity.held_on),
        ("出勤", lambda r: r.get_status_display()),
        ("学时", lambda r: r.activity.study_hours),
    ),
    detail_url=lambda r: reverse("activities:detail", args=[r.activity_id]),
)

CLASSES = Source(
    key="training_classes",
    name="培训班",
    model=TrainingClass,
    path_lookup="org__path",
    base=lambda period: period.q("started_on"),
    select_related=("org",),
    order_by=("-started_on", "-pk"),
    columns=(
        ("培训班名称", lambda c: str(c)),
        ("举办党组织", lambda c: c.org.name),
        ("开班日期", lambda c: c.started_on),
        ("结业日期", lambda c: c.ended_on),
        ("学时", lambda c: c.hours),
    ),
    detail_url=lambda c: reverse("activities:training_detail", args=[c.pk]),
)

TRAINEES = Source(
    key="trainees",
    name="培训班学员",
    model=Trainee,
    path_lookup="training_class__org__path",
    base=lambda period: period.q("training_class__started_on"),
    select_related=("training_class", "training_class__org", "member"),
    order_by=("-training_class__started_on", "training_class_id", "pk"),
    columns=(
        ("姓名", lambda t: t.name),
        ("培训班", lambda t: str(t.training_class)),
        ("举办党组织", lambda t: t.training_class.org.name),
        ("开班日期", lambda t: t.training_class.started_on),
        ("学时", lambda t: t.hours),
    ),
    detail_url=lambda t: reverse("activities:training_detail", args=[t.training_class_id]),
    org_of=lambda t: t.training_class.org,
)


def fixed(condition: Q):
    return lambda period: condition


HOST = "按主办党组织统计,联合开展的活动只在主办党组织计一次"
register(
    Indicator(
        "activities.held",
        "开展活动",
        f"期间已召开的组织生活和学习教育活动次数({HOST})。",
        "次",
        ACTIVITIES,
        group="activities",
    )
)
for category in KindCategory:
    register(
        Indicator(
            f"activities.category.{category.value}",
            f"{category.label}活动",
            f"期间已召开的、类型属于“{category.label}”类的活动次数({HOST})。",
            "次",
            ACTIVITIES,
            fixed(Q(kind__category=category.value)),
            group="activities",
        )
    )
register(
    Indicator(
        "activities.secretary_lectures",
        "书记讲党课",
        f"期间已召开、登记为书记讲党课(授课人为书记)的活动次数({HOST})。",
        "次",
        ACTIVITIES,
        fixed(Q(lecturer_is_secretary=True)),
        group="activities",
    )
)


def _kind_held(code: str, name: str) -> Indicator:
    return Indicator(
        f"activities.kind.{code}",
        name,
        f"期间已召开的“{name}”次数({HOST})。",
        "次",
        ACTIVITIES,
        fixed(Q(kind__code=code)),
        group="activity_kinds",
    )


def _kind_present(code: str, name: str) -> Indicator:
    return Indicator(
        f"activities.present.{code}",
        f"{name}参加人次",
        f"期间已召开的“{name}”中出勤为“实到”的人次(按党员填入出勤名单时的组织关系所在党组织统计)。",
        "人次",
        ATTENDANCE,
        fixed(PRESENT & Q(activity__kind__code=code)),
        group="activity_attendance",
    )


for code, name, *_ in KINDS:
    register(_kind_held(code, name))
    register(_kind_present(code, name))


@cache
def _resolved(prefix: str, code: str, name: str) -> Indicator:
    """One object per kind (and name), so repeated look-ups group into one query like registered ones."""
    return (_kind_held if prefix == "activities.kind." else _kind_present)(code, name)


def kind_indicator(key: str) -> Indicator | None:
    """``activities.kind.<code>`` and ``activities.present.<code>`` of a kind added to the code table
    after the seeded ones (the registry's resolver)."""
    for prefix in ("activities.kind.", "activities.present."):
        if key.startswith(prefix):
            code = key.removeprefix(prefix)
            name = ActivityKind.objects.filter(code=code).values_list("name", flat=True).first()
            return _resolved(prefix, code, name) if name else None
    return None


register_resolver(kind_indicator)

register(
    Indicator(
        "activities.present",
        "参加活动人次",
        "期间已召开的活动中出勤为“实到”的人次(按党员填入出勤名单时的组织关系所在党组织统计)。",
        "人次",
        ATTENDANCE,
        fixed(PRESENT),
        group="activity_attendance",
    )
)
register(
    Indicator(
        "activities.expected",
        "应参加活动人次",
        "期间已召开的活动的应到人次,即出勤名单的全部行(实到、请假、缺席和未签到)。",
        "人次",
        ATTENDANCE,
        group="activity_attendance",
    )
)
register(
    Indicator(
        "activities.study_hours",
        "活动学时",
        "期间已召开的活动中,出勤为“实到”的每一人次计入该活动学时之和(不含培训班学时)。",
        "学时",
        ATTENDANCE,
        fixed(PRESENT),
        aggregate=money_sum("activity__study_hours"),
        places=1,
        group="activity_attendance",
    )
)
register(
    Indicator(
        "activities.training_classes",
        "举办培训班",
        "期间开班的培训班期数(每期一条记录,按举办党组织统计)。",
        "期",
        CLASSES,
        group="training",
    )
)
register(
    Indicator(
        "activities.trainees",
        "培训班学员",
        "期间开班的培训班的学员人次(含非党员学员,按培训班的举办党组织统计)。",
        "人次",
        TRAINEES,
        group="training",
    )
)
register(
    Indicator(
        "activities.trainee_hours",
        "培训班学时",
        "期间开班的培训班学员所获学时之和(按培训班的举办党组织统计)。",
        "学时",
        TRAINEES,
        aggregate=money_sum("hours"),
        places=1,
        group="training",
    )
)


# --- the attendance roll-ups ------------------------------------------------------------------------------


def common_depth(first: str, second: str):
    """The depth of the deepest org holding both paths (``first``, ``second``: lookups of org paths) in
    its subtree, 0 for none, as an SQL expression: the longest common prefix of whole steps."""
    deepest = Org.objects.aggregate(deepest=Max("depth"))["deepest"] or 0
    whens = []
    for depth in range(deepest, 0, -1):
        length = depth * STEPLEN
        same = Exact(Substr(first, 1, length), Substr(second, 1, length))
        long_enough = Q(GreaterThanOrEqual(Length(first), length), GreaterThanOrEqual(Length(second), length))
        whens.append(When(Q(same) & long_enough, then=Value(depth)))
    return Case(*whens, default=Value(0), output_field=IntegerField())


def rollup_counts(attendance: QuerySet) -> QuerySet:
    """The ``AttendanceRollup`` rows of these attendance rows, as a query: one row per held activity and
    org of record with the aggregates of activities.expected, activities.present and
    activities.study_hours (the same filters) and the depth of the org holding both the org of record
    and the host, in the roll-up's column order. The services insert it (``INSERT … SELECT``);
    ``rollup_differences`` compares it with the kept rows."""
    return (
        attendance.filter(activity__status=ActivityStatus.HELD)
        .order_by()
        .values(
            "activity_id",
            "org_id",
            "org__path",
            "activity__org_id",
            "activity__org__path",
            "activity__held_on",
            "activity__kind_id",
        )
        .annotate(
            expected=Count("pk"),
            present=Count("pk", filter=PRESENT),
            present_hours=Coalesce(
                Sum("activity__study_hours", filter=PRESENT),
                Value(Decimal(0)),
                output_field=DecimalField(max_digits=12, decimal_places=1),
            ),
            # One value per group (both paths are grouped by): an aggregate, so it comes last.
            lca_depth=Max(common_depth("org__path", "activity__org__path")),
        )
    )


ROLLUP_COLUMNS = (
    "path",
    "host_id",
    "host_path",
    "held_on",
    "kind_id",
    "expected",
    "present",
    "present_hours",
    "lca_depth",
)
HOURS = Decimal("0.1")


def _comparable(row) -> tuple:
    *rest, hours, lca_depth = row
    return (*rest, Decimal(hours or 0).quantize(HOURS), lca_depth)


def rollup_differences() -> list[str]:
    """Where the kept attendance roll-ups disagree with the attendance lists: a Chinese line per activity
    and org (the command ``rebuild_rollups`` prints them)."""
    live = {
        (activity, org): _comparable(rest)
        for activity, org, *rest in (
            tuple(row.values()) for row in rollup_counts(Attendance.objects.all()).iterator(chunk_size=5000)
        )
    }
    kept = {
        (activity, org): _comparable(rest)
        for activity, org, *rest in AttendanceRollup.objects.order_by()
        .values_list("activity_id", "org_id", *ROLLUP_COLUMNS)
        .iterator(chunk_size=5000)
    }
    found = []
    for key in sorted(set(live) | set(kept)):
        have, want = kept.get(key), live.get(key)
        if have != want:
            activity, org = key
            found.append(f"活动 {activity} 党组织 {org} 的出勤汇总:汇总 {have},实际 {want}")
    rows = [dict(zip(ROLLUP_COLUMNS, values, strict=True)) for values in live.values()]
    return found + subtree_rollup_differences(subtree_contributions(rows))


def subtree_rollup_differences(live: dict[tuple, dict[str, list]]) -> list[str]:
    """Where the kept attendance subtree rows disagree with the live attendance (``live``: what each
    common org's own attendance adds, ``subtree_contributions`` of the live per-activity rows)."""
    kinds = dict(ActivityKind.objects.values_list("pk", "name"))
    return differences_by_period(
        live,
        AttendanceSubtreeRollup,
        SUBTREE_NAMES,
        lambda period: f"{period[0]:%Y年%m月}“{kinds.get(period[1], period[1])}”出勤",
    )


# The roll-up column each attendance indicator sums; the per-kind 人次 (activities.present.<code>) sum
# ``present`` over the rows of the kind.
ROLLUP_SUMS = {
    "activities.present": "present",
    "activities.expected": "expected",
    "activities.study_hours": "present_hours",
}


def _rollup_column(indicator: Indicator):
    """The roll-up aggregate answering an attendance indicator, or None (then the live query runs)."""
    if indicator.key in ROLLUP_SUMS:
        return Sum(ROLLUP_SUMS[indicator.key])
    if indicator.key.startswith("activities.present."):
        return Sum("present", filter=Q(kind__code=indicator.key.removeprefix("activities.present.")))
    return None


SUBTREE_NAMES = ["expected", "present", "present_hours"]


def subtree_contributions(rows) -> dict[tuple, dict[str, list]]:
    """What per-activity roll-up rows (dicts or objects with path, lca_depth, held_on, kind_id and the
    SUBTREE_NAMES) add to the subtree rows: {(month, kind id): {common org's path: sums}}; each row
    counts at the org holding both its org of record and its host, and (by the caller) its ancestors."""
    found: dict[tuple, dict[str, list]] = {}
    for row in rows:
        key = (row["held_on"].replace(day=1), row["kind_id"])
        common = row["path"][: STEPLEN * row["lca_depth"]]
        sums = found.setdefault(key, {}).setdefault(common, [0, 0, Decimal(0)])
        for at, name in enumerate(SUBTREE_NAMES):
            sums[at] += row[name]
    return found


CONTRIBUTING = ("path", "lca_depth", "held_on", "kind_id", *SUBTREE_NAMES)


class AttendanceCounts:
    """The accelerator of the attendance source (registry.accelerators), from the roll-ups, seen as the
    attendance rows are (by the host org's scope).

    For a period of whole months and a viewer of the org's whole subtree: the org's subtree rows (the
    attendance whose org of record and host are both in the subtree) plus the per-activity rows of
    activities hosted outside the subtree that the viewer sees (``lca_depth`` above the org's depth: few,
    found through their index). Otherwise the per-activity rows of the subtree and period, summed."""

    @staticmethod
    def _aggregates(indicators) -> dict | None:
        """Each indicator's sum over the roll-up rows; None when one of them is not kept there."""
        aggregates = {ind.key: _rollup_column(ind) for ind in indicators}
        return None if any(aggregate is None for aggregate in aggregates.values()) else aggregates

    @staticmethod
    def _rows(user, org, period: Period):
        return (
            AttendanceRollup.objects.visible_to(user)
            .filter(subtree_q("path", org.path))
            .filter(period.q("held_on"))
            .order_by()
        )

    @staticmethod
    def _by_subtree(user, org, period: Period) -> bool:
        return period.whole_months() and sees_whole_subtree(user, org)

    @staticmethod
    def _add(found: dict, branch: str, row: dict) -> None:
        values = found.setdefault(branch, {})
        for key, value in row.items():
            values[key] = (values.get(key) or 0) + (value or 0)

    @classmethod
    def _finish(cls, found: dict, indicators) -> dict:
        return {ind.key: ind.finish(found.get(ind.key)) for ind in indicators}

    @classmethod
    def totals(cls, user, org, period: Period, indicators) -> dict | None:
        aggregates = cls._aggregates(indicators)
        if aggregates is None:
            return None
        if not cls._by_subtree(user, org, period):
            return cls._finish(cls._rows(user, org, period).aggregate(**aggregates), indicators)
        found: dict = {}
        inner = AttendanceSubtreeRollup.objects.filter(period.q("month"), org_id=org.pk)
        cls._add(found, org.path, inner.aggregate(**aggregates))
        outside = cls._rows(user, org, period).filter(lca_depth__lt=org.depth)
        cls._add(found, org.path, outside.aggregate(**aggregates))
        return cls._finish(found.get(org.path, {}), indicators)

    @classmethod
    def by_child(cls, user, org, period: Period, indicators, width: int) -> dict | None:
        aggregates = cls._aggregates(indicators)
        if aggregates is None:
            return None
        found: dict = {}
        if not cls._by_subtree(user, org, period):
            grouped = (
                cls._rows(user, org, period).annotate(_branch=Substr("path", 1, width)).values("_branch")
            )
            for row in grouped.annotate(**aggregates):
                cls._add(found, row.pop("_branch"), row)
        else:
            # Each child's subtree rows, and what its orgs attended outside it (hosted at this org or
            # beyond): then the org's own members' attendance, wherever hosted.
            children = AttendanceSubtreeRollup.objects.filter(
                period.q("month"), subtree_q("path", org.path), depth=org.depth + 1
            )
            for row in children.order_by().values("path").annotate(**aggregates):
                cls._add(found, row.pop("path"), row)
            outside = (
                cls._rows(user, org, period)
                .filter(lca_depth__lte=org.depth)
                .exclude(path=org.path)
                .annotate(_branch=Substr("path", 1, width))
                .values("_branch")
            )
            for row in outside.annotate(**aggregates):
                cls._add(found, row.pop("_branch"), row)
            own = AttendanceRollup.objects.visible_to(user).filter(period.q("held_on"), path=org.path)
            cls._add(found, org.path, own.aggregate(**aggregates))
        finished = {branch: cls._finish(values, indicators) for branch, values in found.items()}
        # A branch whose only rows count nothing asked for (nobody present) has no live row either.
        return {branch: values for branch, values in finished.items() if any(values.values())}


# --- the roll-ups of activities held ----------------------------------------------------------------------
#
# ``HeldRollup`` keeps, per org's subtree, month and kind, the activities held and the secretary's lectures
# among them (activities.services adds each activity's difference up the tree). Every indicator of the
# activities source is one of these two counts over some kinds, so a period of whole months is answered
# from at most twelve rows a year per kind, the kinds' codes and categories read at the time of asking.

HELD_NAMES = ["held", "secretary_lectures"]
EVERY = Period(date.min, date.max)


def held_counts(activities: QuerySet) -> QuerySet:
    """The held roll-up counts of these activities: one row per (host org, month, kind) with org_id,
    org__path, month, kind_id, held and secretary_lectures (the registry's own filters)."""
    lectures = registry_get("activities.secretary_lectures")
    return (
        activities.filter(ACTIVITIES.base(EVERY))
        .order_by()
        .annotate(month=TruncMonth("held_on", output_field=DateField()))
        .values("org_id", "org__path", "month", "kind_id")
        .annotate(held=Count("pk"), secretary_lectures=Count("pk", filter=lectures.q(EVERY)))
    )


def held_rows(activities: QuerySet) -> dict[tuple, dict[str, list[int]]]:
    """{(month, kind id): {host org path: [held, secretary_lectures]}} of these activities."""
    found: dict[tuple, dict[str, list[int]]] = {}
    for row in held_counts(activities):
        month = row["month"] if isinstance(row["month"], date) else date.fromisoformat(str(row["month"])[:10])
        found.setdefault((month, row["kind_id"]), {})[row["org__path"]] = [row[name] for name in HELD_NAMES]
    return found


def _held_aggregate(indicator: Indicator):
    """The roll-up aggregate answering an activities indicator, or None (then the live query runs)."""
    key = indicator.key
    if key == "activities.held":
        return Sum("held")
    if key == "activities.secretary_lectures":
        return Sum("secretary_lectures")
    if key.startswith("activities.category."):
        return Sum("held", filter=Q(kind__category=key.removeprefix("activities.category.")))
    if key.startswith("activities.kind."):
        return Sum("held", filter=Q(kind__code=key.removeprefix("activities.kind.")))
    return None


# The accelerator of the activities source (registry.accelerators): the kept subtree rows of the period's
# months, for a viewer of the org's whole subtree (then every activity hosted in it is seen). A partial
# scope also sees partners' activities hosted elsewhere: counted live.
HeldCounts = SubtreeCounts(HeldRollup, _held_aggregate, in_months)
