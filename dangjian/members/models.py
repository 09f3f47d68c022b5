"""Member records: the person from application to exit, their dated events, transfers, mobility and care.

Protected personal data (ID number, phone, address) is never stored in clear: each value is kept as an
SM4-GCM ciphertext bound to its table, column and the row's ``row_key`` (a random UUID given before the
row is first saved, so the ciphertext can be made before an insert and bulk inserts need no second pass),
a masked form for lists and exports, and, for the ID number, an HMAC-SM3 blind index for exact search.
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dangjian.core.access import ScopedQuerySet, scope_q
from dangjian.orgs.models import Org


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Category(models.TextChoices):
    """Where the person stands on the path to full membership (GLOSSARY.md)."""

    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    CANDIDATE = "candidate", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"


PRE_MEMBER_CATEGORIES = frozenset({Category.APPLICANT, Category.ACTIVIST, Category.CANDIDATE})
PARTY_MEMBER_CATEGORIES = frozenset({Category.PROBATIONARY, Category.FULL})


class Status(models.TextChoices):
    NORMAL = "normal", "正常"
    ABROAD = "abroad", "出国(境)"
    LOST_CONTACT = "lost_contact", "失联"
    MOBILE = "mobile", "流动"
    SUSPENDED = "suspended", "停止党籍"
    EXITED = "exited", "已出党"


class ExitReason(models.TextChoices):
    REMOVED = "removed", "除名"
    EXPELLED = "expelled", "开除"
    WITHDREW = "withdrew", "退党"
    PERSUADED = "persuaded", "劝退"
    DECEASED = "deceased", "死亡"
    LAPSED = "lapsed", "自行脱党"
    # Not an exit from the party in the glossary's sense, but the record leaves the roll the same way.
    PROBATION_CANCELLED = "probation_cancelled", "取消预备党员资格"


class Education(models.TextChoices):
    """RULES.md §6, kept as a code table of the statistics."""

    POSTGRADUATE = "postgraduate", "研究生"
    BACHELOR = "bachelor", "大学本科"
    COLLEGE = "college", "大学专科"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中专"
    HIGH_SCHOOL = "high_school", "高中/中技"
    JUNIOR_OR_BELOW = "junior_or_below", "初中及以下"


class Occupation(models.TextChoices):
    """The occupation categories of the annual statistics (RULES.md §6)."""

    WORKER = "worker", "工人(工勤技能人员)"
    FARMER = "farmer", "农牧渔民"
    PROFESSIONAL = "professional", "企事业单位·社会组织专业技术人员"
    MANAGER = "manager", "企事业单位·社会组织管理人员"
    OFFICIAL = "official", "党政机关工作人员"
    STUDENT = "student", "学生"
    OTHER = "other", "其他职业人员"
    RETIRED = "retired", "离退休人员"


class MemberTag(models.Model):
    """A ledger (台账) a member can be listed in: 老党员, 困难党员, 烈士遗属 … (a code table)."""

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    description = models.CharField("说明", max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "党员台账标签"

    def __str__(self):
        return self.name


class MemberQuerySet(ScopedQuerySet):
    def on_roll(self):
        """Members whose relationship is held here now: not exited, not transferred out of the platform."""
        return self.filter(on_roll=True)


class Member(models.Model):
    """One person from the application to the exit (GLOSSARY.md ``Member``); ``category`` says where they are.

    ``org`` is the org of record (组织关系所在党组织): it decides who sees the record. ``on_roll`` is False
    once the person has left the roll (出党, death, transfer out of the platform); the record stays with
    its last org as history. Protected fields: see the module docstring.
    """

    row_key = models.UUIDField("行密钥标识", default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("姓名", max_length=50)
    name_initials = models.CharField("姓名拼音首字母", max_length=50, blank=True, db_index=True)
    sex = models.CharField("性别", max_length=10, choices=Sex.choices)
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    birth_date = models.DateField("出生日期")
    id_number_enc = models.TextField("公民身份号码(密文)")
    # Unique by a constraint, not ``unique=True``: that would add a second, LIKE-pattern index on
    # PostgreSQL, which an exact-match blind index never uses and every insert would pay for.
    id_number_index = models.CharField("公民身份号码(盲索引)", max_length=64)
    id_number_masked = models.CharField("公民身份号码(掩码)", max_length=18)
    native_place = models.CharField("籍贯", max_length=60, blank=True)
    education = models.CharField("学历", max_length=30, choices=Education.choices, blank=True)
    occupation = models.CharField("职业", max_length=30, choices=Occupation.choices, blank=True)
    work_unit = models.CharField("工作单位", max_length=120, blank=True)
    post = models.CharField("职务(岗位)", max_length=60, blank=True)
    phone_enc = models.TextField("联系电话(密文)", blank=True)
    phone_masked = models.CharField("联系电话(掩码)", max_length=20, blank=True)
    address_enc = models.TextField("家庭住址(密文)", blank=True)
    address_masked = models.CharField("家庭住址(掩码)", max_length=20, blank=True)
    category = models.CharField("人员类别", max_length=20, choices=Category.choices)
    status = models.CharField("党员状态", max_length=20, choices=Status.choices, default=Status.NORMAL)
    # The day the current status began: reminders (away ≥ 6 months, lost contact ≥ 6 months) count from it.
    status_since = models.DateField("状态起始日期", null=True, blank=True)
    on_roll = models.BooleanField("在册", default=True)
    # No index of its own: the (org, on_roll, category) index and the on-roll index serve every lookup by org.
    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="members", verbose_name="所在党组织", db_index=False
    )
    applied_on = models.DateField("申请入党日期", null=True, blank=True)
    joined_on = models.DateField("入党日期", null=True, blank=True, help_text="接收为预备党员之日")
    converted_on = models.DateField("转正日期", null=True, blank=True, help_text="预备期满之日,党龄由此起算")
    probation_extended_months = models.PositiveSmallIntegerField("延长预备期(月)", default=0)
    exit_reason = models.CharField("出党方式", max_length=30, choices=ExitReason.choices, blank=True)
    left_on = models.DateField("离册日期", null=True, blank=True)
    tags = models.ManyToManyField(MemberTag, blank=True, related_name="members", verbose_name="台账标签")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        indexes = [
            models.Index(fields=["org", "on_roll", "category"]),
            models.Index(fields=["status", "status_since"]),
            models.Index(fields=["name"]),
            models.Index(fields=["birth_date"]),
            models.Index(fields=["joined_on"]),
            # Narrow, for counting a list org by org from the index alone (members.queries.Listing).
            models.Index(fields=["org"], condition=Q(on_roll=True), name="members_on_roll_by_org"),
            # The people on the path (applicants, activists, candidates) are a few per cent of the table:
            # counting them for a province's root (the dashboard) read the whole (org, on_roll, category)
            # index, 210 ms over 10,000,000 members; this index holds only them.
            models.Index(
                fields=["org", "category"],
                condition=Q(on_roll=True, category__in=["applicant", "activist", "candidate"]),
                name="members_on_path_by_org",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["id_number_index"], name="members_one_record_per_id_number"),
        ]

    def __str__(self):
        return self.name

    def party_standing(self, on: date | None = None) -> int | None:
        """党龄 in whole years, counted from the conversion date (党章第七条); None before conversion."""
        if self.converted_on is None:
            return None
        on = on or self.left_on or timezone.localdate()
        years = on.year - self.converted_on.year
        if (on.month, on.day) < (self.converted_on.month, self.converted_on.day):
            years -= 1
        return max(years, 0)

    def age(self, on: date | None = None) -> int:
        on = on or timezone.localdate()
        return (
            on.year
            - self.birth_date.year
            - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))
        )


class MemberEventKind(models.TextChoices):
    CREATED = "created", "建立档案"
    APPLIED = "applied", "递交入党申请"
    ACTIVIST_CONFIRMED = "activist_confirmed", "确定为入党积极分子"
    CANDIDATE_CONFIRMED = "candidate_confirmed", "确定为发展对象"
    ADMITTED = "admitted", "接收为预备党员"
    CONVERTED = "converted", "转为正式党员"
    PROBATION_EXTENDED = "probation_extended", "延长预备期"
    PROBATION_CANCELLED = "probation_cancelled", "取消预备党员资格"
    TRANSFERRED_OUT = "transferred_out", "组织关系转出"
    TRANSFERRED_IN = "transferred_in", "组织关系转入"
    MOVED_AWAY = "moved_away", "外出流动"
    WENT_ABROAD = "went_abroad", "出国(境)"
    RETURNED = "returned", "返回"
    LOST_CONTACT = "lost_contact", "失去联系"
    FOUND = "found", "恢复联系"
    SUSPENDED = "suspended", "停止党籍"
    RESTORED = "restored", "恢复党籍"
    EXITED = "exited", "出党"
    DECEASED = "deceased", "去世"
    COMMENDED = "commended", "表彰"
    DISCIPLINED = "disciplined", "处分"
    CHANGED = "changed", "信息变更"


class MemberEventQuerySet(ScopedQuerySet):
    pass


class MemberEvent(models.Model):
    """Something that happened to a member on a given day (DESIGN.md idea 2).

    ``org`` is the member's org when the event was recorded: it decides who sees the event, so after a
    transfer the old org keeps sight of the events it recorded and sees none recorded after the move.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="member_events")
    kind = models.CharField("事项", max_length=30, choices=MemberEventKind.choices)
    occurred_on = models.DateField("发生日期")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    # Not indexed: nothing looks events up by who recorded them (accounts are never deleted).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    document_number = models.CharField("文号", max_length=100, blank=True)
    details = models.JSONField("详情", default=dict, blank=True)
    note = models.TextField("说明", blank=True)

    objects = MemberEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-recorded_at", "-pk"]
        verbose_name = "党员事项"
        indexes = [models.Index(fields=["kind", "occurred_on"])]

    def __str__(self):
        return f"{self.member} {self.get_kind_display()} {self.occurred_on}"


