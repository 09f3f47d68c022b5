"""Every write to accounts: logins with lockout, users, role assignments and API tokens."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import ApiToken, RoleAssignment, User
from dangjian.accounts.roles import PARTY_ROLES, Role
from dangjian.core import audit
from dangjian.core.access import forget_cached_scope, has_system_role, system_roles_of
from dangjian.core.audit import Actor
from dangjian.core.crypto import sm3_hex
from dangjian.core.errors import ConflictError, NotPermitted, ServiceError

TOKEN_PREFIX = "dj_"


def user_state(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_active": user.is_active,
        "locked_until": user.locked_until,
    }


# --- logging in -----------------------------------------------------------------------------------------


@dataclass
class LoginResult:
    user: User | None
    message: str = ""
    # Set when the account is locked, so a page can say until when.
    locked_until: datetime | None = None


def _generic_failure() -> LoginResult:
    return LoginResult(None, "用户名或密码错误。")


def check_login(
    username: str, password: str, *, client_ip: str = "", request_id: str = "", via="page"
) -> LoginResult:
    """Check a username and password, counting failures and locking the account after too many.

    The same function serves the login page and the API token endpoint, so the lockout
    cannot be bypassed through either. A wrong password on an unknown user gets the same
    answer as on a known one.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=(username or "").strip()).first()
        if user is None or not user.is_active:
            return _generic_failure()
        now = timezone.now()
        actor = Actor(user=user, via=via, request_id=request_id, client_ip=client_ip)
        if user.is_locked(now):
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            return LoginResult(
                None, f"连续登录失败次数过多,账号已锁定,请{minutes}分钟后再试。", user.locked_until
            )
        if not user.check_password(password):  # also upgrades an older hash to the first hasher
            user.failed_logins += 1
            fields = ["failed_logins"]
            if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
                user.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
                user.failed_logins = 0
                fields.append("locked_until")
                user.save(update_fields=fields)
                audit.record(actor, "user.locked", user, after=user_state(user))
                return LoginResult(
                    None,
                    f"连续登录失败{settings.LOGIN_MAX_FAILURES}次,账号已锁定{settings.LOGIN_LOCKOUT_MINUTES}分钟。",
                    user.locked_until,
                )
            user.save(update_fields=fields)
            return _generic_failure()
        if user.failed_logins or user.locked_until:
            user.failed_logins, user.locked_until = 0, None
            user.save(update_fields=["failed_logins", "locked_until"])
        audit.record(actor, "user.login", user)
        return LoginResult(user)


# --- users (system administrator) -----------------------------------------------------------------------


def require_system_role(actor: Actor, role: Role) -> None:
    if actor.is_system:
        return
    if not has_system_role(actor.user, role):
        raise NotPermitted(f"只有{role.label}可以进行此操作。")


def validate_new_password(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="password") from exc


@transaction.atomic
def create_user(actor: Actor, *, username: str, password: str, display_name: str = "") -> User:
    require_system_role(actor, Role.SYSTEM_ADMIN)
    username = (username or "").strip()
    if not username:
        raise ServiceError("用户名不能为空。", field="username")
    if User.objects.filter(username=username).exists():
        raise ConflictError(f"用户名“{username}”已存在。", field="username")
    candidate = User(username=username, display_name=(display_name or "").strip())
    validate_new_password(password, candidate)
    user = User.objects.create_user(username=username, password=password, display_name=candidate.display_name)
    audit.record(actor, "user.create", user, after=user_state(user))
    return user


@transaction.atomic
def set_user_active(actor: Actor, user: User, active: bool) -> User:
    """Disable or re-enable a login. Accounts are never deleted: the log refers to them."""
    require_system_role(actor, Role.SYSTEM_ADMIN)
    if not active and actor.user is not None and actor.user.pk == user.pk:
        # The last system administrator would otherwise be able to shut everyone out of account management.
        raise NotPermitted("不能停用自己的账号。")
    before = user_state(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        actor, "user.enable" if active else "user.disable", user, before=before, after=user_state(user)
    )
    return user


