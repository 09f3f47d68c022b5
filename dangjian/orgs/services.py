"""Every write to the org tree: checks, the dated event, the new state and the audit entry, atomically."""

import re
from datetime import date

from django.db import transaction
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.access import CHANGE, path_in_scope
from dangjian.core.audit import Actor
from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.rules import blocking
from dangjian.orgs import rules
from dangjian.orgs.models import Org, OrgEvent, OrgEventKind, OrgKind, OrgStatus, Sector

CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_.]{0,39}$")
EDITABLE_FIELDS = ("name", "short_name", "sector", "code", "founded_on")


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
) -> Org:
    """Found an org under ``parent`` (or a root org, from a setup command only)."""
    name = clean_name(name)
    short_name = clean_name(short_name, "short_name", "简称", 60)
    kind = clean_kind(kind)
    sector = clean_sector(sector)
    code = clean_code(code, actor)
    founded_on = clean_date(founded_on, "founded_on", "成立日期")
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
        name=name, short_name=short_name, kind=kind, sector=sector, code=code, founded_on=founded_on
    )
    org = Org.add_root(**fields) if parent is None else parent.add_child(**fields)
    _event(actor, org, OrgEventKind.FOUNDED, founded_on or today(), document_number, note=note)
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
    }
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
    org.move(new_parent, pos="last-child")
    org = Org.objects.get(pk=org.pk)
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
    active_children = Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).active().count()
    if active_children:
        raise ServiceError(
            f"“{org.name}”下还有{active_children}个未撤销的党组织,请先撤销或调整它们。", field="status"
        )
    occurred_on = clean_date(occurred_on, "occurred_on", "撤销日期") or today()
    before = org_state(org)
    org.status, org.dissolved_on = OrgStatus.DISSOLVED, occurred_on
    org.save(update_fields=["status", "dissolved_on", "updated_at"])
    _event(actor, org, OrgEventKind.DISSOLVED, occurred_on, document_number, note=reason)
    audit.record(actor, "org.dissolve", org, org=org, before=before, after=org_state(org))
    return org


def undo_blockers(org: Org, batch_org_ids: set[int]) -> list[str]:
    """Why an imported org cannot be taken back: anything recorded on it since, or children from elsewhere."""
    reasons = []
    if org.events.exclude(kind=OrgEventKind.FOUNDED).exists():
        reasons.append(f"“{org.name}”导入后已登记了其他事项")
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
    org.events.all().delete()
    # Deepest first: treebeard's delete also removes descendants, which the batch removes itself.
    Org.objects.filter(pk=org.pk).delete()
