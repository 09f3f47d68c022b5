"""Organizational life and education: every activity of an org (三会一课 and the rest), its agenda and
attendance, QR check-in, training classes, study hours, and the versioned compliance settings.

Activity kinds and the compliance rules are code tables (rows, not constants): an administrator adds a
kind or a frequency with a date from which it applies, and old periods keep being judged by the old rows.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dangjian.core.access import VIEW, ScopedQuerySet, scope_q
from dangjian.orgs.models import Group, Org
from dangjian.reports.models import derived_org_key


class KindCategory(models.TextChoices):
    THREE_MEETINGS = "three_meetings", "三会一课"
    ORG_LIFE = "org_life", "组织生活"
    EDUCATION = "education", "学习教育"
    OTHER = "other", "其他"


class ActivityKind(models.Model):
    """A kind of activity (支部党员大会, 主题党日, 警示教育 …): a code table an administrator can extend."""

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    category = models.CharField("类别", max_length=20, choices=KindCategory.choices)
    # Only the general meeting judges a quorum (voting full members present > half of those expected).
    needs_quorum = models.BooleanField("需判断到会人数是否过半", default=False)
    default_study_hours = models.DecimalField("默认学时", max_digits=5, decimal_places=1, default=0)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "活动类型"

    def __str__(self):
        return self.name


class Frequency(models.TextChoices):
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class AppliesTo(models.TextChoices):
    """Which orgs (or groups) a compliance rule expects the activity of."""

    BRANCH = "branch", "党支部(含总支)"
    BRANCH_WITH_COMMITTEE = "branch_with_committee", "设支委会的党支部"
    GROUP = "group", "每个党小组"
    COMMITTEE_ORG = "committee_org", "党委、党工委"


class ComplianceRule(models.Model):
    """One line of RULES.md §3 as a versioned setting: which kind, how often, for which orgs, from when.

    The rules in force for a period are those whose ``effective_from`` is on or before the period's start
    and whose ``effective_until`` (if any) is after it.
    """

    kind = models.ForeignKey(
        ActivityKind, on_delete=models.PROTECT, related_name="rules", verbose_name="活动类型"
    )
    frequency = models.CharField("频次", max_length=10, choices=Frequency.choices)
    times = models.PositiveSmallIntegerField("每期至少次数", default=1)
    applies_to = models.CharField("适用对象", max_length=30, choices=AppliesTo.choices)
    secretary_lecturer = models.BooleanField("须由书记讲授", default=False)
    label = models.CharField("要求名称", max_length=60)
    source = models.CharField("依据", max_length=200)
    effective_from = models.DateField("生效日期")
    effective_until = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        ordering = ["kind__sort_order", "applies_to", "effective_from", "pk"]
        verbose_name = "组织生活频次要求"

    def __str__(self):
        return f"{self.label}({self.get_frequency_display()})"


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", "计划"
    HELD = "held", "已召开"
    CANCELLED = "cancelled", "已取消"


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = VIEW):
        """Seen by anyone who sees one of the orgs holding it; changed only within the host org's scope."""
        if action != VIEW:
            condition = scope_q(user, "org__path", action)
            return self.none() if condition is None else self.filter(condition)
        condition = scope_q(user, "org__path", VIEW)
        if condition is None:
            return self.none()
        return self.filter(pk__in=ActivityOrg.objects.filter(condition).values("activity_id"))

    def held(self):
        return self.filter(status=ActivityStatus.HELD)