@transaction.atomic
def unlock_user(actor: Actor, user: User) -> User:
    """Lift a lockout before it runs out, e.g. after the user has called the administrator."""
    require_system_role(actor, Role.SYSTEM_ADMIN)
    before = user_state(user)
    user.failed_logins, user.locked_until = 0, None
    user.save(update_fields=["failed_logins", "locked_until"])
    audit.record(actor, "user.unlock", user, before=before, after=user_state(user))
    return user


@transaction.atomic
def reset_password(actor: Actor, user: User, password: str) -> User:
    require_system_role(actor, Role.SYSTEM_ADMIN)
    if not actor.is_system and system_roles_of(user):
        # Otherwise the system administrator could take over the security or audit administrator's
        # account and undo the separation of the three roles. An operator on the server can still do it.
        raise NotPermitted(
            "不能在页面上重置系统管理类账号的密码;请由服务器运维人员用命令 manage.py reset_password 办理。"
        )
    validate_new_password(password, user)
    user.set_password(password)
    user.failed_logins, user.locked_until = 0, None
    user.save(update_fields=["password", "failed_logins", "locked_until"])
    audit.record(actor, "user.reset_password", user)
    return user


@transaction.atomic
def change_own_password(actor: Actor, old_password: str, new_password: str) -> User:
    user = actor.user
    if not user.check_password(old_password):
        raise ServiceError("原密码不正确。", field="old_password")
    validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(actor, "user.change_password", user)
    return user


# --- role assignments (security administrator) ----------------------------------------------------------


def assignment_state(assignment: RoleAssignment) -> dict:
    return {
        "user": assignment.user.username,
        "role": assignment.role,
        "org_id": assignment.org_id,
        "ended_at": assignment.ended_at,
    }


@transaction.atomic
def grant_role(actor: Actor, *, user: User, role: str, org=None) -> RoleAssignment:
    require_system_role(actor, Role.SECURITY_ADMIN)
    if role not in Role.values:
        raise ServiceError(f"角色“{role}”无效。", field="role")
    if role in PARTY_ROLES and org is None:
        raise ServiceError(f"{Role(role).label}须指定所在党组织。", field="org")
    if role not in PARTY_ROLES:
        org = None
    if actor.user is not None and actor.user.pk == user.pk:
        raise NotPermitted("不能给自己授予角色。")
    if RoleAssignment.objects.active().filter(user=user, role=role, org=org).exists():
        raise ConflictError("该用户已持有此角色。", field="role")
    assignment = RoleAssignment.objects.create(user=user, role=role, org=org, granted_by=actor.user)
    audit.record(actor, "role.grant", assignment, org=org, after=assignment_state(assignment))
    forget_cached_scope(user)
    return assignment


@transaction.atomic
def end_role(actor: Actor, assignment: RoleAssignment) -> RoleAssignment:
    require_system_role(actor, Role.SECURITY_ADMIN)
    if assignment.ended_at is not None:
        raise ServiceError("该授权已终止。")
    before = assignment_state(assignment)
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    audit.record(
        actor, "role.end", assignment, org=assignment.org, before=before, after=assignment_state(assignment)
    )
    return assignment


# --- API tokens -----------------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return sm3_hex(raw.encode())


@transaction.atomic
def issue_token(actor: Actor, *, name: str = "") -> tuple[ApiToken, str]:
    """Issue a bearer token for the actor's own user. The raw token is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor.user,
        name=(name or "").strip()[:100],
        prefix=raw[:10],
        key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    audit.record(actor, "token.issue", token, after={"prefix": token.prefix, "expires_at": token.expires_at})
    return token, raw


def user_for_token(raw: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw or "")).first()
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute: a busy client should not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def revoke_token(actor: Actor, token: ApiToken) -> ApiToken:
    if actor.user is None or token.user_id != actor.user.pk:
        raise NotPermitted("只能吊销自己的令牌。")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "token.revoke", token, after={"prefix": token.prefix})
    return token