class TransferDirection(models.TextChoices):
    WITHIN = "within", "系统内转接"
    OUT = "out", "转出至系统外"
    IN = "in", "从系统外转入"


class TransferStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", "在途"
    ACCEPTED = "accepted", "已接收"
    RETURNED = "returned", "已退回"
    COMPLETED = "completed", "已办结"


class TransferQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        """Both ends see a transfer: the sending org (it stays responsible) and the receiving org."""
        condition = None
        for lookup in ("from_org__path", "to_org__path"):
            part = scope_q(user, lookup, action)
            if part is not None:
                condition = part if condition is None else condition | part
        return self.none() if condition is None else self.filter(condition)


class Transfer(models.Model):
    """组织关系转接: a letter (介绍信) from one org to another, inside the platform or across its edge.

    Inside the platform the member stays with ``from_org`` (which keeps responsibility) while the transfer
    is in transit, and moves to ``to_org`` when that org accepts. A letter to or from an org outside the
    platform names that org in ``outside_org_name``; the receipt (回执) closes it.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transfers")
    direction = models.CharField("方式", max_length=10, choices=TransferDirection.choices)
    from_org = models.ForeignKey(
        Org,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
        verbose_name="转出党组织",
    )
    to_org = models.ForeignKey(
        Org,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
        verbose_name="转入党组织",
    )
    outside_org_name = models.CharField("系统外党组织", max_length=120, blank=True)
    letter_number = models.CharField("介绍信编号", max_length=60)
    issued_on = models.DateField("开具日期")
    expires_on = models.DateField("有效期至", null=True, blank=True)
    reason = models.CharField("转接原因", max_length=200, blank=True)
    dues_paid_until = models.DateField("党费交至(月)", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=TransferStatus.choices)
    accepted_on = models.DateField("接收日期", null=True, blank=True)
    returned_on = models.DateField("退回日期", null=True, blank=True)
    return_reason = models.CharField("退回原因", max_length=200, blank=True)
    receipt_number = models.CharField("回执编号", max_length=60, blank=True)
    receipt_on = models.DateField("回执日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = "组织关系转接"
        constraints = [
            # One open letter per member: a second one while the first is in transit would split responsibility.
            models.UniqueConstraint(
                fields=["member"], condition=Q(status="in_transit"), name="one_open_transfer_per_member"
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.letter_number}"

    @property
    def from_label(self) -> str:
        return self.from_org.name if self.from_org_id else self.outside_org_name

    @property
    def to_label(self) -> str:
        return self.to_org.name if self.to_org_id else self.outside_org_name


class Mobility(models.Model):
    """One period away from the org of record (流动党员): where, who to contact, the mobility card."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="mobilities")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField("外出日期")
    ended_on = models.DateField("返回日期", null=True, blank=True)
    destination = models.CharField("流入地", max_length=120)
    fixed_place = models.BooleanField("有固定地点", default=True)
    destination_org_name = models.CharField("流入地党组织", max_length=120, blank=True)
    contact_person = models.CharField("联系人", max_length=60, blank=True)
    mobility_card_number = models.CharField("流动党员活动证号", max_length=40, blank=True)
    note = models.TextField("说明", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]
        verbose_name = "流动情况"

    def __str__(self):
        return f"{self.member} {self.destination}"


