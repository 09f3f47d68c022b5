"""People who log in, the roles they hold at orgs, and their API tokens."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.roles import PARTY_ROLES, Role


class User(AbstractUser):
    """A person with a login: party affairs staff, a secretary, a member, or a system administrator."""

    display_name = models.CharField("姓名", max_length=50, blank=True)
    failed_logins = models.PositiveSmallIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)

    class Meta:
        verbose_name = "用户"

    def __str__(self):
        return self.display_name or self.username

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)


class RoleAssignment(models.Model):
    """A role a user holds, at an org for party roles; ended rather than deleted, so history stays."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_assignments")
    org = models.ForeignKey("orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField("授予时间", default=timezone.now)
    ended_at = models.DateTimeField("终止时间", null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "角色授权"
        constraints = [
            # Party roles are always held at an org; system roles never are.
            models.CheckConstraint(
                condition=(Q(role__in=sorted(PARTY_ROLES)) & Q(org__isnull=False))
                | (~Q(role__in=sorted(PARTY_ROLES)) & Q(org__isnull=True)),
                name="role_org_matches_kind",
            ),
        ]

    def __str__(self):
        where = f"@{self.org}" if self.org_id else ""
        return f"{self.user} {self.get_role_display()}{where}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once when issued."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField("名称", max_length=100, blank=True)
    prefix = models.CharField("前缀", max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API令牌"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
