"""The org tree and the dated events of each org's life."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from dangjian.core.access import VIEW, ScopedQuerySet, subtree_q


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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgManager()

    class Meta:
        verbose_name = "党组织"
        indexes = [
            models.Index(fields=["kind"]),
            models.Index(fields=["name"]),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == OrgStatus.ACTIVE

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

    objects = OrgEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-recorded_at"]
        verbose_name = "党组织事项"
        indexes = [models.Index(fields=["kind", "occurred_on"])]

    def __str__(self):
        return f"{self.org} {self.get_kind_display()} {self.occurred_on}"