class ContactLog(models.Model):
    """A contact with a member away from home (流动党员联系记录)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="contacts")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    contacted_on = models.DateField("联系日期")
    method = models.CharField("方式", max_length=30, blank=True)
    note = models.TextField("内容")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-contacted_on", "-pk"]
        verbose_name = "联系记录"

    def __str__(self):
        return f"{self.member} {self.contacted_on}"


class CareKind(models.TextChoices):
    VISIT = "visit", "慰问"
    HELP = "help", "帮扶"


class Care(models.Model):
    """Care given to a member (慰问, 关爱帮扶): when, by whom, what, and how much money if any."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="cares")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=10, choices=CareKind.choices)
    occurred_on = models.DateField("日期")
    given_by = models.CharField("慰问(帮扶)人", max_length=120)
    content = models.TextField("内容")
    amount = models.DecimalField("金额(元)", max_digits=12, decimal_places=2, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        verbose_name = "关爱帮扶"

    def __str__(self):
        return f"{self.member} {self.get_kind_display()} {self.occurred_on}"


class MemberLoginQuerySet(ScopedQuerySet):
    org_path_lookup = "member__org__path"

    def current(self):
        """Links in force: not yet ended."""
        return self.filter(ended_at__isnull=True)


class MemberLogin(models.Model):
    """Which login account is this member's own: the member signs in with it to see their meetings, check
    in, and see their dues and record on the phone pages ("我的").

    A link in force has no ``ended_at``; at any time a login belongs to at most one member and a member
    has at most one login. Unlinking sets ``ended_at`` (the row stays as history of who used which
    account), so the same account or member can be linked again later.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="member_logins")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="logins")
    linked_at = models.DateTimeField("关联时间", default=timezone.now)
    ended_at = models.DateTimeField("解除时间", null=True, blank=True)

    objects = MemberLoginQuerySet.as_manager()

    class Meta:
        ordering = ["-linked_at", "-pk"]
        verbose_name = "党员账号关联"
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_at__isnull=True), name="members_one_current_link_per_user"
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_at__isnull=True),
                name="members_one_current_link_per_member",
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.member}"
