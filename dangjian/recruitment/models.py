"""Member development (发展党员): one case per person, its 25 dated steps, votes, sponsors, assessments,
annual plans and the switches of the versioned rule sets.

The person is a ``members.Member`` (category applicant → activist → candidate → probationary → full);
the category changes only through member events written by ``members.services.record_event``, called
from ``recruitment.services`` when the step that changes it is recorded.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from dangjian.core.access import ScopedQuerySet
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.reports.models import derived_org_key


class StepKind(models.IntegerChoices):
    """The 25 steps of the 发展党员工作细则 (2014), in their order (RULES.md §1)."""

    APPLICATION = 1, "递交入党申请书"
    TALK = 2, "党组织派人谈话"
    ACTIVIST_RECOMMENDED = 3, "推荐和确定入党积极分子"
    ACTIVIST_FILED = 4, "报上级党委备案"
    MENTORS_ASSIGNED = 5, "指定培养联系人"
    TRAINING = 6, "培养教育考察"
    CANDIDATE_CONFIRMED = 7, "确定发展对象"
    CANDIDATE_FILED = 8, "报上级党委备案"
    SPONSORS_CONFIRMED = 9, "确定入党介绍人"
    POLITICAL_REVIEW = 10, "政治审查"
    CENTRALIZED_TRAINING = 11, "短期集中培训"
    COMMITTEE_REVIEW = 12, "支部委员会审查"
    PRE_REVIEW = 13, "上级党委预审"
    APPLICATION_FORM = 14, "填写入党志愿书"
    ADMISSION_MEETING = 15, "支部党员大会讨论"
    UPPER_TALK = 16, "上级党委派人谈话"
    ADMISSION_APPROVED = 17, "上级党委审批"
    ADMISSION_FILED = 18, "再上一级党委组织部门备案"
    ASSIGNED_TO_GROUP = 19, "编入党支部和党小组"
    OATH = 20, "入党宣誓"
    PROBATION_EDUCATION = 21, "继续教育考察"
    CONVERSION_APPLIED = 22, "提出转正申请"
    CONVERSION_MEETING = 23, "支部党员大会讨论"
    CONVERSION_APPROVED = 24, "上级党委审批"
    ARCHIVED = 25, "材料归档"


# (number, Chinese title) of each stage, and the steps it holds.
STAGES = (
    (1, "申请入党", range(1, 3)),
    (2, "入党积极分子的确定和培养教育", range(3, 7)),
    (3, "发展对象的确定和考察", range(7, 12)),
    (4, "预备党员的接收", range(12, 19)),
    (5, "预备党员的教育考察和转正", range(19, 26)),
)
LAST_STEP = 25


def stage_of(number: int) -> int:
    return next(stage for stage, _, steps in STAGES if number in steps)


class CaseStatus(models.TextChoices):
    OPEN = "open", "进行中"
    COMPLETED = "completed", "已归档"
    ENDED = "ended", "已终止"


class RecruitmentQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status=CaseStatus.OPEN)


class Recruitment(models.Model):
    """One person's development case (发展党员全程纪实): from the application to the archived file.

    ``org`` is the branch that develops the person (the member's org when the case opened); it decides
    who sees the case. ``last_step`` and its date are kept with each step so lists and reminders need
    no join over the steps.
    """

    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="recruitment")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="recruitments", verbose_name="党组织")
    status = models.CharField("状态", max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    last_step = models.PositiveSmallIntegerField("已完成步骤", default=0)
    last_step_on = models.DateField("最近步骤日期", null=True, blank=True)
    ended_on = models.DateField("终止日期", null=True, blank=True)
    end_reason = models.CharField("终止原因", max_length=200, blank=True)
    # The member's 申请入党日期 before step 1 of this case set it: an import undo puts it back.
    applied_on_before = models.DateField("原申请入党日期", null=True, blank=True)
    # Count of warn findings recorded on the steps: lists flag the case without reading every step.
    warning_count = models.PositiveSmallIntegerField("警示数", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecruitmentQuerySet.as_manager()

    class Meta:
        verbose_name = "发展党员纪实"
        indexes = [models.Index(fields=["org", "status", "last_step"])]

    def __str__(self):
        return f"{self.member.name} 发展党员纪实"

    @property
    def stage(self) -> int:
        return stage_of(max(self.last_step, 1))

    @property
    def next_step(self) -> int | None:
        return self.last_step + 1 if self.status == CaseStatus.OPEN and self.last_step < LAST_STEP else None


class Step(models.Model):
    """One of the 25 steps done on a given day: who did it, the document (文号, attachment), notes, and
    the findings of the rules in force on that day (warnings stay with the step; blocks were refused)."""

    recruitment = models.ForeignKey(Recruitment, on_delete=models.PROTECT, related_name="steps")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField("步骤", choices=StepKind.choices)
    occurred_on = models.DateField("日期")
    done_by = models.CharField("办理人(单位)", max_length=120, blank=True)
    document_number = models.CharField("文号", max_length=100, blank=True)
    attachment_name = models.CharField("附件名", max_length=200, blank=True)
    attachment_type = models.CharField("附件类型", max_length=100, blank=True)
    attachment = models.BinaryField("附件", null=True, blank=True)
    note = models.TextField("备注", blank=True)
    # Step-specific facts: training days and hours, the review's conclusion, publicity dates …
    details = models.JSONField("详情", default=dict, blank=True)
    rule_sets = models.JSONField("适用规则集", default=list, blank=True)
    # [{"level", "rule_id", "message", "source"}] of the warn findings when the step was recorded.
    findings = models.JSONField("检查结果", default=list, blank=True)
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["recruitment", "number"]
        verbose_name = "发展党员步骤"
        constraints = [models.UniqueConstraint(fields=["recruitment", "number"], name="one_step_per_number")]
        indexes = [models.Index(fields=["number", "occurred_on"])]

    def __str__(self):
        return f"{self.recruitment.member.name} 第{self.number}步 {self.get_number_display()}"

    @property
    def stage(self) -> int:
        return stage_of(self.number)


class VoteKind(models.TextChoices):
    ADMISSION = "admission", "接收预备党员"
    CONVERSION = "conversion", "预备党员转正"


class VoteFailure(models.TextChoices):
    QUORUM = "quorum", "到会人数未超过应到会有表决权党员的半数"
    MAJORITY = "majority", "赞成票未超过应到会有表决权党员的半数"


class Vote(models.Model):
    """The branch general meeting's resolution on one person (candidates are voted one by one):
    those who should attend (voting full members), present, yes, no, abstain, and whether it passed.

    A resolution that passed belongs to its step (15 or 23). A meeting that voted and did not pass is a
    fact too: it is kept without a step (``failure_reason`` says which rule it failed) and the case stays
    where it was, so a later meeting may vote again.
    """

    recruitment = models.ForeignKey(Recruitment, on_delete=models.PROTECT, related_name="votes")
    step = models.OneToOneField(Step, on_delete=models.PROTECT, related_name="vote", null=True, blank=True)
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("表决事项", max_length=20, choices=VoteKind.choices)
    held_on = models.DateField("会议日期")
    should_attend = models.PositiveIntegerField("应到有表决权党员")
    present = models.PositiveIntegerField("实到有表决权党员")
    yes = models.PositiveIntegerField("赞成")
    no = models.PositiveIntegerField("反对")
    abstain = models.PositiveIntegerField("弃权")
    passed = models.BooleanField("通过")
    failure_reason = models.CharField("未通过原因", max_length=20, choices=VoteFailure.choices, blank=True)
    note = models.TextField("备注", blank=True)
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = "支部党员大会表决"

    def __str__(self):
        return f"{self.recruitment.member.name} {self.get_kind_display()} {self.held_on}"

    @property
    def outcome(self) -> str:
        return "通过" if self.passed else "未通过"

    @property
    def step_number(self) -> int:
        return 15 if self.kind == VoteKind.ADMISSION else 23


class Role(models.TextChoices):
    MENTOR = "mentor", "培养联系人"
    SPONSOR = "sponsor", "入党介绍人"


class Sponsorship(models.Model):
    """A full member chosen as mentor (培养联系人, step 5) or sponsor (入党介绍人, step 9) of the person."""

    recruitment = models.ForeignKey(Recruitment, on_delete=models.PROTECT, related_name="sponsorships")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="sponsorships")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="sponsorships")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    chosen_on = models.DateField("确定日期")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["recruitment", "role", "pk"]
        verbose_name = "培养联系人和入党介绍人"

    def __str__(self):
        return f"{self.person.name}({self.get_role_display()})"


class Assessment(models.Model):
    """The branch's half-yearly assessment of an activist (培养教育考察, 细则第十一条)."""

    recruitment = models.ForeignKey(Recruitment, on_delete=models.PROTECT, related_name="assessments")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField("考察日期")
    assessed_by = models.CharField("考察人", max_length=120, blank=True)
    conclusion = models.TextField("考察意见")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        verbose_name = "入党积极分子考察"

    def __str__(self):
        return f"{self.recruitment.member.name} 考察 {self.assessed_on}"


class RuleSetSwitch(models.Model):
    """An administrator's switch of a rule set (e.g. the possible 2026 revision): on from a date, or off.

    The latest row for a key is the one in force; older rows stay as the history (and the audit log
    keeps who switched).
    """

    key = models.CharField("规则集", max_length=20)
    active = models.BooleanField("启用")
    effective_from = models.DateField("生效日期", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    switched_at = models.DateTimeField("操作时间", default=timezone.now)
    switched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-switched_at", "-pk"]
        verbose_name = "规则集启用记录"

    def __str__(self):
        return f"{self.key} {'启用' if self.active else '停用'} {self.effective_from or ''}"


class PlanQuerySet(ScopedQuerySet):
    pass


class AnnualPlan(models.Model):
    """The yearly development quota (发展党员计划) an upper org sets for one subordinate org, with optional
    structure targets (shares in percent of the quota)."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="recruitment_plans")
    year = models.PositiveSmallIntegerField("年度")
    quota = models.PositiveIntegerField("计划发展数")
    under_35_share = models.DecimalField(
        "35岁及以下占比(%)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    college_share = models.DecimalField(
        "大专及以上学历占比(%)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    frontline_share = models.DecimalField(
        "生产工作一线占比(%)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    note = models.CharField("说明", max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "org__path"]
        verbose_name = "发展党员计划"
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="one_plan_per_org_and_year")]

    def __str__(self):
        return f"{self.org} {self.year}年发展党员计划"


# --- the kept figures of development (reports' roll-ups) ---------------------------------------------------


class SubtreeQuerySet(ScopedQuerySet):
    org_path_lookup = "path"


class CaseStageRollup(models.Model):
    """The open development cases anywhere in one org's subtree (the org and every org below it), counted
    under the developing branch, whose last step done is ``last_step`` (0: opened, no step yet): the
    case list's counts as they stand now. A cache, never a source: the recruitment services add each
    case's difference up the tree in the same transaction as every write that changes it (opened, a
    step, ended, taken back with its import); the open-case and stage indicators read these rows (at most
    26 per org). ``path`` and ``depth`` copy the org's (kept by the org-move hook), so an org's children
    are one index range. ``manage.py rebuild_rollups`` rebuilds and verifies them."""

    rollup_keys = ("last_step",)  # reports.subtrees: the rows are kept per (last step, org)

    org = derived_org_key()
    last_step = models.PositiveSmallIntegerField("已完成步骤")
    path = models.CharField("党组织路径", max_length=255)
    depth = models.PositiveSmallIntegerField("层级")
    open_cases = models.IntegerField("进行中的纪实", default=0)

    objects = SubtreeQuerySet.as_manager()

    class Meta:
        verbose_name = "发展党员纪实子树汇总"
        constraints = [
            models.UniqueConstraint(fields=["org", "last_step"], name="recruitment_stage_org_step")
        ]
        indexes = [models.Index(fields=["depth", "path"], name="recruitment_stage_depth_path")]

    def __str__(self):
        return f"{self.path} 第{self.last_step}步:{self.open_cases}"


class RecruitmentMonthRollup(models.Model):
    """The development steps done and the general meetings' votes held in one month anywhere in one org's
    subtree, counted under the org that recorded them: steps, applications (step 1), steps recorded with
    a warning, votes and failed votes. A cache, never a source, kept like ``CaseStageRollup``; the step
    and vote indicators read these rows for a period of whole months (a year at any org is at most twelve
    rows)."""

    rollup_keys = ("month",)

    org = derived_org_key()
    month = models.DateField("月份")
    path = models.CharField("党组织路径", max_length=255)
    depth = models.PositiveSmallIntegerField("层级")
    steps = models.IntegerField("登记步骤", default=0)
    applications = models.IntegerField("递交入党申请", default=0)
    steps_warned = models.IntegerField("带警示的步骤", default=0)
    votes = models.IntegerField("表决", default=0)
    votes_failed = models.IntegerField("未通过的表决", default=0)

    objects = SubtreeQuerySet.as_manager()

    class Meta:
        verbose_name = "发展党员月度子树汇总"
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="recruitment_month_org_month")]
        indexes = [models.Index(fields=["depth", "path", "month"], name="recruitment_month_depth_path")]

    def __str__(self):
        return f"{self.path} {self.month:%Y-%m}:{self.steps} 步 {self.votes} 次表决"


class OnPathRollup(models.Model):
    """The people on the path to membership (入党申请人, 入党积极分子, 发展对象) on one org's roll now, by
    category: the registry's own count of the member records kept directly at the org. A cache, never a
    source: the member services tell every change of an org's records (members.services' change hook),
    and the org is recounted in the same transaction, the difference added to the subtree rows
    (``OnPathSubtreeRollup``). ``manage.py rebuild_rollups`` rebuilds and verifies both."""

    rollup_keys = ("category",)  # reports.subtrees: the rows are kept per (category, org)

    org = derived_org_key()
    category = models.CharField("人员类别", max_length=20)
    people = models.IntegerField("人数", default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "入党申请人等人数汇总"
        constraints = [models.UniqueConstraint(fields=["org", "category"], name="recruitment_onpath_org_cat")]

    def __str__(self):
        return f"{self.org_id} {self.category}:{self.people}"


class OnPathSubtreeRollup(models.Model):
    """The people on the path to membership on the roll of any org of one org's subtree now, by category:
    the sum of the ``OnPathRollup`` rows of the subtree (the 入党申请人、积极分子、发展对象 indicators of
    a province's root are three rows instead of a count over millions of records)."""

    rollup_keys = ("category",)

    org = derived_org_key()
    category = models.CharField("人员类别", max_length=20)
    path = models.CharField("党组织路径", max_length=255)
    depth = models.PositiveSmallIntegerField("层级")
    people = models.IntegerField("人数", default=0)

    objects = SubtreeQuerySet.as_manager()

    class Meta:
        verbose_name = "入党申请人等人数子树汇总"
        constraints = [
            models.UniqueConstraint(fields=["org", "category"], name="recruitment_onpath_sub_org_cat")
        ]
        indexes = [models.Index(fields=["depth", "path"], name="recruitment_onpath_depth_path")]

    def __str__(self):
        return f"{self.path} {self.category}:{self.people}"
