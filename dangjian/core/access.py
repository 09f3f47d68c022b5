"""Scope: which orgs' records a user may see or change (DESIGN.md, idea 1).

A user's scope is the union of the subtrees of the orgs where they hold a party role
(a member: only their own org). Every queryset that reaches a page, an export or the API
goes through ``visible_to``; objects are fetched with ``get_visible_or_404`` so that an id
out of scope answers 404 and tells nothing about what exists.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.http import Http404

from dangjian.accounts.roles import CHANGING_ROLES, SUBTREE_ROLES, SYSTEM_ROLES, Role

VIEW = "view"
CHANGE = "change"

# The characters of treebeard's materialized paths, in their sort order (Org.alphabet).
PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def path_upper_bound(path: str) -> str | None:
    """The first path after every descendant of ``path``: 0001000B → 0001000C, 000Z → 001.

    Paths hold only 0-9 and A-Z, which sort the same in the C, ICU and glibc collations and in
    SQLite's binary one, so ``path >= P AND path < path_upper_bound(P)`` is exactly the subtree.
    """
    kept = path.rstrip(PATH_ALPHABET[-1])
    if not kept:
        return None
    return kept[:-1] + PATH_ALPHABET[PATH_ALPHABET.index(kept[-1]) + 1]


def subtree_q(path_lookup: str, path: str) -> Q:
    """Rows whose org path lies in the subtree at ``path``.

    The prefix match says what is meant; the range beside it is what lets the database walk the
    path index straight to the subtree: PostgreSQL cannot use a collated index for LIKE, SQLite's
    LIKE is case-insensitive and uses no index, and both then scan from the first path
    (bench/README.md measures the difference).
    """
    condition = Q(**{f"{path_lookup}__startswith": path, f"{path_lookup}__gte": path})
    upper = path_upper_bound(path)
    if upper is not None:
        condition &= Q(**{f"{path_lookup}__lt": upper})
    return condition


@dataclass(frozen=True)
class Scope:
    path: str
    subtree: bool
    can_change: bool


def scopes_for(user) -> list[Scope]:
    """The user's party scopes, loaded once per request object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_party_scopes", None)
    if cached is None:
        rows = user.role_assignments.active().filter(org__isnull=False).values_list("role", "org__path")
        cached = [Scope(path, role in SUBTREE_ROLES, role in CHANGING_ROLES) for role, path in rows]
        user._party_scopes = cached
    return cached


def system_roles_of(user) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_system_roles", None)
    if cached is None:
        cached = set(
            user.role_assignments.active().filter(role__in=list(SYSTEM_ROLES)).values_list("role", flat=True)
        )
        user._system_roles = cached
    return cached


def has_system_role(user, role: Role) -> bool:
    return role in system_roles_of(user)


def forget_cached_scope(user) -> None:
    for attr in ("_party_scopes", "_system_roles"):
        if hasattr(user, attr):
            delattr(user, attr)


def scope_q(user, path_lookup: str, action: str = VIEW) -> Q | None:
    """A filter for rows whose org path lies in the user's scope, or None when nothing does."""
    condition = None
    for scope in scopes_for(user):
        if action == CHANGE and not scope.can_change:
            continue
        part = subtree_q(path_lookup, scope.path) if scope.subtree else Q(**{path_lookup: scope.path})
        condition = part if condition is None else condition | part
    return condition


def path_in_scope(user, path: str, action: str = VIEW) -> bool:
    for scope in scopes_for(user):
        if action == CHANGE and not scope.can_change:
            continue
        if path == scope.path or (scope.subtree and path.startswith(scope.path)):
            return True
    return False


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows where its rows' org path is (``org__path`` unless told otherwise)."""

    org_path_lookup = "org__path"

    def visible_to(self, user, action: str = VIEW):
        condition = scope_q(user, self.org_path_lookup, action)
        return self.none() if condition is None else self.filter(condition)


def get_visible_or_404(queryset, user, action: str = VIEW, **lookup):
    """The object matching ``lookup`` inside the user's scope, or 404 (never 403: ids reveal nothing)."""
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset.objects.all()
    try:
        return queryset.visible_to(user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该记录,或您无权查看。") from exc
