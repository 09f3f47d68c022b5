"""The workbench (工作台): where each user lands after logging in."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from dangjian.accounts.roles import SYSTEM_ROLES, Role
from dangjian.core import workbench
from dangjian.core.access import scopes_for, system_roles_of
from dangjian.core.rules import Level
from dangjian.orgs import rules as org_rules
from dangjian.orgs.models import Org, OrgEvent, OrgKind

SYSTEM_TOOLS = {
    Role.SYSTEM_ADMIN: ("用户管理", "accounts:user_list", "建立账号、停用账号、重置密码、解除锁定。"),
    Role.SECURITY_ADMIN: ("角色授权", "accounts:role_list", "为账号授予或终止角色。"),
    Role.AUDIT_ADMIN: ("审计日志", "core:audit_list", "查阅所有写操作的记录。"),
}


def org_figures(user, org):
    """Counts for the current org's subtree, by kind; each links to the list behind it."""
    orgs = Org.objects.visible_to(user).within(org).active()
    by_kind = dict(orgs.order_by().values_list("kind").annotate(n=Count("pk")))
    return {
        "total": sum(by_kind.values()),
        "by_kind": [(kind, by_kind.get(kind.value, 0)) for kind in OrgKind],
    }


def org_building_reminders(user, org) -> dict:
    """组织建设提醒 for the subtree: how many findings of each level, and how many orgs they concern.

    The same rules and the same loading as the 组织建设提醒 page (a fixed number of queries), so the
    counts here and the page behind them cannot disagree."""
    orgs = Org.objects.visible_to(user).within(org).active()
    found = org_rules.findings_for(orgs, timezone.localdate())
    return {
        "total": len(found),
        "orgs": len({f.org.pk for f in found}),
        "by_level": [(level, sum(1 for f in found if f.finding.level == level)) for level in Level],
    }


@login_required
def home(request):
    user = request.user
    org = request.get_current_org()
    context = {
        "system_tools": [SYSTEM_TOOLS[role] for role in SYSTEM_TOOLS if role in system_roles_of(user)],
        "has_party_role": bool(scopes_for(user)),
        "has_system_role": bool(system_roles_of(user) & SYSTEM_ROLES),
    }
    if org is not None and context["has_party_role"]:
        context["figures"] = org_figures(user, org)
        context["reminders"] = org_building_reminders(user, org)
        context["blocks"] = workbench.blocks_for(user, org)
        context["recent_events"] = (
            OrgEvent.objects.visible_to(user)
            .filter(org__path__startswith=org.path)
            .select_related("org")[:10]
        )
    return render(request, "core/home.html", context)
