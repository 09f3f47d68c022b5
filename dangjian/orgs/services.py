"""Every write of the org module: checks, the dated event, the new state and the audit entry, atomically.

The tree (found, rename, move, merge, dissolve), corrections of events, units, committees and terms,
party groups, pairings, places and weak-and-lax flags. The members module hooks into merging and
dissolving through ``register_merge_hook`` and ``register_dissolve_check`` (see the end of the hooks
section): orgs never import members.
"""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.access import CHANGE, path_in_scope
from dangjian.core.audit import Actor
from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.rules import blocking
from dangjian.orgs import rules
from dangjian.orgs.models import (
    NEW_SECTORS,
    Committee,
    CommitteeMember,
    CommitteeOrigin,
    Group,
    GroupMember,
    Org,
    OrgEvent,
    OrgEventKind,
    OrgKind,
    OrgStatus,
    Pairing,
    PairingActivity,
    PairingOrg,
    Place,
    PlaceKind,
    Post,
    SeatOrigin,
    Sector,
    Unit,
    WeakFlag,
    WeakFlagStep,
)

CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_.]{0,39}$")
EDITABLE_FIELDS = (
    "name",
    "short_name",
    "sector",
    "code",
    "founded_on",
    "temporary_purpose",
    "temporary_until",
)
TEMPORARY_FIELDS = ("temporary_purpose", "temporary_until")

# --- hooks for the members module ---------------------------------------------------------------------
#
# orgs must not import members (members depends on orgs), yet merging an org moves its members and
# dissolving one is refused while it still has members. The members module registers two functions in
# its AppConfig.ready():
#
#   register_merge_hook(fn)      fn(actor, absorbed_org, surviving_org, occurred_on) moves the members
#                                (and anything else of theirs) inside the merge's transaction;
#   register_dissolve_check(fn)  fn(org) answers a Chinese reason ("还有12名党员…") or None;
#   register_move_hook(fn)       fn(actor, moved_org, old_path) runs inside the transaction of every move
#                                of an org with its subtree (调整隶属关系, and the children moved by a merge),
#                                after the paths changed (reports moves its subtree roll-ups);
#   register_change_hook(fn)     fn(actor, org, before, after) runs inside the transaction of every write
#                                that can change what the org statistics count (founded, sector or dates
#                                changed, dissolved, merged away, a founding or dissolution date corrected,
#                                an imported org removed): ``before``/``after`` are ``org_state`` dicts,
#                                None for an org not yet founded or being removed (called before the row
#                                and its subtree are deleted); reports keeps its org counts by them.
#
# Plain lists of functions, called explicitly by the services below: no signals, so a merge from the
# API, an import or a command runs them all the same way.

MergeHook = Callable[[Actor, Org, Org, date], None]
DissolveCheck = Callable[[Org], str | None]
MoveHook = Callable[[Actor, Org, str], None]
ChangeHook = Callable[[Actor, Org, dict | None, dict | None], None]
_merge_hooks: list[MergeHook] = []
_dissolve_checks: list[DissolveCheck] = []
_move_hooks: list[MoveHook] = []
_change_hooks: list[ChangeHook] = []


def register_merge_hook(hook: MergeHook) -> MergeHook:
    if hook not in _merge_hooks:
        _merge_hooks.append(hook)
    return hook


def register_dissolve_check(check: DissolveCheck) -> DissolveCheck:
    if check not in _dissolve_checks:
        _dissolve_checks.append(check)
    return check


def register_move_hook(hook: MoveHook) -> MoveHook:
    if hook not in _move_hooks:
        _move_hooks.append(hook)
    return hook


def moved(actor: Actor, org: Org, old_path: str) -> None:
    """Tell the move hooks that ``org`` (re-read, with its new path) and its subtree left ``old_path``."""
    for hook in _move_hooks:
        hook(actor, org, old_path)


def register_change_hook(hook: ChangeHook) -> ChangeHook:
    if hook not in _change_hooks:
        _change_hooks.append(hook)
    return hook


def org_changed(actor: Actor, org: Org, before: dict | None, after: dict | None) -> None:
    """Tell the change hooks that ``org`` went from ``before`` to ``after`` (``org_state``; None: absent)."""
    if before == after:
        return
    for hook in _change_hooks:
        hook(actor, org, before, after)


def unregister_hook(hook) -> None:
    """For tests: take a registered merge, move or change hook or dissolve check away again."""
    for registry in (_merge_hooks, _dissolve_checks, _move_hooks, _change_hooks):
        if hook in registry:
            registry.remove(hook)


def org_state(org: Org) -> dict:
    """The org's fields as the audit log keeps them."""
    return {
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind,
        "sector": org.sector,
        "code": org.code,
        "status": org.status,
        "founded_on": org.founded_on,
        "dissolved_on": org.dissolved_on,
        "parent_path": org.parent_path,
        "temporary_purpose": org.temporary_purpose,
        "temporary_until": org.temporary_until,
    }


def today() -> date:
    return timezone.localdate()


# --- permission checks ----------------------------------------------------------------------------------


def require_change(actor: Actor, org: Org, what: str) -> None:
    if actor.is_system:
        return
    if not path_in_scope(actor.user, org.path, CHANGE):
        raise NotPermitted(f"您没有在“{org.name}”{what}的权限。")


def require_change_of_parent(actor: Actor, org: Org, what: str) -> None:
    """Moving or dissolving an org is decided by the org above it, so the actor must hold the parent."""
    if actor.is_system:
        return
    parent = org.get_parent()
    if parent is None or not path_in_scope(actor.user, parent.path, CHANGE):
        raise NotPermitted(f"{what}“{org.name}”须由其上级党组织办理,您没有上级党组织的权限。")


# --- field checks ---------------------------------------------------------------------------------------


def clean_name(name: str | None, field: str = "name", label: str = "名称", max_length: int = 120) -> str:
    name = (name or "").strip()
    if field == "name" and not name:
        raise ServiceError("名称不能为空。", field=field)
    if len(name) > max_length:
        raise ServiceError(f"{label}不能超过{max_length}个字。", field=field)
    return name


def clean_kind(kind: str | None) -> str:
    if kind not in OrgKind.values:
        choices = "、".join(OrgKind.labels)
        raise ServiceError(f"类别“{kind or ''}”无效,应为:{choices}。", field="kind")
    return kind


def clean_sector(sector: str | None) -> str:
    sector = sector or Sector.OTHER
    if sector not in Sector.values:
        raise ServiceError(f"领域“{sector}”无效,应为:{'、'.join(Sector.labels)}。", field="sector")
    return sector


def clean_code(code: str | None, actor: Actor, exclude_pk: int | None = None) -> str:
    code = (code or "").strip()
    if not code:
        raise ServiceError("组织编码不能为空。", field="code")
    if not CODE_PATTERN.match(code):
        raise ServiceError("组织编码只能由字母、数字和 - _ . 组成,最长40位。", field="code")
    clash = Org.objects.filter(code=code).exclude(pk=exclude_pk).first()
    if clash is not None:
        # Name the org holding the code only to someone who may see it: codes must not reveal other subtrees.
        if actor.is_system or path_in_scope(actor.user, clash.path):
            raise ConflictError(f"组织编码“{code}”已被“{clash.name}”使用。", field="code")
        raise ConflictError(f"组织编码“{code}”已被使用。", field="code")
    return code


def clean_date(value: date | None, field: str, label: str) -> date | None:
    if value and value > today():
        raise ServiceError(f"{label}不能晚于今天。", field=field)
    return value


def clean_temporary(kind: str, purpose: str | None, until: date | None, founded_on: date) -> dict:
    """The purpose and expected end of a temporary branch; other kinds have neither."""
    purpose = clean_text(purpose, "temporary_purpose", "设立目的", 200)
    if kind != OrgKind.TEMPORARY_BRANCH:
        if purpose or until:
            raise ServiceError("只有临时党支部填写设立目的和预计结束日期。", field="temporary_purpose")
        return {}
    if until and until < founded_on:
        raise ServiceError("预计结束日期不能早于成立日期。", field="temporary_until")
    return {"temporary_purpose": purpose, "temporary_until": until}


def clean_until(until: date | None, org: Org) -> date | None:
    if until and org.founded_on and until < org.founded_on:
        raise ServiceError("预计结束日期不能早于成立日期。", field="temporary_until")
    return until


