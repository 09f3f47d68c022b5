"""The org tree and the dated events of each org's life; the units, committees, groups, pairings,
places and weak-and-lax flags that belong to an org."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from dangjian.core.access import VIEW, ScopedQuerySet, scope_q, subtree_q


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    WORKING_COMMITTEE = "working_committee", "党工委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"
    TEMPORARY_BRANCH = "temporary_branch", "临时党支部"


BRANCH_KINDS = frozenset({OrgKind.BRANCH, OrgKind.JOINT_BRANCH, OrgKind.TEMPORARY_BRANCH})


class Sector(models.TextChoices):
    ORGAN = "organ", "机关"
    INSTITUTION = "institution", "事业单位"
    SOE = "soe", "国有企业"
    PRIVATE_ENTERPRISE = "private_enterprise", "非公企业"
    SOCIAL_ORG = "social_org", "社会组织"
    VILLAGE = "village", "农村"
    COMMUNITY = "community", "社区"
    SCHOOL = "school", "学校"
    HOSPITAL = "hospital", "医院"
    OTHER = "other", "其他"


NEW_SECTORS = frozenset({Sector.PRIVATE_ENTERPRISE, Sector.SOCIAL_ORG})


class OrgStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    DISSOLVED = "dissolved", "已撤销"


class OrgQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    org_path_lookup = "path"

    def active(self):
        return self.filter(status=OrgStatus.ACTIVE)

    def within(self, org):
        """The org and everything below it: one indexed prefix scan on the path."""
        return self.filter(subtree_q("path", org.path))


class OrgManager(MP_NodeManager):
    def get_queryset(self):
        return OrgQuerySet(self.model, using=self._db).order_by("path")

    def visible_to(self, user, action: str = VIEW):
        return self.get_queryset().visible_to(user, action)

    def active(self):
        return self.get_queryset().active()


class Org(MP_Node):
    """A party organization (党组织): one node of the tree, from a city committee down to a branch."""

    # Four base-36 characters per level: 1.6 million children per parent, 63 levels deep.
    steplen = 4
    node_order_by = []

    name = models.CharField("名称", max_length=120)
    short_name = models.CharField("简称", max_length=60, blank=True)
    kind = models.CharField("类别", max_length=30, choices=OrgKind.choices)
    sector = models.CharField("领域", max_length=30, choices=Sector.choices, default=Sector.OTHER)
    code = models.CharField("组织编码", max_length=40, unique=True)
    status = models.CharField("状态", max_length=20, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    # Only temporary branches (临时党支部): what they were set up for and when they are expected to end.
    temporary_purpose = models.CharField("设立目的", max_length=200, blank=True)
    temporary_until = models.DateField("预计结束日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgManager()

    class Meta:
        verbose_name = "党组织"
        indexes = [
            models.Index(fields=["kind"]),
            models.Index(fields=["name"]),
            # An org's children (depth + 1 within its path range): the statistics tables list the root's
            # subordinates, which scanned all 500,000 orgs of a province (~280 ms) without it.
            models.Index(fields=["depth", "path"], name="orgs_org_depth_path"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == OrgStatus.ACTIVE

    @property
    def is_temporary(self) -> bool:
        return self.kind == OrgKind.TEMPORARY_BRANCH

    @property
    def is_branch(self) -> bool:
        return self.kind in BRANCH_KINDS

    @property
    def parent_path(self) -> str:
        return self.path[: -self.steplen]

    def ancestors_and_self(self):
        """The chain from the root to this org, for breadcrumbs: one query by path prefixes."""
        paths = [self.path[:i] for i in range(self.steplen, len(self.path) + 1, self.steplen)]
        return Org.objects.filter(path__in=paths).order_by("depth")


class OrgEventKind(models.TextChoices):
    FOUNDED = "founded", "成立"
    RENAMED = "renamed", "更名"
    MOVED = "moved", "调整隶属关系"
    CHANGED = "changed", "信息变更"
    DISSOLVED = "dissolved", "撤销"
    # On the org that was merged into another (it ends with this event) …
    MERGED = "merged", "合并"
    # … and on the surviving org that took over its children (and, later, its members).
    ABSORBED = "absorbed", "接收合并"
    RE_ELECTED = "re_elected", "换届选举"
    COMMITTEE_CHANGED = "committee_changed", "调整班子"
    # The upper org approved advancing or extending the current term (RULES.md §4: at most one year).
    TERM_ADJUSTED = "term_adjusted", "调整任期"
    # A new event that corrects the date, document number or note of an earlier one (``corrects``).
    CORRECTED = "corrected", "更正"


class OrgEventQuerySet(ScopedQuerySet):
    pass


class OrgEvent(models.Model):
    """Something that happened to an org on a given day: founded, renamed, moved, dissolved …

    ``occurred_on`` is the real-world date (of the approval document); ``recorded_at`` is when it was
    entered. The org's current state is updated by the same service call that writes the event.
    """

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事项", max_length=30, choices=OrgEventKind.choices)
    occurred_on = models.DateField("发生日期")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    document_number = models.CharField("文号", max_length=100, blank=True)
    # What changed, e.g. {"from": "旧名", "to": "新名"} or the old and new parent.
    details = models.JSONField("详情", default=dict, blank=True)
    note = models.TextField("说明", blank=True)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name="更正的事项",
    )

    objects = OrgEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-recorded_at"]
        verbose_name = "党组织事项"
        indexes = [models.Index(fields=["kind", "occurred_on"])]

    def __str__(self):
        return f"{self.org} {self.get_kind_display()} {self.occurred_on}"


# --- units ----------------------------------------------------------------------------------------------


class UnitQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = VIEW):
        """A unit is seen from the org responsible for it and from the org set up in it (a branch
        secretary sees the unit their branch covers even when a town committee keeps its record)."""
        responsible = scope_q(user, "responsible_org__path", action)
        covering = scope_q(user, "org__path", action)
        if responsible is None:
            return self.none()
        return self.filter(responsible | covering)

    def open(self):
        return self.filter(closed_on__isnull=True)

    def within(self, org):
        """Units kept by an org of the subtree, or covered by one."""
        return self.filter(subtree_q("responsible_org__path", org.path) | subtree_q("org__path", org.path))


class Unit(models.Model):
    """单位: the workplace, village, community, school or enterprise a party org is set up in.

    ``responsible_org`` is the org whose area the unit lies in (a town committee for its villages, an
    education committee for its schools): coverage figures count units by it. ``org`` is the party org
    set up in the unit, if any; one org may cover several units (a joint branch, at most five).
    """

    responsible_org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="responsible_units", verbose_name="主管党组织"
    )
    org = models.ForeignKey(
        Org, null=True, blank=True, on_delete=models.PROTECT, related_name="units", verbose_name="所建党组织"
    )
    name = models.CharField("单位名称", max_length=120)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    sector = models.CharField("领域", max_length=30, choices=Sector.choices, default=Sector.OTHER)
    is_new_sector = models.BooleanField("两新组织", default=False)
    headcount = models.PositiveIntegerField("从业人员数", null=True, blank=True)
    # Three measures of party building in 两新组织 (non-public enterprises and social organizations).
    charter_includes_party_building = models.BooleanField("党建入章", default=False)
    cross_appointment = models.BooleanField("双向进入、交叉任职", default=False)
    secretary_is_head = models.BooleanField("书记由单位负责人担任", default=False)
    closed_on = models.DateField("注销日期", null=True, blank=True)
    note = models.TextField("备注", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="orgs_unit_credit_code_unique"
            )
        ]
        indexes = [models.Index(fields=["sector"])]

    def __str__(self):
        return self.name


# --- committees and terms -------------------------------------------------------------------------------


class Post(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    ORGANIZATION_MEMBER = "organization_member", "组织委员"
    PUBLICITY_MEMBER = "publicity_member", "宣传委员"
    DISCIPLINE_MEMBER = "discipline_member", "纪检委员"
    MEMBER = "member", "委员"


class CommitteeOrigin(models.TextChoices):
    ELECTED = "elected", "选举产生"
    APPOINTED = "appointed", "上级指定"


class SeatOrigin(models.TextChoices):
    ELECTED = "elected", "换届选举"
    BY_ELECTION = "by_election", "补选"
    APPOINTED = "appointed", "任命"


class CommitteeQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(ended_on__isnull=True)


class Committee(models.Model):
    """班子: an org's committee for one term, from its election (or appointment) to the next one.

    ``ends_on`` is when the term is due to end (RULES.md §4: 党委 5 years, 总支/支部 3, 村/社区 5);
    ``ended_on`` is set when the next committee is elected or the org ends. Temporary branches get
    appointed officers (``origin`` appointed) and hold no elections.
    """

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="committees")
    number = models.PositiveSmallIntegerField("届次", null=True, blank=True)
    origin = models.CharField("产生方式", max_length=20, choices=CommitteeOrigin.choices)
    started_on = models.DateField("任期开始")
    ends_on = models.DateField("任期届满", null=True, blank=True)
    ended_on = models.DateField("实际结束", null=True, blank=True)
    seats = models.PositiveSmallIntegerField("职数", null=True, blank=True)
    document_number = models.CharField("文号", max_length=100, blank=True)
    event = models.ForeignKey(OrgEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommitteeQuerySet.as_manager()

    class Meta:
        verbose_name = "班子"
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["org"], condition=Q(ended_on__isnull=True), name="orgs_committee_one_current"
            )
        ]

    def __str__(self):
        number = f"第{self.number}届" if self.number else ""
        return f"{self.org} {number}班子({self.started_on})"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class CommitteeMemberQuerySet(ScopedQuerySet):
    org_path_lookup = "committee__org__path"

    def current(self):
        return self.filter(ended_on__isnull=True)


class CommitteeMember(models.Model):
    """One person in one post of a committee, from taking it up to leaving it.

    ``member`` is the person's member record when they are on the platform's roll (the name is then
    copied from it); an officer from outside the platform (an appointed cadre) is kept by name alone.
    """

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="members")
    post = models.CharField("职务", max_length=30, choices=Post.choices)
    name = models.CharField("姓名", max_length=50)
    member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="committee_posts",
        verbose_name="党员档案",
    )
    origin = models.CharField("产生方式", max_length=20, choices=SeatOrigin.choices)
    started_on = models.DateField("任职日期")
    ended_on = models.DateField("离任日期", null=True, blank=True)
    end_reason = models.CharField("离任原因", max_length=200, blank=True)

    objects = CommitteeMemberQuerySet.as_manager()

    class Meta:
        verbose_name = "班子成员"
        ordering = ["committee", "ended_on", "pk"]

    def __str__(self):
        return f"{self.get_post_display()} {self.name}"


# --- party groups ---------------------------------------------------------------------------------------


class Group(models.Model):
    """党小组: a group of members inside a branch, with its leader. Not a node of the org tree."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="groups")
    name = models.CharField("名称", max_length=60)
    leader_name = models.CharField("组长", max_length=50, blank=True)
    leader = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_groups",
        verbose_name="组长党员档案",
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    # A group is ended, never deleted: the date and the reason stay with its history.
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    dissolve_reason = models.CharField("撤销原因", max_length=200, blank=True)
    note = models.TextField("备注", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党小组"
        ordering = ["org", "name", "pk"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.dissolved_on is None


class GroupMemberQuerySet(ScopedQuerySet):
    org_path_lookup = "group__org__path"


class GroupMember(models.Model):
    """A person in a party group: their member record on the branch's roll (the name copied from it),
    or a name alone for someone not on the platform."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="members")
    name = models.CharField("姓名", max_length=50)
    member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_memberships",
        verbose_name="党员档案",
    )
    joined_on = models.DateField("编入日期", null=True, blank=True)
    left_on = models.DateField("调出日期", null=True, blank=True)

    objects = GroupMemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党小组成员"
        ordering = ["group", "left_on", "pk"]

    def __str__(self):
        return self.name


# --- pairing --------------------------------------------------------------------------------------------


class PairingQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = VIEW):
        """A pairing is seen by anyone who sees one of its orgs (and changed by anyone who may change one)."""
        orgs = PairingOrg.objects.visible_to(user, action).values("pairing_id")
        return self.filter(pk__in=orgs)

    def involving(self, org):
        """Pairings with at least one org in ``org``'s subtree."""
        return self.filter(
            pk__in=PairingOrg.objects.filter(subtree_q("org__path", org.path)).values("pairing_id")
        )


class Pairing(models.Model):
    """结对共建 / 联建: two or more orgs that work together under a scheme, from a start to an end date.

    The orgs of a pairing may lie in different subtrees; a user sees the pairing when they see one of
    its orgs, and sees by name only the orgs that are in their own scope (pages say how many others).
    """

    scheme = models.CharField("共建项目", max_length=120)
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    note = models.TextField("共建内容", blank=True)
    orgs = models.ManyToManyField(Org, through="PairingOrg", related_name="pairings")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = "结对共建"
        ordering = ["-started_on", "-pk"]

    def __str__(self):
        return self.scheme


class PairingOrgQuerySet(ScopedQuerySet):
    def taking_part(self):
        """The orgs still in the pairing (those that left keep their row, with ``left_on``)."""
        return self.filter(left_on__isnull=True)


class PairingOrg(models.Model):
    """One org taking part in a pairing, from joining (the pairing's start, or later) until it leaves.

    Leaving sets ``left_on``: the row stays, so the org keeps seeing the pairing and the activities
    it took part in, and a figure for an earlier period still counts it.
    """

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="parties")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    joined_on = models.DateField("加入日期", null=True, blank=True)
    left_on = models.DateField("退出日期", null=True, blank=True)
    left_reason = models.CharField("退出原因", max_length=200, blank=True)

    objects = PairingOrgQuerySet.as_manager()

    class Meta:
        verbose_name = "结对党组织"
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "org"], condition=Q(left_on__isnull=True), name="orgs_pairing_org_unique"
            )
        ]

    def __str__(self):
        return f"{self.pairing} · {self.org}"


class PairingActivityQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = VIEW):
        return self.filter(pairing__in=Pairing.objects.visible_to(user, action).values("pk"))


class PairingActivity(models.Model):
    """A joint activity held under a pairing (linked to the activities module once it exists)."""

    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="activities")
    held_on = models.DateField("活动日期")
    title = models.CharField("活动名称", max_length=120)
    note = models.TextField("活动内容", blank=True)
    activity_ref = models.CharField("活动编号", max_length=64, blank=True)
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = PairingActivityQuerySet.as_manager()

    class Meta:
        verbose_name = "共建活动"
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["held_on"])]

    def __str__(self):
        return self.title


# --- places ---------------------------------------------------------------------------------------------


class PlaceKind(models.TextChoices):
    SERVICE_CENTER = "service_center", "党群服务中心"
    EDUCATION_BASE = "education_base", "党员教育基地"
    ORIGIN_HALL = "origin_hall", "初心堂"
    RED_STATION = "red_station", "红色驿站"
    PARTY_SCHOOL = "party_school", "党校"
    ACTIVITY_ROOM = "activity_room", "党员活动室"


class Place(models.Model):
    """阵地: a place an org runs for party work — a service center, an education base, an activity room …"""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="places")
    kind = models.CharField("类型", max_length=30, choices=PlaceKind.choices)
    name = models.CharField("名称", max_length=120)
    address = models.CharField("地址", max_length=200, blank=True)
    area = models.DecimalField("面积(平方米)", max_digits=9, decimal_places=1, null=True, blank=True)
    opened_on = models.DateField("启用日期", null=True, blank=True)
    # A place is closed, never deleted: it stays in the figures of the years it was open.
    closed_on = models.DateField("停用日期", null=True, blank=True)
    close_reason = models.CharField("停用原因", max_length=200, blank=True)
    note = models.TextField("备注", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "阵地"
        ordering = ["org", "kind", "name", "pk"]
        indexes = [models.Index(fields=["kind"])]

    def __str__(self):
        return self.name


# --- weak-and-lax flags ---------------------------------------------------------------------------------


class WeakFlag(models.Model):
    """软弱涣散: an org flagged as weak and lax, the reason, and its rectification until the flag is closed."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="weak_flags")
    reason = models.TextField("主要问题")
    flagged_on = models.DateField("认定日期")
    closed_on = models.DateField("整顿销号日期", null=True, blank=True)
    closing_note = models.TextField("销号说明", blank=True)
    document_number = models.CharField("文号", max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "软弱涣散党组织"
        ordering = ["-flagged_on", "-pk"]

    def __str__(self):
        return f"{self.org} {self.flagged_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class WeakFlagStepQuerySet(ScopedQuerySet):
    org_path_lookup = "flag__org__path"


class WeakFlagStep(models.Model):
    """One rectification step taken on a weak-and-lax flag (整顿措施)."""

    flag = models.ForeignKey(WeakFlag, on_delete=models.PROTECT, related_name="steps")
    taken_on = models.DateField("日期")
    description = models.TextField("整顿措施")

    objects = WeakFlagStepQuerySet.as_manager()

    class Meta:
        verbose_name = "整顿措施"
        ordering = ["taken_on", "pk"]

    def __str__(self):
        return f"{self.flag} {self.taken_on}"