class Activity(models.Model):
    """One activity an org (or a party group of it) held or plans: a meeting, a lecture, a study session …

    ``org`` is the host; a joint activity (联建, 结对共建) lists every org taking part in ``ActivityOrg``
    (the host included), and counts once for each of them. ``quorum`` is set for kinds that need one
    (the general meeting) from the attendance, each time it changes.
    """

    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="activities", verbose_name="主办党组织"
    )
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name="党小组",
    )
    kind = models.ForeignKey(
        ActivityKind, on_delete=models.PROTECT, related_name="activities", verbose_name="类型"
    )
    status = models.CharField(
        "状态", max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.HELD
    )
    held_on = models.DateField("日期")
    starts_at = models.TimeField("开始时间", null=True, blank=True)
    ends_at = models.TimeField("结束时间", null=True, blank=True)
    place = models.CharField("地点", max_length=120, blank=True)
    topic = models.CharField("主题", max_length=200)
    host = models.CharField("主持人", max_length=50, blank=True)
    recorder = models.CharField("记录人", max_length=50, blank=True)
    lecturer = models.CharField("授课人", max_length=50, blank=True)
    lecturer_is_secretary = models.BooleanField("书记讲党课", default=False)
    minutes = models.TextField("会议记录", blank=True)
    resolutions = models.TextField("决议", blank=True)
    study_hours = models.DecimalField("学时", max_digits=5, decimal_places=1, default=0)
    quorum = models.BooleanField("到会人数过半", null=True, blank=True)
    orgs = models.ManyToManyField(Org, through="ActivityOrg", related_name="joint_activities")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-starts_at", "-pk"]
        verbose_name = "组织生活"
        indexes = [models.Index(fields=["held_on", "kind"]), models.Index(fields=["org", "held_on"])]

    def __str__(self):
        return f"{self.held_on} {self.kind.name}:{self.topic}"

    def checkin_window(self) -> tuple[datetime, datetime]:
        """When members may check in: from ``ACTIVITY_CHECKIN_EARLY_MINUTES`` before the start to the same
        after the end; a whole day when no times are recorded."""
        margin = timedelta(minutes=settings.ACTIVITY_CHECKIN_EARLY_MINUTES)
        zone = timezone.get_current_timezone()
        start = datetime.combine(self.held_on, self.starts_at or time(0, 0), tzinfo=zone)
        end = datetime.combine(self.held_on, self.ends_at or time(23, 59, 59), tzinfo=zone)
        if self.starts_at:
            start -= margin
        if self.ends_at:
            end += margin
        return start, end


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = VIEW):
        """Whoever sees the activity (its host or a partner org in scope) sees its files."""
        return self.filter(activity__in=Activity.objects.visible_to(user, action).values("pk"))


class ActivityAttachment(models.Model):
    """A file kept with an activity's record (the scan of the minutes, photos, a PDF of the materials),
    stored in the database row like a recruitment step's attachment, within a size limit."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="attachments")
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小(字节)")
    content = models.BinaryField("内容")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "pk"]
        verbose_name = "组织生活附件"

    def __str__(self):
        return self.name


class ActivityOrgQuerySet(ScopedQuerySet):
    pass


class ActivityOrg(models.Model):
    """An org taking part in an activity (the host and, for a joint activity, its partners)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="parties")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")

    objects = ActivityOrgQuerySet.as_manager()

    class Meta:
        verbose_name = "参加党组织"
        constraints = [
            models.UniqueConstraint(fields=["activity", "org"], name="activities_one_party_per_org")
        ]
        indexes = [models.Index(fields=["org", "activity"])]

    def __str__(self):
        return f"{self.org} · {self.activity_id}"


