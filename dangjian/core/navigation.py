"""The left menu: one explicit list of every page a user can open from it.

Each app's pages are listed here by URL name, with who may see the entry. Entries whose URL
does not resolve are skipped, so a module appears in the menu exactly when its pages exist,
and a user sees only entries they may open (no dead links, no "permission denied" clicks).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from dangjian.accounts.roles import Role
from dangjian.core.access import has_system_role, scopes_for


def holds_party_role(user) -> bool:
    return bool(scopes_for(user))


def can_change_somewhere(user) -> bool:
    return any(scope.can_change for scope in scopes_for(user))


def linked_to_member(user) -> bool:
    """The login is a member's own (members.MemberLogin): the "my …" pages have something to show."""
    cached = getattr(user, "_linked_to_member", None)
    if cached is None:
        from dangjian.members.services import member_of

        # Linking needs a party role at the member's org (members.services.link_login); the menu offers the
        # "my …" pages only to logins that still hold one, so system-role logins cost no query.
        cached = user._linked_to_member = holds_party_role(user) and member_of(user) is not None
    return cached


def anyone(user) -> bool:
    return True


def system_role(role: Role) -> Callable:
    return lambda user: has_system_role(user, role)


@dataclass(frozen=True)
class MenuItem:
    section: str
    label: str
    url_name: str
    visible: Callable = anyone


MENU = [
    MenuItem("", "工作台", "core:home"),
    MenuItem("党组织", "组织列表", "orgs:list", holds_party_role),
    MenuItem("党组织", "组织建设提醒", "orgs:findings", holds_party_role),
    MenuItem("党组织", "组织工作统计", "orgs:figures", holds_party_role),
    MenuItem("党组织", "组织事项", "orgs:events", holds_party_role),
    MenuItem("党组织", "班子与任期", "orgs:terms", holds_party_role),
    MenuItem("党组织", "单位", "orgs:units", holds_party_role),
    MenuItem("党组织", "结对共建", "orgs:pairings", holds_party_role),
    MenuItem("党组织", "阵地", "orgs:places", holds_party_role),
    MenuItem("党组织", "软弱涣散党组织", "orgs:weak_flags", holds_party_role),
    MenuItem("党组织", "批量导入", "imports:list", can_change_somewhere),
    MenuItem("党员管理", "党员名册", "members:list", holds_party_role),
    MenuItem("党员管理", "党员事项", "members:events", holds_party_role),
    MenuItem("党员管理", "组织关系转接", "members:transfers", holds_party_role),
    MenuItem("党员管理", "台账", "members:ledgers", holds_party_role),
    MenuItem("党员管理", "提醒", "members:reminders", holds_party_role),
    MenuItem("党员管理", "党员账号关联", "members:logins", can_change_somewhere),
    MenuItem("发展党员", "发展党员纪实", "recruitment:list", holds_party_role),
    MenuItem("发展党员", "待办提醒", "recruitment:todo", holds_party_role),
    MenuItem("发展党员", "年度计划", "recruitment:plans", holds_party_role),
    MenuItem("发展党员", "档案审核", "recruitment:audit", holds_party_role),
    MenuItem("发展党员", "规则集", "recruitment:rule_sets", holds_party_role),
    MenuItem("组织生活", "活动记录", "activities:list", holds_party_role),
    MenuItem("组织生活", "活动日历", "activities:calendar", holds_party_role),
    MenuItem("组织生活", "落实情况", "activities:compliance", holds_party_role),
    MenuItem("组织生活", "党员学时", "activities:study_hours", holds_party_role),
    MenuItem("组织生活", "培训班", "activities:training_list", holds_party_role),
    MenuItem("组织生活", "统计", "activities:figures", holds_party_role),
    MenuItem("组织生活", "频次要求", "activities:rules", holds_party_role),
    MenuItem("组织生活", "我的组织生活", "activities:mine", holds_party_role),
    MenuItem("党费管理", "应交党费", "dues:bills", holds_party_role),
    MenuItem("党费管理", "交纳记录", "dues:payments", holds_party_role),
    MenuItem("党费管理", "欠交提醒", "dues:arrears", holds_party_role),
    MenuItem("党费管理", "收缴统计", "dues:report", holds_party_role),
    MenuItem("党费管理", "交纳基数", "dues:bases", holds_party_role),
    MenuItem("党费管理", "党费账目", "dues:ledger", holds_party_role),
    MenuItem("统计分析", "党内统计", "reports:tables", holds_party_role),
    MenuItem("统计分析", "数据大屏", "reports:dashboard", holds_party_role),
    MenuItem("统计分析", "指标口径", "reports:indicators", holds_party_role),
    MenuItem("党费管理", "我的党费", "dues:mine", linked_to_member),
    MenuItem("系统管理", "用户管理", "accounts:user_list", system_role(Role.SYSTEM_ADMIN)),
    MenuItem("系统管理", "角色授权", "accounts:role_list", system_role(Role.SECURITY_ADMIN)),
    MenuItem("系统管理", "审计日志", "core:audit_list", system_role(Role.AUDIT_ADMIN)),
    MenuItem("我的", "我的首页", "members:mine", linked_to_member),
    MenuItem("我的", "修改密码", "accounts:password_change"),
    MenuItem("我的", "API 令牌", "accounts:tokens"),
]


@dataclass
class MenuSection:
    title: str
    entries: list


def menu_for(request) -> list[MenuSection]:
    """The sections and entries this user may open; the entry of the current page is marked active."""
    user = request.user
    if not user.is_authenticated:
        return []
    sections: dict[str, MenuSection] = {}
    current = getattr(request, "resolver_match", None)
    current_name = current.view_name if current else ""
    for item in MENU:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if not item.visible(user):
            continue
        app = item.url_name.split(":")[0]
        active = current_name == item.url_name or (
            current_name.startswith(app + ":") and item.url_name.endswith((":list", ":home"))
        )
        sections.setdefault(item.section, MenuSection(item.section, [])).entries.append(
            {"label": item.label, "url": url, "active": active}
        )
    return list(sections.values())