def clean_text(value, field: str, label: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(f"{label}不能为空。", field=field)
    if len(value) > max_length:
        raise ServiceError(f"{label}不能超过{max_length}个字。", field=field)
    return value


def clean_choice(value, choices, field: str, label: str) -> str:
    if value not in choices.values:
        raise ServiceError(f"{label}“{value or ''}”无效,应为:{'、'.join(choices.labels)}。", field=field)
    return value


def clean_required_date(value: date | None, field: str, label: str) -> date:
    if value is None:
        raise ServiceError(f"{label}不能为空。", field=field)
    return clean_date(value, field, label)


def require_active(org: Org, what: str = "办理此事项") -> None:
    if not org.is_active:
        raise ServiceError(f"“{org.name}”已撤销,不能{what}。")


def raise_blocking(findings, field: str) -> None:
    blocked = blocking(findings)
    if blocked:
        raise ServiceError(blocked[0].message, field=field, details={"rule": blocked[0].rule_id})


def _text(value) -> str:
    return "" if value is None else str(value)


def _event(actor: Actor, org: Org, kind: str, occurred_on: date, document_number: str, **extra) -> OrgEvent:
    return OrgEvent.objects.create(
        org=org,
        kind=kind,
        occurred_on=occurred_on,
        recorded_by=actor.user,
        document_number=(document_number or "").strip()[:100],
        details=extra.get("details", {}),
        note=extra.get("note", ""),
        corrects=extra.get("corrects"),
    )


# --- writes ---------------------------------------------------------------------------------------------


@transaction.atomic
def create_org(
    actor: Actor,
    *,
    parent: Org | None,
    name: str,
    kind: str,
    code: str,
    short_name: str = "",
    sector: str = Sector.OTHER,
    founded_on: date | None = None,
    document_number: str = "",
    note: str = "",
    temporary_purpose: str = "",
    temporary_until: date | None = None,
) -> Org:
    """Found an org under ``parent`` (or a root org, from a setup command only).

    A temporary branch (临时党支部) keeps what it is set up for and when it is expected to end.
    """
    name = clean_name(name)
    short_name = clean_name(short_name, "short_name", "简称", 60)
    kind = clean_kind(kind)
    sector = clean_sector(sector)
    code = clean_code(code, actor)
    founded_on = clean_date(founded_on, "founded_on", "成立日期")
    temporary = clean_temporary(kind, temporary_purpose, temporary_until, founded_on or today())
    if parent is None:
        if not actor.is_system:
            raise NotPermitted("顶级党组织只能由系统初始化命令创建。")
    else:
        parent = Org.objects.select_for_update().get(pk=parent.pk)
        require_change(actor, parent, "下设党组织")
        if not parent.is_active:
            raise ServiceError(f"上级党组织“{parent.name}”已撤销,不能在其下设立党组织。", field="parent")
        raise_blocking(rules.child_kind_findings(parent.kind, kind), "kind")
    fields = dict(
        name=name,
        short_name=short_name,
        kind=kind,
        sector=sector,
        code=code,
        founded_on=founded_on,
        **temporary,
    )
    org = Org.add_root(**fields) if parent is None else parent.add_child(**fields)
    org_changed(actor, org, None, org_state(org))
    details = {key: _text(value) for key, value in temporary.items() if value}
    _event(
        actor, org, OrgEventKind.FOUNDED, founded_on or today(), document_number, note=note, details=details
    )
    audit.record(actor, "org.create", org, org=org, after=org_state(org))
    return org


@transaction.atomic
def update_org(
    actor: Actor,
    org: Org,
    *,
    occurred_on: date | None = None,
    document_number: str = "",
    **changes,
) -> Org:
    """Change an org's name or particulars. A new name is a 更名 event; other changes a 信息变更 event."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"不能在此修改:{'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])
    org = Org.objects.select_for_update().get(pk=org.pk)
    require_change(actor, org, "修改信息")
    if not org.is_active:
        raise ServiceError(f"“{org.name}”已撤销,不能再修改。")
    cleaners = {
        "name": clean_name,
        "short_name": lambda v: clean_name(v, "short_name", "简称", 60),
        "sector": clean_sector,
        "code": lambda v: clean_code(v, actor, exclude_pk=org.pk),
        "founded_on": lambda v: clean_date(v, "founded_on", "成立日期"),
        "temporary_purpose": lambda v: clean_text(v, "temporary_purpose", "设立目的", 200),
        "temporary_until": lambda v: clean_until(v, org),
    }
    if set(changes) & set(TEMPORARY_FIELDS) and not org.is_temporary:
        raise ServiceError("只有临时党支部填写设立目的和预计结束日期。", field="temporary_purpose")
    cleaned = {field: cleaners[field](value) for field, value in changes.items()}
    changed = {f: v for f, v in cleaned.items() if getattr(org, f) != v}
    if not changed:
        return org
    occurred_on = clean_date(occurred_on, "occurred_on", "发生日期") or today()
    before = org_state(org)
    old_name = org.name
    for field, value in changed.items():
        setattr(org, field, value)
    org.save(update_fields=[*changed, "updated_at"])
    org_changed(actor, org, before, org_state(org))
    if "name" in changed:
        _event(
            actor,
            org,
            OrgEventKind.RENAMED,
            occurred_on,
            document_number,
            details={"from": old_name, "to": org.name},
        )
    others = {f: v for f, v in changed.items() if f != "name"}
    if others:
        _event(
            actor,
            org,
            OrgEventKind.CHANGED,
            occurred_on,
            document_number,
            details={f: [_text(before[f]), _text(v)] for f, v in others.items()},
        )
    audit.record(actor, "org.update", org, org=org, before=before, after=org_state(org))
    return org


@transaction.atomic
def move_org(
    actor: Actor, org: Org, new_parent: Org, *, occurred_on: date | None = None, document_number: str = ""
) -> Org:
    """Put an org and its whole subtree under another parent (调整隶属关系)."""
    org = Org.objects.select_for_update().get(pk=org.pk)
    new_parent = Org.objects.select_for_update().get(pk=new_parent.pk)
    require_change_of_parent(actor, org, "调整隶属关系")
    require_change(actor, new_parent, "接收下级党组织")
    if new_parent.path.startswith(org.path):
        raise ServiceError("不能把党组织调整到它自己或它的下级党组织之下。", field="parent")
    if org.parent_path == new_parent.path:
        raise ServiceError(f"“{org.name}”已经隶属于“{new_parent.name}”。", field="parent")
    if not org.is_active or not new_parent.is_active:
        raise ServiceError("已撤销的党组织不能调整隶属关系。", field="parent")
    raise_blocking(rules.child_kind_findings(new_parent.kind, org.kind), "parent")
    occurred_on = clean_date(occurred_on, "occurred_on", "发生日期") or today()
    old_parent = org.get_parent()
    before = org_state(org)
    old_path = org.path
    org.move(new_parent, pos="last-child")
    org = Org.objects.get(pk=org.pk)
    moved(actor, org, old_path)
    _event(
        actor,
        org,
        OrgEventKind.MOVED,
        occurred_on,
        document_number,
        details={
            "from_id": old_parent.pk,
            "from": old_parent.name,
            "to_id": new_parent.pk,
            "to": new_parent.name,
        },
    )
    audit.record(actor, "org.move", org, org=org, before=before, after=org_state(org))
    return org


@transaction.atomic
def dissolve_org(
    actor: Actor, org: Org, *, occurred_on: date | None = None, document_number: str = "", reason: str = ""
) -> Org:
    """Dissolve (撤销) an org. Refused while it still has active orgs below it."""
    org = Org.objects.select_for_update().get(pk=org.pk)
    require_change_of_parent(actor, org, "撤销")
    if not org.is_active:
        raise ServiceError(f"“{org.name}”已经撤销。")
    refuse_while_not_empty(org)
    occurred_on = clean_date(occurred_on, "occurred_on", "撤销日期") or today()
    before = org_state(org)
    end_org(org, occurred_on)
    org_changed(actor, org, before, org_state(org))
    _event(actor, org, OrgEventKind.DISSOLVED, occurred_on, document_number, note=reason)
    audit.record(actor, "org.dissolve", org, org=org, before=before, after=org_state(org))
    return org


def dissolve_refusals(org: Org) -> list[str]:
    """Why ``org`` cannot end yet: active orgs below it, and whatever the registered checks say (members)."""
    reasons = []
    active_children = Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).active().count()
    if active_children:
        reasons.append(f"“{org.name}”下还有{active_children}个未撤销的党组织,请先撤销或调整它们")
    reasons += [reason for check in _dissolve_checks if (reason := check(org))]
    return reasons


def refuse_while_not_empty(org: Org) -> None:
    reasons = dissolve_refusals(org)
    if reasons:
        raise ServiceError(";".join(reasons) + "。", field="status", details={"reasons": reasons})


def end_org(org: Org, ended_on: date) -> None:
    """The state of an org that ends: dissolved, its committee and groups ended on the same day."""
    org.status, org.dissolved_on = OrgStatus.DISSOLVED, ended_on
    org.save(update_fields=["status", "dissolved_on", "updated_at"])
    current = Committee.objects.current().filter(org=org).first()
    if current is not None:
        end_committee(current, max(ended_on, current.started_on), "党组织撤销")
    Group.objects.filter(org=org, dissolved_on__isnull=True).update(dissolved_on=ended_on)


def end_committee(committee: Committee, ended_on: date, reason: str) -> None:
    committee.members.filter(ended_on__isnull=True).update(ended_on=ended_on, end_reason=reason)
    committee.ended_on = ended_on
    committee.save(update_fields=["ended_on"])


def undo_blockers(org: Org, batch_org_ids: set[int]) -> list[str]:
    """Why an imported org cannot be taken back: anything recorded on it since, or children from elsewhere."""
    reasons = []
    if org.events.exclude(kind=OrgEventKind.FOUNDED).exists():
        reasons.append(f"“{org.name}”导入后已登记了其他事项")
    if (
        Unit.objects.filter(Q(org=org) | Q(responsible_org=org)).exists()
        or Group.objects.filter(org=org).exists()
        or Place.objects.filter(org=org).exists()
        or PairingOrg.objects.filter(org=org).exists()
        or WeakFlag.objects.filter(org=org).exists()
    ):
        reasons.append(f"“{org.name}”导入后已登记了单位、党小组、阵地、结对共建或软弱涣散认定")
    outside_children = (
        Org.objects.filter(path__startswith=org.path, depth=org.depth + 1)
        .exclude(pk__in=batch_org_ids)
        .count()
    )
    if outside_children:
        reasons.append(f"“{org.name}”下已另行设立了{outside_children}个党组织")
    return reasons


@transaction.atomic
def remove_imported_org(actor: Actor, org: Org) -> None:
    """Take back an org that an import created by mistake (the batch undo checks nothing depends on it).

    An org entered in error never existed in the real world, so it is removed; the audit
    log keeps what it was. Real dissolution is ``dissolve_org``.
    """
    org = Org.objects.get(pk=org.pk)
    require_change(actor, org, "撤销导入")
    before = org_state(org)
    audit.record(actor, "org.import_undo", org, org=org, before=before)
    org_changed(actor, org, before, None)
    org.events.all().delete()
    # Deepest first: treebeard's delete also removes descendants, which the batch removes itself.
    Org.objects.filter(pk=org.pk).delete()


# --- merging --------------------------------------------------------------------------------------------


@transaction.atomic
def merge_org(
    actor: Actor,
    org: Org,
    into: Org,
    *,
    occurred_on: date | None = None,
    document_number: str = "",
    note: str = "",
) -> Org:
    """Merge ``org`` into ``into`` (合并): its active child orgs, units and places move to the surviving
    org, the registered hooks move its members, and ``org`` ends with a 合并 event.

    Decided by the org above the merged one (as dissolving is); the actor must also hold the survivor.
    """
    org = Org.objects.select_for_update().get(pk=org.pk)
    into = Org.objects.select_for_update().get(pk=into.pk)
    require_change_of_parent(actor, org, "合并")
    require_change(actor, into, "接收合并")
    if org.pk == into.pk:
        raise ServiceError("不能把党组织合并到它自己。", field="into")
    if into.path.startswith(org.path):
        raise ServiceError("不能把党组织合并到它自己的下级党组织。", field="into")
    if not org.is_active or not into.is_active:
        raise ServiceError("已撤销的党组织不能合并或接收合并。", field="into")
    occurred_on = clean_date(occurred_on, "occurred_on", "合并日期") or today()
    before = org_state(org)
    children = list(Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).active())
    for child in children:
        refusal = blocking(rules.child_kind_findings(into.kind, child.kind))
        if refusal:
            raise ServiceError(
                f"下级“{child.name}”不能调整到“{into.name}”之下:{refusal[0].message}", field="into"
            )
    for child in children:
        move_child_for_merge(actor, child, org, into, occurred_on, document_number)
        into = Org.objects.get(pk=into.pk)  # treebeard changed its numchild
    Unit.objects.filter(org=org).update(org=into)
    Place.objects.filter(org=org).update(org=into)
    for hook in _merge_hooks:
        hook(actor, org, into, occurred_on)
    org = Org.objects.get(pk=org.pk)
    refuse_while_not_empty(org)
    ended_from = org_state(org)
    end_org(org, occurred_on)
    org_changed(actor, org, ended_from, org_state(org))
    _event(
        actor,
        org,
        OrgEventKind.MERGED,
        occurred_on,
        document_number,
        note=note,
        details={"into_id": into.pk, "into": into.name},
    )
    _event(
        actor,
        into,
        OrgEventKind.ABSORBED,
        occurred_on,
        document_number,
        note=note,
        details={"from_id": org.pk, "from": org.name, "children": [c.name for c in children]},
    )
    audit.record(actor, "org.merge", org, org=org, before=before, after={**org_state(org), "into": into.name})
    return into


def move_child_for_merge(
    actor: Actor, child: Org, old_parent: Org, new_parent: Org, occurred_on: date, document_number: str
) -> None:
    before = org_state(child)
    old_path = child.path
    child.move(Org.objects.get(pk=new_parent.pk), pos="last-child")
    child = Org.objects.get(pk=child.pk)
    moved(actor, child, old_path)
    _event(
        actor,
        child,
        OrgEventKind.MOVED,
        occurred_on,
        document_number,
        note=f"因“{old_parent.name}”并入“{new_parent.name}”调整",
        details={
            "from_id": old_parent.pk,
            "from": old_parent.name,
            "to_id": new_parent.pk,
            "to": new_parent.name,
        },
    )
    audit.record(actor, "org.move", child, org=child, before=before, after=org_state(child))


# --- correcting an event ---------------------------------------------------------------------------------

CORRECTABLE_FIELDS = {"occurred_on": "发生日期", "document_number": "文号", "note": "说明"}


@transaction.atomic
def correct_event(
    actor: Actor,
    event: OrgEvent,
    *,
    reason: str,
    occurred_on: date | None = None,
    document_number: str | None = None,
    note: str | None = None,
) -> OrgEvent:
    """Correct the date, document number or note of an event: a new 更正 event records what was
    wrong and what is right, and the event (and the state that follows from its date) is set right.

    What happened cannot be corrected away: a wrong rename is undone by renaming again.
    """
    event = OrgEvent.objects.select_for_update(of=("self",)).select_related("org").get(pk=event.pk)
    require_change(actor, event.org, "更正事项")
    if event.kind == OrgEventKind.CORRECTED:
        raise ServiceError("更正记录本身不能再更正,请更正原事项。")
    reason = clean_text(reason, "reason", "更正原因", 500, required=True)
    wanted = {"occurred_on": occurred_on, "document_number": document_number, "note": note}
    changes = {}
    for name, value in wanted.items():
        if value is None:
            continue
        if name == "occurred_on":
            value = clean_date(value, "occurred_on", "发生日期")
        else:
            value = clean_text(
                value, name, CORRECTABLE_FIELDS[name], 100 if name == "document_number" else 2000
            )
        if value != getattr(event, name):
            changes[name] = value
    if not changes:
        raise ServiceError("没有需要更正的内容。", field="occurred_on")
    before = event_state(event)
    details = {name: [_text(getattr(event, name)), _text(value)] for name, value in changes.items()}
    for name, value in changes.items():
        setattr(event, name, value)
    event.save(update_fields=list(changes))
    if "occurred_on" in changes:
        follow_corrected_date(actor, event, changes["occurred_on"])
    correction = _event(
        actor,
        event.org,
        OrgEventKind.CORRECTED,
        today(),
        "",
        note=reason,
        details={"kind": event.kind, "kind_label": event.get_kind_display(), **details},
        corrects=event,
    )
    audit.record(actor, "org_event.correct", event, org=event.org, before=before, after=event_state(event))
    return correction


def event_state(event: OrgEvent) -> dict:
    return {
        "kind": event.kind,
        "occurred_on": event.occurred_on,
        "document_number": event.document_number,
        "note": event.note,
    }


def follow_corrected_date(actor: Actor, event: OrgEvent, occurred_on: date) -> None:
    """The state that depends on an event's date: founding and dissolution dates, a term's start."""
    org = event.org
    before = org_state(org)
    if event.kind == OrgEventKind.FOUNDED:
        org.founded_on = occurred_on
        org.save(update_fields=["founded_on", "updated_at"])
    elif event.kind in (OrgEventKind.DISSOLVED, OrgEventKind.MERGED) and not org.is_active:
        org.dissolved_on = occurred_on
        org.save(update_fields=["dissolved_on", "updated_at"])
    org_changed(actor, org, before, org_state(org))
    committee = Committee.objects.filter(event=event).first()
    if committee is not None:
        years = rules.term_years(org.kind, org.sector, occurred_on)
        committee.started_on = occurred_on
        if committee.origin == CommitteeOrigin.ELECTED and years:
            committee.ends_on = rules.term_end(occurred_on, years)
        committee.save(update_fields=["started_on", "ends_on"])
        committee.members.filter(origin=SeatOrigin.ELECTED).update(started_on=occurred_on)


# --- units ----------------------------------------------------------------------------------------------

UNIT_FLAGS = ("charter_includes_party_building", "cross_appointment", "secretary_is_head")
UNIT_FIELDS = (
    "name",
    "credit_code",
    "sector",
    "is_new_sector",
    "headcount",
    *UNIT_FLAGS,
    "closed_on",
    "note",
    "org",
    "responsible_org",
)


def unit_state(unit: Unit) -> dict:
    state = {name: getattr(unit, name) for name in UNIT_FIELDS if name not in ("org", "responsible_org")}
    state["org"] = unit.org.name if unit.org_id else ""
    state["responsible_org"] = unit.responsible_org.name
    return state


def clean_credit_code(code: str | None, exclude_pk: int | None = None) -> str:
    code = (code or "").strip().upper()
    if not code:
        return ""
    raise_blocking(rules.credit_code_findings(code), "credit_code")
    if Unit.objects.filter(credit_code=code).exclude(pk=exclude_pk).exists():
        # The other unit may lie outside the actor's scope: the code is named, the unit is not.
        raise ConflictError(f"统一社会信用代码“{code}”已登记。", field="credit_code")
    return code


def clean_headcount(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ServiceError("从业人员数应为整数。", field="headcount") from None
    if number < 0:
        raise ServiceError("从业人员数不能为负数。", field="headcount")
    return number


def clean_covering_org(org: Org | None, responsible_org: Org) -> Org | None:
    """The org set up in a unit lies in the responsible org's subtree (or is that org)."""
    if org is None:
        return None
    if not org.path.startswith(responsible_org.path):
        raise ServiceError(f"所建党组织应为“{responsible_org.name}”或其下级党组织。", field="org")
    if not org.is_active:
        raise ServiceError(f"“{org.name}”已撤销,不能作为单位所建党组织。", field="org")
    return org


def clean_unit_values(values: dict, exclude_pk: int | None = None) -> dict:
    cleaners = {
        "name": lambda v: clean_text(v, "name", "单位名称", 120, required=True),
        "credit_code": lambda v: clean_credit_code(v, exclude_pk),
        "sector": clean_sector,
        "is_new_sector": bool,
        "headcount": clean_headcount,
        "charter_includes_party_building": bool,
        "cross_appointment": bool,
        "secretary_is_head": bool,
        "closed_on": lambda v: clean_date(v, "closed_on", "注销日期"),
        "note": lambda v: clean_text(v, "note", "备注", 2000),
    }
    return {name: cleaners[name](value) for name, value in values.items()}


@transaction.atomic
def create_unit(
    actor: Actor,
    *,
    responsible_org: Org,
    name: str,
    org: Org | None = None,
    credit_code: str = "",
    sector: str = Sector.OTHER,
    is_new_sector: bool | None = None,
    headcount: int | None = None,
    charter_includes_party_building: bool = False,
    cross_appointment: bool = False,
    secretary_is_head: bool = False,
    closed_on: date | None = None,
    note: str = "",
) -> Unit:
    """Register a unit in the area of ``responsible_org``, covered by ``org`` if one is set up in it.

    Whether it is a 两新组织 follows from its sector (非公企业, 社会组织) unless said otherwise.
    """
    responsible_org = Org.objects.get(pk=responsible_org.pk)
    require_change(actor, responsible_org, "登记单位")
    require_active(responsible_org, "登记单位")
    values = clean_unit_values(
        {
            "name": name,
            "credit_code": credit_code,
            "sector": sector,
            "is_new_sector": sector in NEW_SECTORS if is_new_sector is None else is_new_sector,
            "headcount": headcount,
            "charter_includes_party_building": charter_includes_party_building,
            "cross_appointment": cross_appointment,
            "secretary_is_head": secretary_is_head,
            "closed_on": closed_on,
            "note": note,
        }
    )
    unit = Unit.objects.create(
        responsible_org=responsible_org, org=clean_covering_org(org, responsible_org), **values
    )
    audit.record(actor, "unit.create", unit, org=responsible_org, after=unit_state(unit))
    return unit


def may_change_unit(actor: Actor, unit: Unit) -> bool:
    if actor.is_system or path_in_scope(actor.user, unit.responsible_org.path, CHANGE):
        return True
    return unit.org_id is not None and path_in_scope(actor.user, unit.org.path, CHANGE)


@transaction.atomic
def update_unit(actor: Actor, unit: Unit, **changes) -> Unit:
    """Change a unit's particulars. Who may: the responsible org, or the org set up in the unit; only
    the responsible org may say which org covers it (``org``)."""
    unknown = set(changes) - set(UNIT_FIELDS) - {"responsible_org"}
    if unknown or "responsible_org" in changes:
        raise ServiceError(f"不能在此修改:{'、'.join(sorted(unknown or {'responsible_org'}))}。")
    unit = (
        Unit.objects.select_for_update(of=("self",)).select_related("org", "responsible_org").get(pk=unit.pk)
    )
    if not may_change_unit(actor, unit):
        raise NotPermitted(f"您没有修改单位“{unit.name}”的权限。")
    before = unit_state(unit)
    if "org" in changes:
        new_org = changes.pop("org")
        if (new_org.pk if new_org else None) != unit.org_id:
            require_change(actor, unit.responsible_org, "调整单位所建党组织")
            unit.org = clean_covering_org(new_org, unit.responsible_org)
    for name, value in clean_unit_values(changes, exclude_pk=unit.pk).items():
        setattr(unit, name, value)
    unit.save()
    after = unit_state(unit)
    if after != before:
        audit.record(actor, "unit.update", unit, org=unit.responsible_org, before=before, after=after)
    return unit


@transaction.atomic
def remove_imported_unit(actor: Actor, unit: Unit) -> None:
    """Take back a unit an import created by mistake (it never existed; the audit log keeps it)."""
    unit = Unit.objects.select_related("org", "responsible_org").get(pk=unit.pk)
    require_change(actor, unit.responsible_org, "撤销导入")
    audit.record(actor, "unit.import_undo", unit, org=unit.responsible_org, before=unit_state(unit))
    unit.delete()


# --- people: a member record on the org's roll, or a name alone ----------------------------------------
#
# Committee members, group members and group leaders link the person's member record when they are on
# the platform (the name is then copied from it), or keep a name alone for someone who is not (an
# officer appointed from outside). The member record is reached through the foreign key, so orgs needs
# no import of members.

# Values of members.Category and members.Status this module needs to know.
FULL_MEMBER = "full"
PARTY_MEMBER_CATEGORIES = ("full", "probationary")
SUSPENDED = "suspended"
# Committees of orgs above branch level are elected by the members of their whole subtree.
SUBTREE_ROLL_KINDS = frozenset({OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE, OrgKind.GENERAL_BRANCH})


def member_model():
    return CommitteeMember._meta.get_field("member").related_model


def clean_member_id(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ServiceError("党员编号应为数字(平台内党员档案的编号)。", field=field) from None


def roll_refusal(member, org: Org, *, subtree: bool, full_only: bool) -> str | None:
    """Why ``member`` may not be chosen for ``org`` (a Chinese reason) or None.

    The message names the number the user typed, not the person: a number from another subtree must
    not reveal whose it is.
    """
    where = f"“{org.name}”及其下级党组织" if subtree else f"“{org.name}”"
    if member is None:
        return f"编号为{{number}}的党员不在{where}的党员名册中。"
    in_org = member.org_id == org.pk or (subtree and member.org.path.startswith(org.path))
    if not member.on_roll or not in_org:
        return f"编号为{{number}}的党员不在{where}的党员名册中。"
    if member.category not in PARTY_MEMBER_CATEGORIES:
        return f"{member.name}是{member.get_category_display()},尚不是党员。"
    if full_only and member.category != FULL_MEMBER:
        return f"{member.name}是预备党员,没有被选举权,不能担任班子成员。"
    if member.status == SUSPENDED:
        return f"{member.name}已停止党籍。"
    return None


def clean_person(
    org: Org,
    *,
    name,
    member_id,
    subtree: bool = False,
    full_only: bool = False,
    name_field: str = "name",
    member_field: str = "member_id",
    label: str = "姓名",
    required: bool = True,
) -> tuple[str, object]:
    """The name to keep and the member record (or None) of a person chosen for ``org``."""
    number = clean_member_id(member_id, member_field)
    if number is None:
        return clean_text(name, name_field, label, 50, required=required), None
    member = member_model().objects.select_related("org").filter(pk=number).first()
    refusal = roll_refusal(member, org, subtree=subtree, full_only=full_only)
    if refusal is not None:
        raise ServiceError(refusal.replace("{number}", str(number)), field=member_field)
    return member.name, member


# --- committees and terms -------------------------------------------------------------------------------


def committee_state(committee: Committee) -> dict:
    return {
        "org": committee.org.name,
        "number": committee.number,
        "origin": committee.origin,
        "started_on": committee.started_on,
        "ends_on": committee.ends_on,
        "ended_on": committee.ended_on,
        "seats": committee.seats,
        "document_number": committee.document_number,
        "members": [
            f"{m.get_post_display()} {m.name}" for m in committee.members.filter(ended_on__isnull=True)
        ],
    }


def seat_state(seat: CommitteeMember) -> dict:
    return {
        "post": seat.post,
        "name": seat.name,
        "member_id": seat.member_id,
        "origin": seat.origin,
        "started_on": seat.started_on,
        "ended_on": seat.ended_on,
        "end_reason": seat.end_reason,
    }


def clean_seats(org: Org, members: list[dict]) -> list[dict]:
    """The post holders of a new committee: known posts, a name or a member record each, one secretary
    at most, nobody twice. A member record must be on the roll of the org (of its subtree for 党委 and
    党总支, whose committees the members of the whole subtree elect) and a full member.

    Errors name the field ``post``, ``name`` or ``member_id`` (an import's columns; a form maps them).
    """
    cleaned = []
    for index, seat in enumerate(members):
        post = clean_choice(seat.get("post"), Post, "post", "职务")
        if not (seat.get("name") or "").strip() and seat.get("member_id") in (None, ""):
            raise ServiceError(f"第{index + 1}位班子成员({Post(post).label})的姓名不能为空。", field="name")
        name, member = clean_person(
            org,
            name=seat.get("name"),
            member_id=seat.get("member_id"),
            subtree=org.kind in SUBTREE_ROLL_KINDS,
            full_only=True,
        )
        cleaned.append({"post": post, "name": name, "member": member})
    if [m["post"] for m in cleaned].count(Post.SECRETARY) > 1:
        raise ServiceError("一个班子只能有一名书记。", field="post")
    chosen = [m["member"].pk for m in cleaned if m["member"] is not None]
    if len(chosen) != len(set(chosen)):
        raise ServiceError("同一名党员在班子中只能登记一次。", field="member_id")
    return cleaned


def clean_term_end(org: Org, started_on: date, ends_on: date | None) -> date | None:
    """The standard end of the term, or a given end no more than one year away from it (RULES.md §4:
    a term may be advanced or extended with approval, normally by at most one year)."""
    years = rules.term_years(org.kind, org.sector, started_on)
    standard = rules.term_end(started_on, years) if years else None
    if ends_on is None or standard is None:
        return standard
    if ends_on <= started_on:
        raise ServiceError("任期届满日期应晚于任期开始日期。", field="ends_on")
    if abs((ends_on - standard).days) > 366:
        raise ServiceError(
            f"按规定任期{years}年,应于{rules.cn(standard)}届满;提前或延期一般不超过1年。",
            field="ends_on",
            details={"source": rules.SOURCE_ELECTION},
        )
    return ends_on


def _new_committee(
    actor: Actor,
    org: Org,
    *,
    origin: str,
    started_on: date,
    ends_on: date | None,
    members: list[dict],
    number: int | None,
    seats: int | None,
    document_number: str,
    event: OrgEvent,
) -> Committee:
    previous = Committee.objects.select_for_update().current().filter(org=org).first()
    if previous is not None:
        if started_on < previous.started_on:
            raise ServiceError(
                f"日期不能早于现任班子的任期开始日期({rules.cn(previous.started_on)})。", field="elected_on"
            )
        end_committee(previous, started_on, "换届" if origin == CommitteeOrigin.ELECTED else "调整")
        if number is None and previous.number:
            number = previous.number + 1
    committee = Committee.objects.create(
        org=org,
        number=number,
        origin=origin,
        started_on=started_on,
        ends_on=ends_on,
        seats=seats,
        document_number=document_number,
        event=event,
    )
    seat_origin = SeatOrigin.ELECTED if origin == CommitteeOrigin.ELECTED else SeatOrigin.APPOINTED
    CommitteeMember.objects.bulk_create(
        CommitteeMember(committee=committee, origin=seat_origin, started_on=started_on, **member)
        for member in members
    )
    return committee


@transaction.atomic
def elect_committee(
    actor: Actor,
    org: Org,
    *,
    elected_on: date,
    members: list[dict],
    number: int | None = None,
    seats: int | None = None,
    ends_on: date | None = None,
    document_number: str = "",
    note: str = "",
) -> Committee:
    """Record an election (换届选举): the new committee with its post holders and term, ending the
    previous committee. ``members`` are dicts of ``post`` and ``name`` or ``member_id`` (a member record).

    Temporary branches hold no elections (their officers are appointed: ``appoint_committee``).
    """
    org = Org.objects.select_for_update().get(pk=org.pk)
    require_change(actor, org, "登记换届选举")
    require_active(org, "登记换届选举")
    raise_blocking(rules.temporary_branch_restriction(org.kind, "election"), "elected_on")
    elected_on = clean_required_date(elected_on, "elected_on", "选举日期")
    members = clean_seats(org, members)
    if seats is not None and seats < len(members):
        raise ServiceError(f"职数{seats}名少于当选的{len(members)}人。", field="seats")
    ends_on = clean_term_end(org, elected_on, ends_on)
    document_number = clean_text(document_number, "document_number", "文号", 100)
    event = _event(
        actor,
        org,
        OrgEventKind.RE_ELECTED,
        elected_on,
        document_number,
        note=clean_text(note, "note", "说明", 2000),
        details={
            "ends_on": _text(ends_on),
            "members": [f"{Post(m['post']).label} {m['name']}" for m in members],
        },
    )
    committee = _new_committee(
        actor,
        org,
        origin=CommitteeOrigin.ELECTED,
        started_on=elected_on,
        ends_on=ends_on,
        members=members,
        number=number,
        seats=seats,
        document_number=document_number,
        event=event,
    )
    if committee.number:
        event.details["number"] = committee.number
        event.save(update_fields=["details"])
    audit.record(actor, "committee.elect", committee, org=org, after=committee_state(committee))
    return committee


@transaction.atomic
def appoint_committee(
    actor: Actor,
    org: Org,
    *,
    appointed_on: date,
    members: list[dict],
    document_number: str = "",
    note: str = "",
) -> Committee:
    """Appoint the officers of a temporary branch (指定), replacing any appointed before. Decided by
    the org that set the branch up, so the actor must hold the org above it."""
    org = Org.objects.select_for_update().get(pk=org.pk)
    if not org.is_temporary:
        raise ServiceError("只有临时党支部由上级指定负责人;其他党组织的班子经选举产生。", field="members")
    require_change_of_parent(actor, org, "指定临时党支部负责人")
    require_active(org, "指定负责人")
    appointed_on = clean_required_date(appointed_on, "appointed_on", "指定日期")
    members = clean_seats(org, members)
    if not members:
        raise ServiceError("请至少指定一名负责人。", field="post")
    document_number = clean_text(document_number, "document_number", "文号", 100)
    event = _event(
        actor,
        org,
        OrgEventKind.COMMITTEE_CHANGED,
        appointed_on,
        document_number,
        note=clean_text(note, "note", "说明", 2000),
        details={"action": "appointed", "members": [f"{Post(m['post']).label} {m['name']}" for m in members]},
    )
    committee = _new_committee(
        actor,
        org,
        origin=CommitteeOrigin.APPOINTED,
        started_on=appointed_on,
        ends_on=org.temporary_until,
        members=members,
        number=None,
        seats=None,
        document_number=document_number,
        event=event,
    )
    audit.record(actor, "committee.appoint", committee, org=org, after=committee_state(committee))
    return committee


@transaction.atomic
def add_committee_member(
    actor: Actor,
    committee: Committee,
    *,
    post: str,
    name: str,
    started_on: date,
    origin: str = SeatOrigin.BY_ELECTION,
    member_id: int | None = None,
    document_number: str = "",
    note: str = "",
) -> CommitteeMember:
    """Fill a post of the current committee: a by-election (补选), or an appointment for a temporary
    branch. A 调整班子 event is recorded."""
    committee = Committee.objects.select_for_update(of=("self",)).select_related("org").get(pk=committee.pk)
    org = committee.org
    require_change(actor, org, "调整班子")
    require_active(org, "调整班子")
    if not committee.is_current:
        raise ServiceError("该届班子已经结束,只能调整现任班子。")
    origin = clean_choice(origin, SeatOrigin, "origin", "产生方式")
    if origin == SeatOrigin.ELECTED:
        raise ServiceError("换届选举请登记新一届班子;届中增补请选择“补选”。", field="origin")
    if org.is_temporary and origin != SeatOrigin.APPOINTED:
        raise_blocking(rules.temporary_branch_restriction(org.kind, "election"), "origin")
    if origin == SeatOrigin.APPOINTED and not org.is_temporary:
        raise ServiceError("党组织班子成员出缺应经选举补选;只有临时党支部由上级指定。", field="origin")
    seat = clean_seats(org, [{"post": post, "name": name, "member_id": member_id}])[0]
    if seat["member"] is not None and committee.members.filter(member=seat["member"], ended_on=None).exists():
        raise ConflictError(f"{seat['name']}已是本届班子的在任成员。", field="member_id")
    started_on = clean_required_date(started_on, "started_on", "任职日期")
    if started_on < committee.started_on:
        raise ServiceError("任职日期不能早于本届班子的任期开始日期。", field="started_on")
    if seat["post"] == Post.SECRETARY:
        sitting = committee.members.filter(post=Post.SECRETARY, ended_on__isnull=True).first()
        if sitting is not None:
            raise ServiceError(f"现任书记{sitting.name}尚未离任,请先登记其离任。", field="post")
    holder = CommitteeMember.objects.create(committee=committee, origin=origin, started_on=started_on, **seat)
    _event(
        actor,
        org,
        OrgEventKind.COMMITTEE_CHANGED,
        started_on,
        clean_text(document_number, "document_number", "文号", 100),
        note=clean_text(note, "note", "说明", 2000),
        details={"action": origin, "post": holder.get_post_display(), "name": holder.name},
    )
    audit.record(actor, "committee_member.add", holder, org=org, after=seat_state(holder))
    return holder


@transaction.atomic
def end_committee_member(
    actor: Actor,
    holder: CommitteeMember,
    *,
    ended_on: date,
    reason: str,
    document_number: str = "",
) -> CommitteeMember:
    """A post holder leaves the committee during the term (调离、辞职、免职…): the post is vacant until
    a by-election fills it."""
    holder = (
        CommitteeMember.objects.select_for_update(of=("self",))
        .select_related("committee__org")
        .get(pk=holder.pk)
    )
    org = holder.committee.org
    require_change(actor, org, "调整班子")
    require_active(org, "调整班子")
    if holder.ended_on is not None:
        raise ServiceError(f"{holder.name}已于{rules.cn(holder.ended_on)}离任。")
    ended_on = clean_required_date(ended_on, "ended_on", "离任日期")
    if ended_on < holder.started_on:
        raise ServiceError("离任日期不能早于任职日期。", field="ended_on")
    reason = clean_text(reason, "reason", "离任原因", 200, required=True)
    before = seat_state(holder)
    holder.ended_on, holder.end_reason = ended_on, reason
    holder.save(update_fields=["ended_on", "end_reason"])
    _event(
        actor,
        org,
        OrgEventKind.COMMITTEE_CHANGED,
        ended_on,
        clean_text(document_number, "document_number", "文号", 100),
        note=reason,
        details={"action": "left", "post": holder.get_post_display(), "name": holder.name},
    )
    audit.record(actor, "committee_member.end", holder, org=org, before=before, after=seat_state(holder))
    return holder


@transaction.atomic
def adjust_term(
    actor: Actor,
    committee: Committee,
    *,
    ends_on: date,
    document_number: str,
    occurred_on: date | None = None,
    note: str = "",
) -> Committee:
    """Extend or shorten the current term after the election (延期或提前换届), as approved by the upper
    org: the new end is at most one year off the standard term (RULES.md §4) and the approval's document
    number is required. Decided by the org above, so the actor must hold it. A 调整任期 event keeps the
    old and new end."""
    committee = Committee.objects.select_for_update(of=("self",)).select_related("org").get(pk=committee.pk)
    org = committee.org
    require_change_of_parent(actor, org, "调整任期")
    require_active(org, "调整任期")
    if not committee.is_current:
        raise ServiceError("该届班子已经结束,只能调整现任班子的任期。")
    if committee.origin != CommitteeOrigin.ELECTED:
        raise ServiceError("临时党支部的负责人由上级指定,没有任期;请修改其预计结束日期。")
    if ends_on is None:
        raise ServiceError("新的任期届满日期不能为空。", field="ends_on")
    document_number = clean_text(document_number, "document_number", "文号", 100, required=True)
    if ends_on == committee.ends_on:
        raise ServiceError(f"任期届满日期已是{rules.cn(ends_on)}。", field="ends_on")
    ends_on = clean_term_end(org, committee.started_on, ends_on)
    occurred_on = clean_date(occurred_on, "occurred_on", "批准日期") or today()
    if occurred_on < committee.started_on:
        raise ServiceError("批准日期不能早于本届任期开始日期。", field="occurred_on")
    before = committee_state(committee)
    previous_end = committee.ends_on
    committee.ends_on = ends_on
    committee.save(update_fields=["ends_on"])
    _event(
        actor,
        org,
        OrgEventKind.TERM_ADJUSTED,
        occurred_on,
        document_number,
        note=clean_text(note, "note", "说明", 2000),
        details={
            "committee": committee.pk,
            "from": _text(previous_end),
            "to": _text(ends_on),
            "action": "extended" if previous_end is None or ends_on > previous_end else "advanced",
        },
    )
    audit.record(
        actor, "committee.adjust_term", committee, org=org, before=before, after=committee_state(committee)
    )
    return committee


# --- party groups ---------------------------------------------------------------------------------------


def group_state(group: Group) -> dict:
    return {
        "org": group.org.name,
        "name": group.name,
        "leader_name": group.leader_name,
        "leader_id": group.leader_id,
        "founded_on": group.founded_on,
        "dissolved_on": group.dissolved_on,
        "dissolve_reason": group.dissolve_reason,
        "note": group.note,
    }


def clean_group_name(org: Org, name: str, exclude_pk: int | None = None) -> str:
    name = clean_text(name, "name", "党小组名称", 60, required=True)
    clash = Group.objects.filter(org=org, name=name, dissolved_on__isnull=True).exclude(pk=exclude_pk)
    if clash.exists():
        raise ConflictError(f"“{org.name}”已有名为“{name}”的党小组。", field="name")
    return name


@transaction.atomic
def create_group(
    actor: Actor,
    org: Org,
    *,
    name: str,
    leader_name: str = "",
    leader_id: int | None = None,
    founded_on: date | None = None,
    note: str = "",
) -> Group:
    """Set up a party group (党小组) inside a branch; its leader, if chosen from the member records,
    must be on the branch's roll."""
    org = Org.objects.get(pk=org.pk)
    require_change(actor, org, "设立党小组")
    require_active(org, "设立党小组")
    raise_blocking(rules.group_parent_findings(org.kind), "name")
    leader_name, leader = clean_leader(org, leader_name, leader_id)
    group = Group.objects.create(
        org=org,
        name=clean_group_name(org, name),
        leader_name=leader_name,
        leader=leader,
        founded_on=clean_date(founded_on, "founded_on", "成立日期") or today(),
        note=clean_text(note, "note", "备注", 2000),
    )
    audit.record(actor, "group.create", group, org=org, after=group_state(group))
    return group


def clean_leader(org: Org, leader_name, leader_id) -> tuple[str, object]:
    return clean_person(
        org,
        name=leader_name,
        member_id=leader_id,
        name_field="leader_name",
        member_field="leader_id",
        label="组长",
        required=False,
    )


@transaction.atomic
def update_group(actor: Actor, group: Group, **changes) -> Group:
    """Rename a group or change its leader (``leader_name`` and/or ``leader_id``)."""
    allowed = {"name", "leader_name", "leader_id", "note"}
    if set(changes) - allowed:
        raise ServiceError(f"不能在此修改:{'、'.join(sorted(set(changes) - allowed))}。")
    group = Group.objects.select_for_update(of=("self",)).select_related("org").get(pk=group.pk)
    require_change(actor, group.org, "修改党小组")
    if not group.is_active:
        raise ServiceError(f"党小组“{group.name}”已撤销。")
    before = group_state(group)
    if "leader_name" in changes or "leader_id" in changes:
        group.leader_name, group.leader = clean_leader(
            group.org,
            changes.pop("leader_name", group.leader_name),
            changes.pop("leader_id", group.leader_id),
        )
    cleaners = {
        "name": lambda v: clean_group_name(group.org, v, exclude_pk=group.pk),
        "note": lambda v: clean_text(v, "note", "备注", 2000),
    }
    for name, value in changes.items():
        setattr(group, name, cleaners[name](value))
    group.save()
    if group_state(group) != before:
        audit.record(actor, "group.update", group, org=group.org, before=before, after=group_state(group))
    return group


@transaction.atomic
def dissolve_group(
    actor: Actor, group: Group, *, dissolved_on: date | None = None, reason: str = ""
) -> Group:
    """End a party group (撤销党小组) on a date: it is kept with its members' dates, never deleted."""
    group = Group.objects.select_for_update(of=("self",)).select_related("org").get(pk=group.pk)
    require_change(actor, group.org, "撤销党小组")
    if not group.is_active:
        raise ServiceError(f"党小组“{group.name}”已于{rules.cn(group.dissolved_on)}撤销。")
    before = group_state(group)
    dissolved_on = clean_date(dissolved_on, "dissolved_on", "撤销日期") or today()
    if group.founded_on and dissolved_on < group.founded_on:
        raise ServiceError("撤销日期不能早于成立日期。", field="dissolved_on")
    group.dissolved_on = dissolved_on
    group.dissolve_reason = clean_text(reason, "reason", "撤销原因", 200)
    group.save(update_fields=["dissolved_on", "dissolve_reason"])
    group.members.filter(left_on__isnull=True).update(left_on=group.dissolved_on)
    audit.record(actor, "group.dissolve", group, org=group.org, before=before, after=group_state(group))
    return group


@transaction.atomic
def add_group_member(
    actor: Actor, group: Group, *, name: str = "", member_id: int | None = None, joined_on: date | None = None
) -> GroupMember:
    """Put a person in a party group: a member record on the branch's roll (in one group of the branch
    at a time), or a name alone for someone not on the platform."""
    group = Group.objects.select_related("org").get(pk=group.pk)
    require_change(actor, group.org, "编入党小组")
    if not group.is_active:
        raise ServiceError(f"党小组“{group.name}”已撤销。")
    name, person = clean_person(group.org, name=name, member_id=member_id)
    if person is not None:
        elsewhere = (
            GroupMember.objects.filter(member=person, left_on__isnull=True, group__dissolved_on__isnull=True)
            .select_related("group")
            .first()
        )
        if elsewhere is not None:
            raise ConflictError(f"{name}已在党小组“{elsewhere.group.name}”中。", field="member_id")
    elif group.members.filter(left_on__isnull=True, name=name, member__isnull=True).exists():
        raise ConflictError(f"{name}已在党小组“{group.name}”中。", field="name")
    member = GroupMember.objects.create(
        group=group,
        name=name,
        member=person,
        joined_on=clean_date(joined_on, "joined_on", "编入日期") or today(),
    )
    audit.record(
        actor,
        "group_member.add",
        member,
        org=group.org,
        after={"group": group.name, "name": name, "member_id": member.member_id},
    )
    return member


@transaction.atomic
def remove_group_member(actor: Actor, member: GroupMember, *, left_on: date | None = None) -> GroupMember:
    member = (
        GroupMember.objects.select_for_update(of=("self",)).select_related("group__org").get(pk=member.pk)
    )
    require_change(actor, member.group.org, "调整党小组成员")
    if member.left_on is not None:
        raise ServiceError(f"{member.name}已于{rules.cn(member.left_on)}调出。")
    left_on = clean_date(left_on, "left_on", "调出日期") or today()
    if member.joined_on and left_on < member.joined_on:
        raise ServiceError("调出日期不能早于编入日期。", field="left_on")
    member.left_on = left_on
    member.save(update_fields=["left_on"])
    audit.record(
        actor,
        "group_member.remove",
        member,
        org=member.group.org,
        after={"group": member.group.name, "name": member.name, "left_on": left_on},
    )
    return member


# --- pairing --------------------------------------------------------------------------------------------


def pairing_state(pairing: Pairing) -> dict:
    return {
        "scheme": pairing.scheme,
        "started_on": pairing.started_on,
        "ended_on": pairing.ended_on,
        "note": pairing.note,
        "orgs": sorted(pairing.parties.taking_part().values_list("org__code", flat=True)),
        "left": sorted(pairing.parties.filter(left_on__isnull=False).values_list("org__code", flat=True)),
    }


def first_org_in_scope(actor: Actor, pairing: Pairing) -> Org:
    """The org the audit entry is filed under: one of the pairing's orgs the actor holds."""
    orgs = [party.org for party in pairing.parties.taking_part().select_related("org").order_by("org__path")]
    for org in orgs:
        if actor.is_system or path_in_scope(actor.user, org.path, CHANGE):
            return org
    raise NotPermitted("您没有修改该结对共建的权限。")


@transaction.atomic
def create_pairing(
    actor: Actor,
    *,
    scheme: str,
    orgs: list[Org],
    started_on: date,
    ended_on: date | None = None,
    note: str = "",
) -> Pairing:
    """Pair two or more orgs under a scheme (结对共建). Set up by someone who holds every one of them —
    in practice the organization department above both sides."""
    unique = {org.pk: org for org in orgs}
    if len(unique) < 2:
        raise ServiceError("结对共建至少需要两个不同的党组织。", field="orgs")
    for org in unique.values():
        require_change(actor, org, "建立结对共建")
        require_active(org, "建立结对共建")
    started_on = clean_required_date(started_on, "started_on", "开始日期")
    if ended_on and ended_on < started_on:
        raise ServiceError("结束日期不能早于开始日期。", field="ended_on")
    pairing = Pairing.objects.create(
        scheme=clean_text(scheme, "scheme", "共建项目名称", 120, required=True),
        started_on=started_on,
        ended_on=ended_on,
        note=clean_text(note, "note", "共建内容", 2000),
    )
    PairingOrg.objects.bulk_create(
        PairingOrg(pairing=pairing, org=org, joined_on=started_on) for org in unique.values()
    )
    audit.record(
        actor, "pairing.create", pairing, org=first_org_in_scope(actor, pairing), after=pairing_state(pairing)
    )
    return pairing


@transaction.atomic
def update_pairing(actor: Actor, pairing: Pairing, **changes) -> Pairing:
    """Change a pairing's scheme name, content or end date (any org of the pairing may)."""
    allowed = {"scheme", "note", "ended_on"}
    if set(changes) - allowed:
        raise ServiceError(f"不能在此修改:{'、'.join(sorted(set(changes) - allowed))}。")
    pairing = Pairing.objects.select_for_update().get(pk=pairing.pk)
    org = first_org_in_scope(actor, pairing)
    before = pairing_state(pairing)
    if "scheme" in changes:
        pairing.scheme = clean_text(changes["scheme"], "scheme", "共建项目名称", 120, required=True)
    if "note" in changes:
        pairing.note = clean_text(changes["note"], "note", "共建内容", 2000)
    if "ended_on" in changes:
        ended_on = changes["ended_on"]
        if ended_on and ended_on < pairing.started_on:
            raise ServiceError("结束日期不能早于开始日期。", field="ended_on")
        pairing.ended_on = ended_on
    pairing.save()
    if pairing_state(pairing) != before:
        audit.record(actor, "pairing.update", pairing, org=org, before=before, after=pairing_state(pairing))
    return pairing


@transaction.atomic
def add_pairing_org(
    actor: Actor, pairing: Pairing, org: Org, *, joined_on: date | None = None, note: str = ""
) -> PairingOrg:
    """Another org joins a running pairing on a date. As when setting one up, the actor must hold the
    joining org, and be entitled to change the pairing (hold one of its orgs)."""
    pairing = Pairing.objects.select_for_update().get(pk=pairing.pk)
    filed_under = first_org_in_scope(actor, pairing)
    org = Org.objects.get(pk=org.pk)
    require_change(actor, org, "加入结对共建")
    require_active(org, "加入结对共建")
    joined_on = clean_date(joined_on, "joined_on", "加入日期") or today()
    if joined_on < pairing.started_on or (pairing.ended_on and joined_on > pairing.ended_on):
        raise ServiceError("加入日期应在结对共建的起止日期之内。", field="joined_on")
    if pairing.parties.taking_part().filter(org=org).exists():
        raise ConflictError(f"“{org.name}”已在该结对共建中。", field="org")
    before = pairing_state(pairing)
    party = PairingOrg.objects.create(pairing=pairing, org=org, joined_on=joined_on)
    audit.record(
        actor,
        "pairing.add_org",
        pairing,
        org=filed_under,
        before=before,
        after={**pairing_state(pairing), "joined": org.code, "joined_on": joined_on, "note": _text(note)},
    )
    return party


@transaction.atomic
def remove_pairing_org(
    actor: Actor, party: PairingOrg, *, left_on: date | None = None, reason: str = ""
) -> PairingOrg:
    """An org leaves a pairing on a date. Its row stays with ``left_on`` (the activities it took part
    in remain its history); decided by whoever holds that org. At least two orgs must remain: a pairing
    that is over is ended with its end date instead."""
    party = (
        PairingOrg.objects.select_for_update(of=("self",)).select_related("pairing", "org").get(pk=party.pk)
    )
    pairing, org = party.pairing, party.org
    require_change(actor, org, "退出结对共建")
    if party.left_on is not None:
        raise ServiceError(f"“{org.name}”已于{rules.cn(party.left_on)}退出该结对共建。")
    left_on = clean_date(left_on, "left_on", "退出日期") or today()
    if left_on < (party.joined_on or pairing.started_on):
        raise ServiceError("退出日期不能早于加入日期。", field="left_on")
    if pairing.parties.taking_part().count() <= 2:
        raise ServiceError(
            "结对共建至少需要两个党组织;共建已经结束的,请修改结对共建并填写结束日期。", field="left_on"
        )
    before = pairing_state(pairing)
    party.left_on = left_on
    party.left_reason = clean_text(reason, "reason", "退出原因", 200)
    party.save(update_fields=["left_on", "left_reason"])
    audit.record(
        actor,
        "pairing.remove_org",
        pairing,
        org=org,
        before=before,
        after={**pairing_state(pairing), "left": org.code, "left_on": left_on, "reason": party.left_reason},
    )
    return party


@transaction.atomic
def add_pairing_activity(
    actor: Actor,
    pairing: Pairing,
    *,
    held_on: date,
    title: str,
    note: str = "",
    activity_ref: str = "",
) -> PairingActivity:
    """Record a joint activity held under a pairing (any org of the pairing may)."""
    pairing = Pairing.objects.get(pk=pairing.pk)
    org = first_org_in_scope(actor, pairing)
    held_on = clean_required_date(held_on, "held_on", "活动日期")
    if held_on < pairing.started_on or (pairing.ended_on and held_on > pairing.ended_on):
        raise ServiceError("活动日期应在结对共建的起止日期之内。", field="held_on")
    activity = PairingActivity.objects.create(
        pairing=pairing,
        held_on=held_on,
        title=clean_text(title, "title", "活动名称", 120, required=True),
        note=clean_text(note, "note", "活动内容", 2000),
        activity_ref=clean_text(activity_ref, "activity_ref", "活动编号", 64),
    )
    audit.record(
        actor,
        "pairing_activity.create",
        activity,
        org=org,
        after={"pairing": pairing.scheme, "held_on": held_on, "title": activity.title},
    )
    return activity


# --- places ---------------------------------------------------------------------------------------------

PLACE_FIELDS = ("kind", "name", "address", "area", "opened_on", "closed_on", "close_reason", "note")


def place_state(place: Place) -> dict:
    return {"org": place.org.name, **{name: getattr(place, name) for name in PLACE_FIELDS}}


def clean_area(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        area = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ServiceError("面积应为数字(平方米)。", field="area") from None
    if area < 0 or area >= Decimal("100000000"):
        raise ServiceError("面积应为0到1亿平方米之间的数字。", field="area")
    return area


def clean_place_values(values: dict) -> dict:
    cleaners = {
        "kind": lambda v: clean_choice(v, PlaceKind, "kind", "阵地类型"),
        "name": lambda v: clean_text(v, "name", "名称", 120, required=True),
        "address": lambda v: clean_text(v, "address", "地址", 200),
        "area": clean_area,
        "opened_on": lambda v: clean_date(v, "opened_on", "启用日期"),
        "closed_on": lambda v: clean_date(v, "closed_on", "停用日期"),
        "close_reason": lambda v: clean_text(v, "close_reason", "停用原因", 200),
        "note": lambda v: clean_text(v, "note", "备注", 2000),
    }
    return {name: cleaners[name](value) for name, value in values.items()}


@transaction.atomic
def create_place(
    actor: Actor,
    org: Org,
    *,
    kind: str,
    name: str,
    address: str = "",
    area=None,
    opened_on: date | None = None,
    note: str = "",
) -> Place:
    """Register a place (阵地) an org runs: a 党群服务中心, an education base, an activity room …"""
    org = Org.objects.get(pk=org.pk)
    require_change(actor, org, "登记阵地")
    require_active(org, "登记阵地")
    values = clean_place_values(
        {"kind": kind, "name": name, "address": address, "area": area, "opened_on": opened_on, "note": note}
    )
    place = Place.objects.create(org=org, **values)
    audit.record(actor, "place.create", place, org=org, after=place_state(place))
    return place


@transaction.atomic
def update_place(actor: Actor, place: Place, **changes) -> Place:
    if set(changes) - set(PLACE_FIELDS):
        raise ServiceError(f"不能在此修改:{'、'.join(sorted(set(changes) - set(PLACE_FIELDS)))}。")
    place = Place.objects.select_for_update(of=("self",)).select_related("org").get(pk=place.pk)
    require_change(actor, place.org, "修改阵地")
    before = place_state(place)
    for name, value in clean_place_values(changes).items():
        setattr(place, name, value)
    if place.closed_on and place.opened_on and place.closed_on < place.opened_on:
        raise ServiceError("停用日期不能早于启用日期。", field="closed_on")
    place.save()
    if place_state(place) != before:
        audit.record(actor, "place.update", place, org=place.org, before=before, after=place_state(place))
    return place


@transaction.atomic
def close_place(actor: Actor, place: Place, *, closed_on: date | None = None, reason: str = "") -> Place:
    """Stop using a place (停用阵地) on a date. It is kept: the counts of the years it was open still
    include it, and its page shows when and why it closed."""
    place = Place.objects.select_for_update(of=("self",)).select_related("org").get(pk=place.pk)
    require_change(actor, place.org, "停用阵地")
    if place.closed_on is not None:
        raise ServiceError(f"阵地“{place.name}”已于{rules.cn(place.closed_on)}停用。")
    closed_on = clean_date(closed_on, "closed_on", "停用日期") or today()
    if place.opened_on and closed_on < place.opened_on:
        raise ServiceError("停用日期不能早于启用日期。", field="closed_on")
    before = place_state(place)
    place.closed_on = closed_on
    place.close_reason = clean_text(reason, "reason", "停用原因", 200)
    place.save(update_fields=["closed_on", "close_reason"])
    audit.record(actor, "place.close", place, org=place.org, before=before, after=place_state(place))
    return place


# --- weak-and-lax flags ---------------------------------------------------------------------------------


def weak_state(flag: WeakFlag) -> dict:
    return {
        "org": flag.org.name,
        "reason": flag.reason,
        "flagged_on": flag.flagged_on,
        "closed_on": flag.closed_on,
        "closing_note": flag.closing_note,
        "document_number": flag.document_number,
    }


@transaction.atomic
def flag_weak(
    actor: Actor, org: Org, *, reason: str, flagged_on: date, document_number: str = ""
) -> WeakFlag:
    """Flag an org as weak and lax (软弱涣散). Decided by the org above it, as is closing the flag."""
    org = Org.objects.get(pk=org.pk)
    require_change_of_parent(actor, org, "认定软弱涣散党组织")
    require_active(org, "认定为软弱涣散党组织")
    if WeakFlag.objects.filter(org=org, closed_on__isnull=True).exists():
        raise ConflictError(f"“{org.name}”已被认定为软弱涣散党组织,尚未整顿销号。", field="flagged_on")
    flag = WeakFlag.objects.create(
        org=org,
        reason=clean_text(reason, "reason", "主要问题", 2000, required=True),
        flagged_on=clean_required_date(flagged_on, "flagged_on", "认定日期"),
        document_number=clean_text(document_number, "document_number", "文号", 100),
    )
    audit.record(actor, "weak_flag.create", flag, org=org, after=weak_state(flag))
    return flag


@transaction.atomic
def add_weak_step(actor: Actor, flag: WeakFlag, *, taken_on: date, description: str) -> WeakFlagStep:
    """A rectification step (整顿措施): recorded by the org itself or the org above it."""
    flag = WeakFlag.objects.select_related("org").get(pk=flag.pk)
    require_change(actor, flag.org, "登记整顿措施")
    if not flag.is_open:
        raise ServiceError("该软弱涣散认定已整顿销号,不能再登记整顿措施。")
    taken_on = clean_required_date(taken_on, "taken_on", "日期")
    if taken_on < flag.flagged_on:
        raise ServiceError("整顿措施的日期不能早于认定日期。", field="taken_on")
    step = WeakFlagStep.objects.create(
        flag=flag,
        taken_on=taken_on,
        description=clean_text(description, "description", "整顿措施", 2000, True),
    )
    audit.record(
        actor,
        "weak_flag.step",
        step,
        org=flag.org,
        after={"taken_on": taken_on, "description": step.description},
    )
    return step


@transaction.atomic
def close_weak_flag(actor: Actor, flag: WeakFlag, *, closed_on: date, closing_note: str = "") -> WeakFlag:
    """Close a weak-and-lax flag after rectification (整顿销号)."""
    flag = WeakFlag.objects.select_for_update(of=("self",)).select_related("org").get(pk=flag.pk)
    require_change_of_parent(actor, flag.org, "整顿销号")
    if not flag.is_open:
        raise ServiceError(f"该认定已于{rules.cn(flag.closed_on)}整顿销号。")
    closed_on = clean_required_date(closed_on, "closed_on", "销号日期")
    if closed_on < flag.flagged_on:
        raise ServiceError("销号日期不能早于认定日期。", field="closed_on")
    before = weak_state(flag)
    flag.closed_on = closed_on
    flag.closing_note = clean_text(closing_note, "closing_note", "销号说明", 2000)
    flag.save(update_fields=["closed_on", "closing_note"])
    audit.record(actor, "weak_flag.close", flag, org=flag.org, before=before, after=weak_state(flag))
    return flag


# --- committees from an import --------------------------------------------------------------------------


@transaction.atomic
def add_elected_member(
    actor: Actor, committee: Committee, *, post: str, name: str, member_id: int | None = None
) -> CommitteeMember:
    """Add one more person elected with a committee (an import brings one row per person)."""
    committee = (
        Committee.objects.select_for_update(of=("self",)).select_related("org", "event").get(pk=committee.pk)
    )
    require_change(actor, committee.org, "登记换届选举")
    if not committee.is_current or committee.origin != CommitteeOrigin.ELECTED:
        raise ServiceError("只能向现任的选举产生的班子补录当选人员。")
    seats = [
        {"post": m.post, "name": m.name, "member_id": m.member_id}
        for m in committee.members.filter(ended_on__isnull=True)
    ]
    seat = clean_seats(committee.org, [*seats, {"post": post, "name": name, "member_id": member_id}])[-1]
    holder = CommitteeMember.objects.create(
        committee=committee, origin=SeatOrigin.ELECTED, started_on=committee.started_on, **seat
    )
    if committee.event is not None:
        committee.event.details.setdefault("members", []).append(f"{holder.get_post_display()} {holder.name}")
        committee.event.save(update_fields=["details"])
    audit.record(actor, "committee_member.add", holder, org=committee.org, after=seat_state(holder))
    return holder


def committee_undo_blockers(holders: list[CommitteeMember]) -> list[str]:
    """Why imported committee members cannot be taken back: the committee changed since, or was replaced."""
    reasons = []
    ids = {h.pk for h in holders}
    for committee in {h.committee for h in holders}:
        org = committee.org
        if not committee.is_current:
            reasons.append(f"“{org.name}”导入的班子已被后来的换届取代")
        elif committee.members.exclude(pk__in=ids).exists():
            reasons.append(f"“{org.name}”的班子导入后已增补了其他成员")
        elif committee.members.filter(pk__in=ids, ended_on__isnull=False).exists():
            reasons.append(f"“{org.name}”的班子成员导入后已登记离任")
    return reasons


@transaction.atomic
def remove_imported_committee_member(actor: Actor, holder: CommitteeMember) -> None:
    """Take back a post holder an import created; the last one takes the committee and its election event
    with it and makes the committee it had replaced current again (nothing happened in the real world)."""
    holder = CommitteeMember.objects.select_related("committee__org").get(pk=holder.pk)
    committee, org = holder.committee, holder.committee.org
    require_change(actor, org, "撤销导入")
    audit.record(actor, "committee_member.import_undo", holder, org=org, before=seat_state(holder))
    holder.delete()
    if committee.members.exists():
        return
    audit.record(actor, "committee.import_undo", committee, org=org, before=committee_state(committee))
    event = committee.event
    committee.delete()
    if event is not None:
        event.delete()
    previous = (
        Committee.objects.filter(org=org, ended_on=committee.started_on).order_by("-started_on").first()
    )
    if previous is not None:
        previous.members.filter(ended_on=committee.started_on, end_reason="换届").update(
            ended_on=None, end_reason=""
        )
        previous.ended_on = None
        previous.save(update_fields=["ended_on"])