class AgendaItem(models.Model):
    """One item of a meeting's agenda; ``first_topic`` marks the 第一议题 (studying the latest instructions)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField("序号")
    title = models.CharField("议题", max_length=200)
    first_topic = models.BooleanField("第一议题", default=False)

    class Meta:
        ordering = ["activity", "position"]
        verbose_name = "议程"

    def __str__(self):
        return self.title


class AttendanceStatus(models.TextChoices):
    EXPECTED = "expected", "未签到"
    PRESENT = "present", "实到"
    ON_LEAVE = "on_leave", "请假"
    ABSENT = "absent", "缺席"


class CheckInMethod(models.TextChoices):
    QR = "qr", "扫码签到"
    MARKED = "marked", "书记标记"


class AttendanceQuerySet(ScopedQuerySet):
    org_path_lookup = "activity__org__path"


class Attendance(models.Model):
    """One member expected at an activity (应到) and what became of it: present, on leave, absent.

    ``org`` is the member's org of record when the list was filled; ``voting`` says whether they were a
    full member then (probationary members have no vote and do not count for the quorum).
    """

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="attendance")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        "出勤", max_length=20, choices=AttendanceStatus.choices, default=AttendanceStatus.EXPECTED
    )
    reason = models.CharField("请假事由", max_length=200, blank=True)
    voting = models.BooleanField("有表决权", default=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    method = models.CharField("签到方式", max_length=10, choices=CheckInMethod.choices, blank=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "member__name_initials", "pk"]
        verbose_name = "出勤"
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="activities_one_row_per_member")
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self):
        return f"{self.member} {self.get_status_display()}"


class BackfillUnlock(models.Model):
    """A supervisor's permission for an org to record activities dated before the no-back-filling window,
    until ``valid_until`` (an upper org's administrator grants it; the grant is audited)."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", verbose_name="党组织")
    earliest = models.DateField("可补录的最早日期")
    valid_until = models.DateField("解锁有效期至")
    reason = models.CharField("事由", max_length=200)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField("解锁时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-pk"]
        verbose_name = "补录解锁"

    def __str__(self):
        return f"{self.org} {self.earliest}起 至{self.valid_until}"


class TrainingClass(models.Model):
    """培训班: one session (期) of a training class an org runs, with its trainees and the hours credited."""

    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="training_classes", verbose_name="举办党组织"
    )
    title = models.CharField("培训班名称", max_length=120)
    session = models.PositiveSmallIntegerField("期次", default=1)
    started_on = models.DateField("开班日期")
    ended_on = models.DateField("结业日期")
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    place = models.CharField("地点", max_length=120, blank=True)
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]
        verbose_name = "培训班"

    def __str__(self):
        return f"{self.title}(第{self.session}期)"


class TraineeQuerySet(ScopedQuerySet):
    org_path_lookup = "training_class__org__path"


class Trainee(models.Model):
    """A person trained in one session of a class: a member record, or a name for someone outside it."""

    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="trainees")
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="trainings"
    )
    name = models.CharField("姓名", max_length=50)
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)

    objects = TraineeQuerySet.as_manager()

    class Meta:
        ordering = ["training_class", "pk"]
        verbose_name = "学员"
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "member"],
                condition=Q(member__isnull=False),
                name="activities_trainee_once",
            )
        ]

    def __str__(self):
        return self.name


class AttendanceRollupQuerySet(ScopedQuerySet):
    # Seen as the attendance rows are: by whoever sees the host org (AttendanceQuerySet).
    org_path_lookup = "host_path"


class AttendanceRollup(models.Model):
    """The attendance list of one held activity counted per org of record: 应到 and 实到 人次 and the study
    hours of those present. A cache, never a source: the activities services rewrite an activity's rows
    in the same transaction as every change of the activity or its list, and the 人次 and 学时 indicators
    read these rows instead of every attendance row (a city's year is ~480,000 of them). ``path`` and
    ``host_path`` copy the paths of the org of record and of the host org (an org's move rewrites them);
    ``held_on`` and ``kind`` copy the activity's. ``manage.py rebuild_rollups`` rebuilds and verifies them.
    """

    # Derived rows: no database constraints (as ``reports.models.derived_org_key``): their deferred checks
    # took 10 s at the COMMIT of a province's rebuild for one month of activities; Django still deletes
    # the rows with their activity, and rebuild_rollups verifies them.
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    path = models.CharField(max_length=255)
    host = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    host_path = models.CharField(max_length=255)
    held_on = models.DateField()
    kind = models.ForeignKey(ActivityKind, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    expected = models.PositiveIntegerField()
    present = models.PositiveIntegerField()
    present_hours = models.DecimalField(max_digits=12, decimal_places=1)
    # The depth of the deepest org holding both the org of record and the host in its subtree: the row
    # counts in the subtree totals (AttendanceSubtreeRollup) of that org and its ancestors, and for an
    # org deeper than this it is attendance at an activity hosted outside the org's subtree.
    lca_depth = models.PositiveSmallIntegerField(default=0)

    objects = AttendanceRollupQuerySet.as_manager()

    class Meta:
        verbose_name = "出勤汇总"
        constraints = [
            models.UniqueConstraint(fields=["activity", "org"], name="activities_one_rollup_per_org")
        ]
        # A city's year at its root: the dates; a branch's figures: its path, then the dates; an org's
        # attendance at activities hosted outside its subtree: the shallower common orgs, its path.
        indexes = [
            models.Index(fields=["held_on", "path"]),
            models.Index(fields=["path", "held_on"]),
            models.Index(fields=["lca_depth", "path", "held_on"], name="activities_att_lca_path"),
        ]

    def __str__(self):
        return f"{self.activity_id} · {self.org_id}:应到 {self.expected},实到 {self.present}"


class SubtreeQuerySet(ScopedQuerySet):
    org_path_lookup = "path"


class MonthAndKindSubtree(models.Model):
    """What the subtree roll-ups of activities share: one row per org, month and kind, with the org's path
    and depth copied onto it (an org's move rewrites them), so an org's children are one index range."""

    rollup_keys = ("month", "kind_id")  # reports.subtrees: the rows are kept per (month, kind, org)

    org = derived_org_key()
    month = models.DateField("月份")
    kind = models.ForeignKey(ActivityKind, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    path = models.CharField("党组织路径", max_length=255)
    depth = models.PositiveSmallIntegerField("层级")

    objects = SubtreeQuerySet.as_manager()

    class Meta:
        abstract = True


class AttendanceSubtreeRollup(MonthAndKindSubtree):
    """The attendance of one month at activities of one kind, counted in one org's subtree where both the
    member's org of record and the host org are in it (应到, 实到 人次, the study hours of those present):
    the sums of the ``AttendanceRollup`` rows whose common org (``lca_depth``) is this org or below it.
    A cache, never a source: kept with the per-activity rows by the activities services. Attendance is
    seen through the host org, so an org's figure for a viewer of its whole subtree is this row plus the
    few per-activity rows of activities hosted outside the subtree that the viewer sees."""

    expected = models.IntegerField("应到人次", default=0)
    present = models.IntegerField("实到人次", default=0)
    present_hours = models.DecimalField("学时", max_digits=14, decimal_places=1, default=0)

    class Meta:
        verbose_name = "出勤子树汇总"
        constraints = [
            models.UniqueConstraint(fields=["org", "month", "kind"], name="activities_att_org_month_kind")
        ]
        indexes = [models.Index(fields=["depth", "path", "month"], name="activities_att_depth_path")]

    def __str__(self):
        return f"{self.path} {self.month:%Y-%m} {self.kind_id}:{self.present}/{self.expected}"


class HeldRollup(MonthAndKindSubtree):
    """The activities held in one month, of one kind, anywhere in one org's subtree (the org and every org
    below it), counted under their host org: how many, and how many of them were lectures by the
    secretary. A cache, never a source: the activities services add each activity's difference up the
    tree in the same transaction as every write that changes what it counts (recorded, corrected, held
    by a check-in, taken back with its import); the 开展活动 indicators by kind and category read these rows
    for a period of whole months (a year at any org is at most twelve rows per kind).
    ``manage.py rebuild_rollups`` rebuilds and verifies them."""

    held = models.IntegerField("开展活动", default=0)
    secretary_lectures = models.IntegerField("书记讲党课", default=0)

    class Meta:
        verbose_name = "活动开展子树汇总"
        constraints = [
            models.UniqueConstraint(fields=["org", "month", "kind"], name="activities_held_org_month_kind")
        ]
        indexes = [models.Index(fields=["depth", "path", "month"], name="activities_held_depth_path")]

    def __str__(self):
        return f"{self.path} {self.month:%Y-%m} {self.kind_id}:{self.held}"
