"""Every write to member records: checks, the dated event, the new state and the audit entry, atomically.

A service takes an ``Actor``, checks that the actor may change records of the member's org, applies the
rules of ``members/rules.py`` (a ``block`` finding refuses the write with its message), writes the
``MemberEvent`` and the member's new state, and calls ``audit.record`` — all in one transaction.
Protected fields go in sealed (``members/protected.py``); the audit log sees only masks.
"""

import contextlib
import contextvars
import functools
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PINYIN_DICT

from dangjian.core import audit
from dangjian.core.access import CHANGE, path_in_scope
from dangjian.core.audit import Actor
from dangjian.core.errors import ConflictError, NotPermitted, ServiceError
from dangjian.core.importing import allocate_ids, delete_rows, insert_rows
from dangjian.core.rules import Finding, Level, blocking
from dangjian.members import protected, rules
from dangjian.members.models import (
    PARTY_MEMBER_CATEGORIES,
    PRE_MEMBER_CATEGORIES,
    Care,
    CareKind,
    Category,
    ContactLog,
    Education,
    ExitReason,
    Member,
    MemberEvent,
    MemberEventKind,
    MemberLogin,
    MemberTag,
    Mobility,
    Occupation,
    Sex,
    Status,
    Transfer,
    TransferDirection,
    TransferStatus,
)
from dangjian.orgs.models import Org
from dangjian.orgs.rules import MemberCounts

SENSITIVE = protected.PROTECTED_FIELDS
PROFILE_FIELDS = (
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "id_number",
    "native_place",
    "education",
    "occupation",
    "work_unit",
    "post",
    "phone",
    "address",
    "applied_on",
    "tags",
)
# Statuses a member may be imported or created with; the others come only from events.
INITIAL_STATUSES = (Status.NORMAL, Status.ABROAD, Status.LOST_CONTACT, Status.MOBILE, Status.SUSPENDED)


def today() -> date:
    return timezone.localdate()


def transfer_valid_months() -> int:
    """How long a transfer letter is valid: the setting MEMBER_TRANSFER_VALID_MONTHS, default 3."""
    return settings.MEMBER_TRANSFER_VALID_MONTHS


@functools.cache
def _character_initial(character: str) -> str | None:
    """The initial of a Chinese character whose readings all start with the same letter (张 zhāng/zhàng → z);
    None for other characters, and for those whose readings differ (长 cháng/zhǎng), whose reading depends
    on the words around it."""
    if len(character) != 1 or ord(character) not in PINYIN_DICT:
        return None
    initials = {reading[:1] for reading in pinyin(character, style=Style.FIRST_LETTER, heteronym=True)[0]}
    return initials.pop().lower() if len(initials) == 1 else None


@functools.lru_cache(maxsize=100_000)
def name_initials(name: str) -> str:
    """Pinyin initials for search: 张三丰 → zsf. Characters without pinyin are kept as they are.

    Most names are made only of characters with one possible initial: those are read character by
    character from a cache (a bulk import of a city's members names thousands of different people); a name
    with any other character goes through pypinyin's phrase-aware reading, as before.
    """
    initials = [_character_initial(character) for character in name]
    if None not in initials:
        return "".join(initials)[:50]
    return "".join(part[:1] for part in lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()[:50]


def member_state(member: Member) -> dict:
    """The member as the audit log keeps it: protected fields only as masks (and masked again by audit)."""
    return {
        "name": member.name,
        "sex": member.sex,
        "birth_date": member.birth_date,
        "id_number": member.id_number_masked,
        "phone": member.phone_masked,
        "address": member.address_masked,
        "category": member.category,
        "status": member.status,
        "org_id": member.org_id,
        "on_roll": member.on_roll,
        "applied_on": member.applied_on,
        "joined_on": member.joined_on,
        "converted_on": member.converted_on,
        "exit_reason": member.exit_reason,
    }


# --- permission checks ----------------------------------------------------------------------------------


def require_change(actor: Actor, org: Org, what: str = "登记党员信息") -> None:
    if actor.is_system:
        return
    if not path_in_scope(actor.user, org.path, CHANGE):
        raise NotPermitted(f"您没有在“{org.name}”{what}的权限。")


def raise_blocking(findings: list[Finding], field_name: str | None) -> None:
    blocked = blocking(findings)
    if blocked:
        raise ServiceError(blocked[0].message, field=field_name, details={"rule": blocked[0].rule_id})


# --- field checks ---------------------------------------------------------------------------------------


def _text(value, field_name: str, label: str, max_length: int, required: bool = False) -> str:
    value = ("" if value is None else str(value)).strip()
    if required and not value:
        raise ServiceError(f"{label}不能为空。", field=field_name)
    if len(value) > max_length:
        raise ServiceError(f"{label}不能超过{max_length}个字。", field=field_name)
    return value


@functools.cache
def choice_values(choices) -> frozenset[str]:
    # Django builds ``choices.values`` anew on each access; a bulk import asks millions of times.
    return frozenset(choices.values)


def _choice(value, choices, field_name: str, label: str, required: bool = False) -> str:
    value = (value or "").strip() if isinstance(value, str) else (value or "")
    if not value and not required:
        return ""
    if value not in choice_values(choices):
        raise ServiceError(f"{label}“{value}”无效,应为:{'、'.join(choices.labels)}。", field=field_name)
    return value


def _date(value, field_name: str, label: str, on: date | None = None) -> date | None:
    if value is not None and not isinstance(value, date):
        raise ServiceError(f"{label}格式不正确。", field=field_name)
    raise_blocking(rules.not_in_future(value, on or today(), label), field_name)
    return value


def tag_table() -> dict[str, MemberTag]:
    """Every tag by code and by name, for ``resolve_tags`` (a bulk import loads it once)."""
    found = {t.code: t for t in MemberTag.objects.all()}
    found.update({t.name: t for t in found.values()})
    return found


def resolve_tags(tags: Iterable, table: dict[str, MemberTag] | None = None) -> list[MemberTag]:
    """Tags given as objects, codes or Chinese names; an unknown one is refused by name."""
    resolved, wanted = [], []
    for tag in tags or ():
        if isinstance(tag, MemberTag):
            resolved.append(tag)
        elif str(tag).strip():
            wanted.append(str(tag).strip())
    if wanted:
        found = table if table is not None else tag_table()
        for name in wanted:
            if name not in found:
                known = sorted(
                    {t.pk: t for t in found.values()}.values(), key=lambda t: (t.sort_order, t.code)
                )
                choices = "、".join(t.name for t in known)
                raise ServiceError(f"台账标签“{name}”不存在,可选:{choices}。", field="tags")
            resolved.append(found[name])
    return list({t.pk: t for t in resolved}.values())


@dataclass
class CheckedIdentity:
    id_number: str
    birth_date: date
    sex: str
    warnings: list[Finding] = field(default_factory=list)


def check_identity(
    raw_id, birth_date: date | None, sex: str | None, on: date | None = None, parsed: tuple | None = None
) -> CheckedIdentity:
    """The ID number checked (RULES.md §7); birth date and sex default to what it encodes, or must agree.

    ``parsed`` is ``rules.parse_id_number(raw_id, on)`` when the caller (an import) has it already."""
    number, findings = parsed or rules.parse_id_number(raw_id, on or today())
    raise_blocking(findings, "id_number")
    sex = _choice(sex, Sex, "sex", "性别")
    mismatch = rules.id_agreement_findings(number, birth_date, sex)
    if mismatch:
        field_name = "birth_date" if mismatch[0].rule_id == "member.id_birth_mismatch" else "sex"
        raise_blocking(mismatch, field_name)
    warnings = [f for f in findings if f.level == Level.WARN]
    return CheckedIdentity(number.value, number.birth_date, number.sex, warnings)


def id_number_clash(actor: Actor, index: str, exclude_pk: int | None = None) -> None:
    """One record per person: a second record with the same ID number is refused.

    The holder is named only to someone who may see them; otherwise the message reveals nothing.
    """
    # No ORDER BY: first() would sort by id, and SQLite then scans the table instead of using the index.
    found = (
        Member.objects.filter(id_number_index=index)
        .order_by()
        .values_list("pk", "name", "org__name", "org__path")
    )
    clash = next((row for row in found[:2] if row[0] != exclude_pk), None)
    if clash is not None:
        raise clash_error(actor, *clash[1:])


def clash_error(actor: Actor, name: str, org_name: str, org_path: str) -> ConflictError:
    if actor.is_system or path_in_scope(actor.user, org_path):
        return ConflictError(f"该公民身份号码已登记为“{name}”({org_name}),不能重复建档。", field="id_number")
    return ConflictError("该公民身份号码已在其他党组织登记,不能重复建档。", field="id_number")


def id_number_clashes(actor: Actor, indexes: list[str]) -> dict[str, ConflictError]:
    """``id_number_clash`` for many numbers in one query: the refusal for each blind index already held."""
    found = (
        Member.objects.filter(id_number_index__in=indexes)
        .order_by()
        .values_list("id_number_index", "name", "org__name", "org__path")
    )
    return {index: clash_error(actor, *rest) for index, *rest in found}


def check_path_dates(
    category: str,
    birth_date: date,
    applied_on: date | None,
    joined_on: date | None,
    converted_on: date | None,
    on: date | None = None,
) -> None:
    """Dates a record must have for its category, in the order they happen."""
    if category in PARTY_MEMBER_CATEGORIES and joined_on is None:
        raise ServiceError("预备党员和正式党员必须填写入党日期。", field="joined_on")
    if category == Category.FULL and converted_on is None:
        raise ServiceError("正式党员必须填写转正日期。", field="converted_on")
    if category != Category.FULL and converted_on is not None:
        raise ServiceError("只有正式党员才有转正日期。", field="converted_on")
    if category in PRE_MEMBER_CATEGORIES and joined_on is not None:
        raise ServiceError(f"{Category(category).label}还没有入党日期。", field="joined_on")
    if applied_on is not None:
        raise_blocking(rules.applicant_age_findings(birth_date, applied_on), "applied_on")
        if joined_on is not None and joined_on < applied_on:
            raise ServiceError("入党日期早于申请入党日期。", field="joined_on")
    elif category == Category.APPLICANT:
        raise_blocking(rules.applicant_age_findings(birth_date, on or today()), "birth_date")
    if joined_on is not None and rules.age_on(birth_date, joined_on) < rules.MIN_APPLICANT_AGE:
        raise ServiceError("入党时未满18周岁。", field="joined_on")
    raise_blocking(rules.conversion_findings(joined_on, converted_on), "converted_on")


# --- creating and changing records ----------------------------------------------------------------------


def _event(
    actor: Actor,
    member: Member,
    kind: str,
    occurred_on: date,
    document_number: str = "",
    note: str = "",
    details: dict | None = None,
    org: Org | None = None,
) -> MemberEvent:
    return MemberEvent.objects.create(
        member=member,
        org=org or member.org,
        kind=kind,
        occurred_on=occurred_on,
        recorded_by=actor.user,
        document_number=(document_number or "").strip()[:100],
        details=details or {},
        note=note or "",
    )


@dataclass
class CheckedMember:
    """A record's fields after every check that needs no query: model fields, protected values in clear
    (to be sealed), tags and the warnings that did not block."""

    fields: dict
    id_number: str
    phone: str
    address: str
    tags: list
    warnings: list[Finding]
    id_index: str = ""


def check_member_data(
    org: Org,
    data: dict,
    tag_table: dict | None = None,
    on: date | None = None,
    parsed_id: tuple | None = None,
    id_index: str = "",
) -> CheckedMember:
    """The checks of a new record (shared by create and the bulk import); raises ServiceError.

    ``tag_table`` (from ``tag_table()``) and ``on`` (today) let a bulk import look them up once, and
    ``parsed_id`` / ``id_index`` pass on the ID number it has parsed and indexed already."""
    on = on or today()
    identity = check_identity(data.get("id_number"), data.get("birth_date"), data.get("sex"), on, parsed_id)
    category = _choice(data.get("category"), Category, "category", "人员类别", required=True)
    status = _choice(data.get("status") or Status.NORMAL, Status, "status", "党员状态")
    if status not in INITIAL_STATUSES:
        raise ServiceError("新建档案的党员状态不能为“已出党”。", field="status")
    applied_on = _date(data.get("applied_on"), "applied_on", "申请入党日期", on)
    joined_on = _date(data.get("joined_on"), "joined_on", "入党日期", on)
    converted_on = _date(data.get("converted_on"), "converted_on", "转正日期", on)
    check_path_dates(category, identity.birth_date, applied_on, joined_on, converted_on, on)
    fields = {
        "org": org,
        "name": _text(data.get("name"), "name", "姓名", 50, required=True),
        "sex": identity.sex,
        "ethnicity": _text(data.get("ethnicity") or "汉族", "ethnicity", "民族", 20),
        "birth_date": identity.birth_date,
        "native_place": _text(data.get("native_place"), "native_place", "籍贯", 60),
        "education": _choice(data.get("education"), Education, "education", "学历"),
        "occupation": _choice(data.get("occupation"), Occupation, "occupation", "职业"),
        "work_unit": _text(data.get("work_unit"), "work_unit", "工作单位", 120),
        "post": _text(data.get("post"), "post", "职务", 60),
        "category": category,
        "status": status,
        "status_since": data.get("status_since") or (None if status == Status.NORMAL else on),
        "applied_on": applied_on,
        "joined_on": joined_on,
        "converted_on": converted_on,
    }
    return CheckedMember(
        fields,
        identity.id_number,
        _phone(data.get("phone")),
        _text(data.get("address"), "address", "家庭住址", 200),
        resolve_tags(data.get("tags") or (), tag_table),
        identity.warnings,
        id_index or protected.id_index(identity.id_number),
    )


def build_member(actor: Actor, *, org: Org, **data) -> tuple[Member, list[MemberTag], list[Finding]]:
    """A checked, sealed, unsaved member from the record's fields (shared by create and import)."""
    checked = check_member_data(org, data)
    member = Member(**checked.fields)
    member.name_initials = name_initials(member.name)
    protect_fields(member, id_number=checked.id_number, phone=checked.phone, address=checked.address)
    return member, checked.tags, checked.warnings


def _phone(value) -> str:
    phone = "".join(ch for ch in str(value or "") if ch.isdigit() or ch in "+-")
    if value and not 5 <= len(phone) <= 20:
        raise ServiceError("联系电话格式不正确。", field="phone")
    return phone


def protect_fields(member: Member, **values) -> None:
    for column, value in values.items():
        protected.protect(member, column, value)


@transaction.atomic
def create_member(
    actor: Actor,
    *,
    org: Org,
    occurred_on: date | None = None,
    document_number: str = "",
    note: str = "",
    initial_event: str = MemberEventKind.CREATED,
    event_details: dict | None = None,
    **data,
) -> Member:
    """Open a record (建立档案) at ``org``. ``member.warnings`` holds findings that did not block (15 digits)."""
    require_change(actor, org)
    if not org.is_active:
        raise ServiceError(f"“{org.name}”已撤销,不能在其下登记党员。", field="org")
    member, tags, warnings = build_member(actor, org=org, **data)
    id_number_clash(actor, member.id_number_index)
    member.save(force_insert=True)
    if tags:
        member.tags.set(tags)
    members_changed(org.pk)
    _event(
        actor,
        member,
        initial_event,
        occurred_on or today(),
        document_number,
        note,
        details={"warnings": [w.message for w in warnings], **(event_details or {})}
        if warnings or event_details
        else {},
    )
    audit.record(actor, "member.create", member, org=org, after=member_state(member), sensitive=SENSITIVE)
    member.warnings = warnings
    return member


def _common_org(orgs: Iterable[Org]) -> Org:
    """The deepest org holding all of ``orgs``: where the audit entry of a bulk write belongs."""
    orgs = list({org.pk: org for org in orgs}.values())
    if len(orgs) == 1:
        return orgs[0]
    prefix = os.path.commonprefix([org.path for org in orgs])
    prefix = prefix[: len(prefix) - len(prefix) % Org.steplen]
    return Org.objects.get(path=prefix)


def _bulk_row(pk: int, item: CheckedMember, now) -> dict:
    fields = item.fields
    row = {k: v for k, v in fields.items() if k != "org"}
    row_key = uuid.uuid4()
    row.update(
        id=pk,
        org_id=fields["org"].pk,
        row_key=row_key,
        name_initials=name_initials(fields["name"]),
        on_roll=True,
        created_at=now,
        updated_at=now,
        id_number_index=item.id_index,
    )
    for column in SENSITIVE:
        value = getattr(item, column)
        row[f"{column}_enc"] = protected.seal(column, row_key, value)
        row[f"{column}_masked"] = protected.MASKERS[column](value)
    return row


def create_members_bulk(actor: Actor, items: list[CheckedMember], *, audited_as) -> list[int]:
    """Open many checked records at once (the bulk import): the same rows, events and tags as
    ``create_member``, written with bulk inserts, and ONE audit entry naming how many records were
    created and their ids — the audited form of a bulk import. ``audited_as`` is the object the entry
    is about (the import batch). Answers the new members' ids, in the order of ``items``."""
    orgs = {item.fields["org"].pk: item.fields["org"] for item in items}
    for org in orgs.values():
        require_change(actor, org)
        if not org.is_active:
            raise ServiceError(f"“{org.name}”已撤销,不能在其下登记党员。", field="org")
    now, day = timezone.now(), today()
    user_id = actor.user.pk if actor.user is not None else None
    try:
        with transaction.atomic():
            ids = allocate_ids(Member, len(items))
            insert_rows(Member, (_bulk_row(pk, item, now) for pk, item in zip(ids, items, strict=True)))
            insert_rows(
                MemberEvent,
                [
                    {
                        "member_id": pk,
                        "org_id": item.fields["org"].pk,
                        "kind": MemberEventKind.CREATED,
                        "occurred_on": day,
                        "recorded_at": now,
                        "recorded_by_id": user_id,
                        "details": {"warnings": [w.message for w in item.warnings]} if item.warnings else {},
                    }
                    for pk, item in zip(ids, items, strict=True)
                ],
            )
            insert_rows(
                Member.tags.through,
                [
                    {"member_id": pk, "membertag_id": tag.pk}
                    for pk, item in zip(ids, items, strict=True)
                    for tag in item.tags
                ],
            )
            members_changed(*orgs, new_member_ids=ids)
    except IntegrityError as exc:
        # Another import or page registered one of these numbers since the check: refuse the whole chunk.
        raise ConflictError("导入期间有公民身份号码已被登记,本批未导入,请重新预检。") from exc
    audit.record(
        actor,
        "member.import",
        audited_as,
        org=_common_org(orgs.values()),
        after={"count": len(ids), "org_ids": sorted(orgs), "member_ids": ids},
    )
    return ids


@transaction.atomic
def update_member(actor: Actor, member: Member, *, occurred_on: date | None = None, **changes) -> Member:
    """Correct or update a member's particulars (信息变更). Category, status and org change only by events."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ServiceError(f"不能在此修改:{'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])
    member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    require_change(actor, member.org)
    if not member.on_roll:
        raise ServiceError(f"“{member.name}”已离册,不能再修改。")
    before = member_state(member)
    changed: list[str] = []
    identity_fields = {"id_number", "birth_date", "sex"}
    if identity_fields & set(changes):
        raw_id = changes.get("id_number") or protected.reveal(member, "id_number")
        identity = check_identity(
            raw_id, changes.get("birth_date", member.birth_date), changes.get("sex", member.sex)
        )
        if protected.id_index(identity.id_number) != member.id_number_index:
            id_number_clash(actor, protected.id_index(identity.id_number), exclude_pk=member.pk)
            protect_fields(member, id_number=identity.id_number)
            changed.append("id_number")
        for name, value in (("birth_date", identity.birth_date), ("sex", identity.sex)):
            if getattr(member, name) != value:
                setattr(member, name, value)
                changed.append(name)
    texts = {
        "name": ("姓名", 50, True),
        "ethnicity": ("民族", 20, False),
        "native_place": ("籍贯", 60, False),
        "work_unit": ("工作单位", 120, False),
        "post": ("职务", 60, False),
    }
    for name, (label, length, required) in texts.items():
        if name in changes:
            value = _text(changes[name], name, label, length, required)
            if value != getattr(member, name):
                setattr(member, name, value)
                changed.append(name)
    for name, choices, label in (("education", Education, "学历"), ("occupation", Occupation, "职业")):
        if name in changes:
            value = _choice(changes[name], choices, name, label)
            if value != getattr(member, name):
                setattr(member, name, value)
                changed.append(name)
    if "applied_on" in changes:
        applied_on = _date(changes["applied_on"], "applied_on", "申请入党日期")
        check_path_dates(
            member.category, member.birth_date, applied_on, member.joined_on, member.converted_on
        )
        if applied_on != member.applied_on:
            member.applied_on = applied_on
            changed.append("applied_on")
    for name in ("phone", "address"):
        if name in changes:
            value = _phone(changes[name]) if name == "phone" else _text(changes[name], name, "家庭住址", 200)
            if value != protected.reveal(member, name):
                protect_fields(member, **{name: value})
                changed.append(name)
    if "tags" in changes:
        tags = resolve_tags(changes["tags"])
        if {t.pk for t in tags} != set(member.tags.values_list("pk", flat=True)):
            member.tags.set(tags)
            changed.append("tags")
    if not changed:
        return member
    member.name_initials = name_initials(member.name)
    member.save()
    members_changed(member.org_id)
    labels = {
        name: str(Member._meta.get_field(name).verbose_name) for name in changed if name in _model_fields()
    }
    labels.update(
        {"id_number": "公民身份号码", "phone": "联系电话", "address": "家庭住址", "tags": "台账标签"}
    )
    _event(
        actor,
        member,
        MemberEventKind.CHANGED,
        _date(occurred_on, "occurred_on", "变更日期") or today(),
        details={"fields": [labels.get(name, name) for name in changed]},
    )
    audit.record(
        actor,
        "member.update",
        member,
        org=member.org,
        before=before,
        after=member_state(member),
        sensitive=SENSITIVE,
    )
    return member


def _model_fields() -> set[str]:
    return {f.name for f in Member._meta.get_fields()}


@transaction.atomic
def reveal_member(actor: Actor, member: Member, fields: Iterable[str] = SENSITIVE, purpose: str = "") -> dict:
    """The protected fields in clear, for a user holding the unmask permission; every call is audited."""
    member = Member.objects.select_related("org").get(pk=member.pk)
    if not actor.is_system and not protected.can_unmask(actor.user, member.org):
        raise NotPermitted("您没有查看完整个人信息的权限。")
    fields = [f for f in fields if f in SENSITIVE]
    values = {name: protected.reveal(member, name) for name in fields}
    audit.record(
        actor, "member.unmask", member, org=member.org, after={"fields": fields, "purpose": purpose[:100]}
    )
    return values


def find_by_id_number(queryset, raw_id_number: str):
    """Exact search by ID number through the blind index: the clear number is never compared in SQL."""
    value = rules.normalize_id_number(raw_id_number)
    if len(value) == 15:
        number, _ = rules.parse_id_number(value)
        value = number.value if number else value
    return queryset.filter(id_number_index=protected.id_index(value))


# --- events ---------------------------------------------------------------------------------------------

# For each kind that changes a member's state: the categories and statuses it may start from.
ON_ROLL_STATUSES = (Status.NORMAL, Status.ABROAD, Status.LOST_CONTACT, Status.MOBILE, Status.SUSPENDED)
EVENT_PRECONDITIONS = {
    MemberEventKind.ACTIVIST_CONFIRMED: ({Category.APPLICANT}, None),
    MemberEventKind.CANDIDATE_CONFIRMED: ({Category.ACTIVIST}, None),
    MemberEventKind.ADMITTED: ({Category.CANDIDATE}, None),
    MemberEventKind.CONVERTED: ({Category.PROBATIONARY}, None),
    MemberEventKind.PROBATION_EXTENDED: ({Category.PROBATIONARY}, None),
    MemberEventKind.PROBATION_CANCELLED: ({Category.PROBATIONARY}, None),
    MemberEventKind.MOVED_AWAY: (None, {Status.NORMAL}),
    MemberEventKind.WENT_ABROAD: (None, {Status.NORMAL}),
    MemberEventKind.RETURNED: (None, {Status.MOBILE, Status.ABROAD}),
    MemberEventKind.LOST_CONTACT: (None, {Status.NORMAL, Status.MOBILE, Status.ABROAD}),
    MemberEventKind.FOUND: (None, {Status.LOST_CONTACT}),
    MemberEventKind.SUSPENDED: (PARTY_MEMBER_CATEGORIES, {Status.LOST_CONTACT, Status.ABROAD, Status.NORMAL}),
    MemberEventKind.RESTORED: (None, {Status.SUSPENDED}),
    MemberEventKind.EXITED: (PARTY_MEMBER_CATEGORIES, set(ON_ROLL_STATUSES)),
    MemberEventKind.DECEASED: (None, set(ON_ROLL_STATUSES)),
    MemberEventKind.COMMENDED: (None, None),
    MemberEventKind.DISCIPLINED: (PARTY_MEMBER_CATEGORIES, None),
}
# The kinds a page or the API records with ``record_event`` (transfers have services of their own).
RECORDABLE_KINDS = tuple(EVENT_PRECONDITIONS)
STATUS_FOR_KIND = {
    MemberEventKind.MOVED_AWAY: Status.MOBILE,
    MemberEventKind.WENT_ABROAD: Status.ABROAD,
    MemberEventKind.RETURNED: Status.NORMAL,
    MemberEventKind.LOST_CONTACT: Status.LOST_CONTACT,
    MemberEventKind.FOUND: Status.NORMAL,
    MemberEventKind.SUSPENDED: Status.SUSPENDED,
    MemberEventKind.RESTORED: Status.NORMAL,
}
CATEGORY_FOR_KIND = {
    MemberEventKind.ACTIVIST_CONFIRMED: Category.ACTIVIST,
    MemberEventKind.CANDIDATE_CONFIRMED: Category.CANDIDATE,
    MemberEventKind.ADMITTED: Category.PROBATIONARY,
    MemberEventKind.CONVERTED: Category.FULL,
}
DISCIPLINE_KINDS = ("警告", "严重警告", "撤销党内职务", "留党察看", "开除党籍")


def check_preconditions(member: Member, kind: str) -> None:
    categories, statuses = EVENT_PRECONDITIONS[kind]
    label = MemberEventKind(kind).label
    if not member.on_roll:
        raise ServiceError(f"“{member.name}”已离册,不能再登记“{label}”。", field="kind")
    if categories is not None and member.category not in categories:
        allowed = "、".join(Category(c).label for c in sorted(categories))
        raise ServiceError(
            f"“{label}”只适用于{allowed},“{member.name}”现为{member.get_category_display()}。", field="kind"
        )
    if statuses is not None and member.status not in statuses:
        raise ServiceError(
            f"“{member.name}”现为“{member.get_status_display()}”状态,不能登记“{label}”。", field="kind"
        )


def check_event_date(member: Member, kind: str, occurred_on: date) -> None:
    raise_blocking(rules.not_in_future(occurred_on, today(), "发生日期"), "occurred_on")
    if occurred_on < member.birth_date:
        raise ServiceError("发生日期早于出生日期。", field="occurred_on")
    # A status change is never dated before the change it follows.
    if kind in STATUS_FOR_KIND and member.status_since and occurred_on < member.status_since:
        raise ServiceError(
            f"发生日期不能早于当前状态的起始日期 {member.status_since.isoformat()}。", field="occurred_on"
        )


def _apply_category(member: Member, kind: str, occurred_on: date, details: dict) -> None:
    if kind == MemberEventKind.ACTIVIST_CONFIRMED and member.applied_on and occurred_on < member.applied_on:
        raise ServiceError("确定为入党积极分子的日期早于申请入党日期。", field="occurred_on")
    if kind == MemberEventKind.ADMITTED:
        if rules.age_on(member.birth_date, occurred_on) < rules.MIN_APPLICANT_AGE:
            raise ServiceError("入党时未满18周岁。", field="occurred_on")
        if member.applied_on and occurred_on < member.applied_on:
            raise ServiceError("入党日期早于申请入党日期。", field="occurred_on")
        member.joined_on = occurred_on
    if kind == MemberEventKind.CONVERTED:
        findings = rules.conversion_findings(member.joined_on, occurred_on, member.probation_extended_months)
        raise_blocking(findings, "occurred_on")
        member.converted_on = occurred_on
    member.category = CATEGORY_FOR_KIND[kind]


def _apply_extension(member: Member, occurred_on: date, details: dict) -> None:
    try:
        months = int(details.get("months") or 0)
    except (TypeError, ValueError):
        months = 0
    raise_blocking(rules.extension_findings(months, member.probation_extended_months), "months")
    member.probation_extended_months = months
    details["months"] = months
    details["probation_ends_on"] = rules.probation_end(member.joined_on, months).isoformat()


def _leave_roll(member: Member, occurred_on: date, reason: str) -> None:
    member.status, member.status_since = Status.EXITED, occurred_on
    member.exit_reason, member.on_roll, member.left_on = reason, False, occurred_on


def _apply_exit(member: Member, kind: str, occurred_on: date, details: dict) -> None:
    if kind == MemberEventKind.DECEASED:
        reason = ExitReason.DECEASED
    elif kind == MemberEventKind.PROBATION_CANCELLED:
        reason = ExitReason.PROBATION_CANCELLED
    else:
        reason = details.get("reason") or ""
        allowed = [r for r in ExitReason if r not in (ExitReason.DECEASED, ExitReason.PROBATION_CANCELLED)]
        if reason not in allowed:
            raise ServiceError(f"请选择出党方式:{'、'.join(r.label for r in allowed)}。", field="reason")
    details["reason"] = reason
    _leave_roll(member, occurred_on, reason)


def _apply_status(member: Member, kind: str, occurred_on: date, details: dict, actor: Actor) -> None:
    if kind == MemberEventKind.MOVED_AWAY:
        destination = _text(details.get("destination"), "destination", "流入地", 120, required=True)
        mobility = Mobility.objects.create(
            member=member,
            org=member.org,
            started_on=occurred_on,
            destination=destination,
            fixed_place=bool(details.get("fixed_place", True)),
            destination_org_name=_text(
                details.get("destination_org_name"), "destination_org_name", "流入地党组织", 120
            ),
            contact_person=_text(details.get("contact_person"), "contact_person", "联系人", 60),
            mobility_card_number=_text(
                details.get("mobility_card_number"), "mobility_card_number", "活动证号", 40
            ),
        )
        details.update(destination=destination, mobility_id=mobility.pk)
    if kind == MemberEventKind.RETURNED:
        member.mobilities.filter(ended_on__isnull=True).update(ended_on=occurred_on)
    member.status, member.status_since = STATUS_FOR_KIND[kind], occurred_on


def _apply_record(member: Member, kind: str, details: dict) -> None:
    if kind == MemberEventKind.COMMENDED:
        details["title"] = _text(details.get("title"), "title", "表彰名称", 120, required=True)
        details["level"] = _text(details.get("level"), "level", "表彰级别", 40)
    if kind == MemberEventKind.DISCIPLINED:
        discipline = details.get("discipline") or ""
        if discipline not in DISCIPLINE_KINDS:
            raise ServiceError(f"请选择处分种类:{'、'.join(DISCIPLINE_KINDS)}。", field="discipline")
        if discipline == "开除党籍":
            raise ServiceError("开除党籍请登记为“出党”,出党方式选“开除”。", field="discipline")


@transaction.atomic
def record_event(
    actor: Actor,
    member: Member,
    kind: str,
    *,
    occurred_on: date | None = None,
    document_number: str = "",
    note: str = "",
    details: dict | None = None,
) -> MemberEvent:
    """Record a dated event and apply its effect on category or status (see EVENT_PRECONDITIONS)."""
    if kind not in RECORDABLE_KINDS:
        raise ServiceError(f"事项“{kind}”不能在此登记。", field="kind")
    member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    require_change(actor, member.org)
    occurred_on = occurred_on or today()
    check_preconditions(member, kind)
    check_event_date(member, kind, occurred_on)
    details = {k: v for k, v in (details or {}).items() if v not in (None, "")}
    before = member_state(member)
    if kind in CATEGORY_FOR_KIND:
        _apply_category(member, kind, occurred_on, details)
    elif kind == MemberEventKind.PROBATION_EXTENDED:
        _apply_extension(member, occurred_on, details)
    elif kind in (MemberEventKind.EXITED, MemberEventKind.DECEASED, MemberEventKind.PROBATION_CANCELLED):
        _apply_exit(member, kind, occurred_on, details)
    elif kind in STATUS_FOR_KIND:
        _apply_status(member, kind, occurred_on, details, actor)
    else:
        _apply_record(member, kind, details)
    member.save()
    members_changed(member.org_id)
    event = _event(actor, member, kind, occurred_on, document_number, note, details)
    audit.record(
        actor,
        f"member.{kind}",
        member,
        org=member.org,
        before=before,
        after=member_state(member),
        sensitive=SENSITIVE,
    )
    return event


# --- transfers (组织关系转接) ----------------------------------------------------------------------------


def transfer_state(transfer: Transfer) -> dict:
    return {
        "member_id": transfer.member_id,
        "direction": transfer.direction,
        "from_org_id": transfer.from_org_id,
        "to_org_id": transfer.to_org_id,
        "outside_org_name": transfer.outside_org_name,
        "letter_number": transfer.letter_number,
        "issued_on": transfer.issued_on,
        "expires_on": transfer.expires_on,
        "dues_paid_until": transfer.dues_paid_until,
        "status": transfer.status,
        "accepted_on": transfer.accepted_on,
        "returned_on": transfer.returned_on,
        "receipt_number": transfer.receipt_number,
    }


def _month(value: date | None) -> date | None:
    return value.replace(day=1) if value else None


@transaction.atomic
def issue_transfer(
    actor: Actor,
    member: Member,
    *,
    letter_number: str,
    to_org: Org | None = None,
    outside_org_name: str = "",
    issued_on: date | None = None,
    reason: str = "",
    dues_paid_until: date | None = None,
) -> Transfer:
    """The sending org issues a letter; the member stays with it (in transit) until the other side accepts."""
    member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    require_change(actor, member.org, "转出党员")
    if not member.on_roll or member.status == Status.EXITED:
        raise ServiceError(f"“{member.name}”已离册,不能转接组织关系。")
    if member.category not in PARTY_MEMBER_CATEGORIES:
        raise ServiceError("只有党员(含预备党员)才转接组织关系。", field="member")
    if member.transfers.filter(status=TransferStatus.IN_TRANSIT).exists():
        raise ConflictError(f"“{member.name}”已有一份在途的介绍信。", field="member")
    letter_number = _text(letter_number, "letter_number", "介绍信编号", 60, required=True)
    outside_org_name = _text(outside_org_name, "outside_org_name", "系统外党组织名称", 120)
    if (to_org is None) == (not outside_org_name):
        raise ServiceError("请选择系统内的转入党组织,或填写系统外党组织名称(二者选一)。", field="to_org")
    if to_org is not None:
        to_org = Org.objects.get(pk=to_org.pk)
        if to_org.pk == member.org_id:
            raise ServiceError("转入党组织与所在党组织相同。", field="to_org")
        if not to_org.is_active:
            raise ServiceError(f"“{to_org.name}”已撤销,不能转入。", field="to_org")
    issued_on = _date(issued_on, "issued_on", "开具日期") or today()
    transfer = Transfer.objects.create(
        member=member,
        direction=TransferDirection.WITHIN if to_org else TransferDirection.OUT,
        from_org=member.org,
        to_org=to_org,
        outside_org_name=outside_org_name,
        letter_number=letter_number,
        issued_on=issued_on,
        expires_on=rules.add_months(issued_on, transfer_valid_months()),
        reason=_text(reason, "reason", "转接原因", 200),
        dues_paid_until=_month(dues_paid_until),
        status=TransferStatus.IN_TRANSIT,
        created_by=actor.user,
    )
    audit.record(actor, "transfer.issue", transfer, org=member.org, after=transfer_state(transfer))
    return transfer


def _open_transfer(transfer: Transfer) -> Transfer:
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "from_org", "to_org")
        .get(pk=transfer.pk)
    )
    if transfer.status != TransferStatus.IN_TRANSIT:
        raise ConflictError(f"该介绍信{transfer.get_status_display()},不能再办理。", field="status")
    return transfer


def _move_member(actor: Actor, transfer: Transfer, on: date) -> None:
    """The member goes to the receiving org: an event on each side, each visible to its own org."""
    member = Member.objects.select_for_update().get(pk=transfer.member_id)
    details = {
        "letter_number": transfer.letter_number,
        "from": transfer.from_label,
        "to": transfer.to_label,
        "dues_paid_until": transfer.dues_paid_until.isoformat()[:7] if transfer.dues_paid_until else "",
    }
    before = member_state(member)
    old_org = member.org
    _event(
        actor,
        member,
        MemberEventKind.TRANSFERRED_OUT,
        on,
        transfer.letter_number,
        details=details,
        org=old_org,
    )
    member.org = transfer.to_org
    member.save(update_fields=["org", "updated_at"])
    members_changed(old_org.pk, member.org_id)
    _event(
        actor,
        member,
        MemberEventKind.TRANSFERRED_IN,
        on,
        transfer.letter_number,
        details=details,
        org=transfer.to_org,
    )
    audit.record(
        actor,
        "member.transfer",
        member,
        org=transfer.to_org,
        before=before,
        after=member_state(member),
        sensitive=SENSITIVE,
    )


@transaction.atomic
def accept_transfer(actor: Actor, transfer: Transfer, *, accepted_on: date | None = None) -> Transfer:
    """The receiving org accepts: the member moves to it; an expired letter must be issued again."""
    transfer = _open_transfer(transfer)
    if transfer.direction != TransferDirection.WITHIN:
        raise ServiceError("系统外转出的介绍信以回执办结。", field="status")
    require_change(actor, transfer.to_org, "接收党员")
    accepted_on = _date(accepted_on, "accepted_on", "接收日期") or today()
    if accepted_on < transfer.issued_on:
        raise ServiceError("接收日期早于介绍信开具日期。", field="accepted_on")
    if transfer.expires_on and accepted_on > transfer.expires_on:
        raise ServiceError(
            f"介绍信已于 {transfer.expires_on.isoformat()} 过期,请退回原党组织重新开具。", field="accepted_on"
        )
    before = transfer_state(transfer)
    _move_member(actor, transfer, accepted_on)
    transfer.status, transfer.accepted_on = TransferStatus.ACCEPTED, accepted_on
    transfer.receipt_on = accepted_on  # the receipt goes back to the sender with the acceptance
    transfer.save(update_fields=["status", "accepted_on", "receipt_on"])
    audit.record(
        actor, "transfer.accept", transfer, org=transfer.to_org, before=before, after=transfer_state(transfer)
    )
    return transfer


@transaction.atomic
def return_transfer(
    actor: Actor, transfer: Transfer, *, reason: str = "", returned_on: date | None = None
) -> Transfer:
    """The receiving org sends the letter back (wrong org, expired …); the member stays where they were."""
    transfer = _open_transfer(transfer)
    if transfer.direction != TransferDirection.WITHIN:
        raise ServiceError("只有系统内转接的介绍信可以退回。", field="status")
    require_change(actor, transfer.to_org, "退回介绍信")
    reason = _text(reason, "return_reason", "退回原因", 200, required=True)
    before = transfer_state(transfer)
    transfer.status = TransferStatus.RETURNED
    transfer.returned_on = _date(returned_on, "returned_on", "退回日期") or today()
    transfer.return_reason = reason
    transfer.save(update_fields=["status", "returned_on", "return_reason"])
    audit.record(
        actor, "transfer.return", transfer, org=transfer.to_org, before=before, after=transfer_state(transfer)
    )
    return transfer


@transaction.atomic
def record_receipt(
    actor: Actor, transfer: Transfer, *, receipt_number: str = "", receipt_on: date | None = None
) -> Transfer:
    """The receipt (回执) of an org outside the platform arrives: the member leaves the roll here."""
    transfer = _open_transfer(transfer)
    if transfer.direction != TransferDirection.OUT:
        raise ServiceError("系统内转接由转入党组织在系统中接收。", field="status")
    require_change(actor, transfer.from_org, "办结转出")
    receipt_on = _date(receipt_on, "receipt_on", "回执日期") or today()
    if receipt_on < transfer.issued_on:
        raise ServiceError("回执日期早于介绍信开具日期。", field="receipt_on")
    member = Member.objects.select_for_update().get(pk=transfer.member_id)
    before, member_before = transfer_state(transfer), member_state(member)
    details = {
        "letter_number": transfer.letter_number,
        "to": transfer.outside_org_name,
        "receipt_number": receipt_number,
    }
    _event(
        actor, member, MemberEventKind.TRANSFERRED_OUT, receipt_on, transfer.letter_number, details=details
    )
    member.on_roll, member.left_on = False, receipt_on
    member.save(update_fields=["on_roll", "left_on", "updated_at"])
    members_changed(member.org_id)
    transfer.status = TransferStatus.COMPLETED
    transfer.receipt_number = _text(receipt_number, "receipt_number", "回执编号", 60)
    transfer.receipt_on = receipt_on
    transfer.save(update_fields=["status", "receipt_number", "receipt_on"])
    audit.record(
        actor,
        "member.transfer_out",
        member,
        org=member.org,
        before=member_before,
        after=member_state(member),
        sensitive=SENSITIVE,
    )
    audit.record(
        actor,
        "transfer.receipt",
        transfer,
        org=transfer.from_org,
        before=before,
        after=transfer_state(transfer),
    )
    return transfer


@transaction.atomic
def receive_from_outside(
    actor: Actor,
    *,
    org: Org,
    outside_org_name: str,
    letter_number: str,
    received_on: date | None = None,
    issued_on: date | None = None,
    dues_paid_until: date | None = None,
    receipt_number: str = "",
    **member_fields,
) -> Transfer:
    """A member arrives with a letter from an org outside the platform: the record opens with 转入."""
    outside_org_name = _text(outside_org_name, "outside_org_name", "转出党组织名称", 120, required=True)
    letter_number = _text(letter_number, "letter_number", "介绍信编号", 60, required=True)
    received_on = _date(received_on, "received_on", "接收日期") or today()
    if member_fields.get("category") not in PARTY_MEMBER_CATEGORIES:
        raise ServiceError("转入的应为党员(预备党员或正式党员)。", field="category")
    member = create_member(
        actor,
        org=org,
        occurred_on=received_on,
        document_number=letter_number,
        initial_event=MemberEventKind.TRANSFERRED_IN,
        event_details={"from": outside_org_name, "letter_number": letter_number},
        **member_fields,
    )
    transfer = Transfer.objects.create(
        member=member,
        direction=TransferDirection.IN,
        to_org=member.org,
        outside_org_name=outside_org_name,
        letter_number=letter_number,
        issued_on=_date(issued_on, "issued_on", "开具日期") or received_on,
        dues_paid_until=_month(dues_paid_until),
        status=TransferStatus.COMPLETED,
        accepted_on=received_on,
        receipt_number=_text(receipt_number, "receipt_number", "回执编号", 60),
        receipt_on=received_on,
        created_by=actor.user,
    )
    audit.record(actor, "transfer.receive_outside", transfer, org=member.org, after=transfer_state(transfer))
    transfer.member = member
    return transfer


# --- mobile members, care -------------------------------------------------------------------------------


@transaction.atomic
def add_contact(
    actor: Actor, member: Member, *, contacted_on: date | None = None, method: str = "", note: str = ""
) -> ContactLog:
    member = Member.objects.select_related("org").get(pk=member.pk)
    require_change(actor, member.org)
    contact = ContactLog.objects.create(
        member=member,
        org=member.org,
        contacted_on=_date(contacted_on, "contacted_on", "联系日期") or today(),
        method=_text(method, "method", "联系方式", 30),
        note=_text(note, "note", "联系内容", 2000, required=True),
        recorded_by=actor.user,
    )
    audit.record(
        actor,
        "member.contact",
        contact,
        org=member.org,
        after={"member_id": member.pk, "contacted_on": contact.contacted_on},
    )
    return contact


@transaction.atomic
def add_care(
    actor: Actor,
    member: Member,
    *,
    kind: str,
    occurred_on: date | None = None,
    given_by: str,
    content: str,
    amount=None,
) -> Care:
    """Record care given (慰问, 帮扶): date, who gave it, what, and the amount in yuan if money was given."""
    member = Member.objects.select_related("org").get(pk=member.pk)
    require_change(actor, member.org, "登记关爱帮扶")
    if amount not in (None, ""):
        try:
            amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        except InvalidOperation as exc:
            raise ServiceError("金额格式不正确。", field="amount") from exc
        if amount < 0:
            raise ServiceError("金额不能为负数。", field="amount")
    else:
        amount = None
    care = Care.objects.create(
        member=member,
        org=member.org,
        kind=_choice(kind, CareKind, "kind", "类型", required=True),
        occurred_on=_date(occurred_on, "occurred_on", "日期") or today(),
        given_by=_text(given_by, "given_by", "慰问(帮扶)人", 120, required=True),
        content=_text(content, "content", "内容", 2000, required=True),
        amount=amount,
        recorded_by=actor.user,
    )
    audit.record(
        actor,
        "member.care",
        care,
        org=member.org,
        after={
            "member_id": member.pk,
            "kind": care.kind,
            "occurred_on": care.occurred_on,
            "amount": care.amount,
        },
    )
    return care


# --- imports --------------------------------------------------------------------------------------------


UNDO_CHUNK = 5000
NAMES_IN_REFUSAL = 5


def _undo_blockers_bulk(ids: list[int]) -> list[str]:
    """Why imported records cannot be taken back, in one query per table: anything that refers to them
    but the import's own creation events and tags (an event, transfer, contact, care, a committee seat or
    party group, or a record of any later module), so that the records can then be deleted directly."""
    blocked: set[int] = set()
    for relation in Member._meta.related_objects:
        referring = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids})
        if relation.related_model is MemberEvent:
            referring = referring.exclude(kind=MemberEventKind.CREATED)
        blocked |= set(referring.order_by().values_list(relation.field.name, flat=True))
    if not blocked:
        return []
    names = list(
        Member.objects.filter(pk__in=sorted(blocked)[:NAMES_IN_REFUSAL]).values_list("name", flat=True)
    )
    more = f"等 {len(blocked)} 人" if len(blocked) > len(names) else ""
    return [f"“{'”、“'.join(names)}”{more}导入后已有其他记录(事项、转接、联系、关爱、班子、党小组等)"]


@transaction.atomic
def remove_imported_members(actor: Actor, ids: list[int], *, audited_as) -> None:
    """Take back the records an import created by mistake (nothing real happened; the audit log keeps it).

    Checked and deleted a chunk at a time with set-based queries, one audit entry per chunk naming the
    ids (the import's own entry and its encrypted file keep what the records held); ``audited_as`` is the
    object the entries are about (the import batch). All or nothing: a record that anything refers to
    refuses the whole undo, checked for every chunk before the first is deleted.
    """
    chunks = [ids[start : start + UNDO_CHUNK] for start in range(0, len(ids), UNDO_CHUNK)]
    for chunk in chunks:
        reasons = _undo_blockers_bulk(chunk)
        if reasons:
            raise ConflictError(f"不能撤销本批导入:{';'.join(reasons)}。")
    for chunk in chunks:
        org_ids = set(
            Member.objects.filter(pk__in=chunk).order_by().values_list("org_id", flat=True).distinct()
        )
        orgs = list(Org.objects.filter(pk__in=org_ids))
        for org in orgs:
            require_change(actor, org, "撤销导入")
        try:
            with transaction.atomic():
                MemberEvent.objects.filter(member_id__in=chunk).delete()
                Member.tags.through.objects.filter(member_id__in=chunk).delete()
                delete_rows(Member, chunk)
                members_changed(*org_ids)
        except IntegrityError as exc:
            # Something referred to a record after the check above (another user, at the same moment).
            raise ConflictError("不能撤销本批导入:部分党员刚被其他记录引用,请稍后重试。") from exc
        if orgs:
            audit.record(
                actor,
                "member.import_undo",
                audited_as,
                org=_common_org(orgs),
                before={"count": len(chunk), "org_ids": sorted(org_ids), "member_ids": chunk},
            )


def take_back_path_events(
    actor: Actor, member: Member, event_ids: list[int], *, category: str, applied_on: date | None
) -> Member:
    """Take back path events another app recorded by mistake (a recruitment import undone: 确定为入党积极分子
    and the like) and put the person back where they stood before them.

    Only for an undo of records nobody acted on since (the caller has checked that); the events go, the
    category and 申请入党日期 return to ``category`` / ``applied_on``. The caller's audit entry names the
    events; the member's counts are brought up to date in the same transaction."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    require_change(actor, member.org, "撤销导入")
    foreign = set(event_ids) - set(
        MemberEvent.objects.filter(member=member, pk__in=event_ids).values_list("pk", flat=True)
    )
    if foreign:
        raise ServiceError(f"要撤销的纪实事项不属于“{member.name}”。")
    MemberEvent.objects.filter(pk__in=event_ids).delete()
    member.category = _choice(category, Category, "category", "人员类别", required=True)
    member.applied_on = applied_on
    member.save(update_fields=["category", "applied_on", "updated_at"])
    members_changed(member.org_id)
    return member


# --- who follows changes of member records (registered in other apps' ready()) --------------------------
#
#   register_change_hook(fn)   fn(org_ids, new_member_ids) runs inside the transaction of every write
#                              that may change what is counted at those orgs (reports' per-org roll-ups);
#                              new_member_ids is given when the write only added these new records.

ChangeHook = Callable[[set[int], list[int] | None], None]
_change_hooks: list[ChangeHook] = []


def register_change_hook(hook: ChangeHook) -> ChangeHook:
    if hook not in _change_hooks:
        _change_hooks.append(hook)
    return hook


@dataclass
class _PendingChanges:
    """What the writes inside ``bulk_changes`` told the hooks, held until the block ends."""

    changed_orgs: set[int] = field(default_factory=set)
    created_orgs: set[int] = field(default_factory=set)
    created_ids: list[int] = field(default_factory=list)


_pending: contextvars.ContextVar[_PendingChanges | None] = contextvars.ContextVar("pending", default=None)


def members_changed(*org_ids, new_member_ids: list[int] | None = None) -> None:
    """Tell the hooks which orgs' members were created, changed, moved or removed (inside the write)."""
    changed = {pk for pk in org_ids if pk}
    pending = _pending.get()
    if pending is not None:
        if new_member_ids is None:
            pending.changed_orgs |= changed
        else:
            pending.created_orgs |= changed
            pending.created_ids += new_member_ids
        return
    for hook in _change_hooks:
        hook(changed, new_member_ids)


@contextlib.contextmanager
def bulk_changes():
    """Tell the hooks once, when the block ends, instead of once per write: for an import, whose
    thousands of records go in chunks and rows inside one transaction (the statistics roll-ups then add
    a 100,000-row import's counts to each org once, not once per 5,000-row chunk: bench/README.md).

    Use it inside the transaction of the writes: the hooks run at the end of the block, still inside it.
    The records created are told first, then the orgs whose records changed otherwise, so a hook that
    recounts those orgs from the records (reports.rollups.recount) has the last word on them; an id or
    org told by a write rolled back since (a row's savepoint) is harmless, as the hooks read the records
    as they now stand. Nested blocks tell the hooks when the outermost ends; an error leaves the block
    without telling them (the transaction is being rolled back)."""
    if _pending.get() is not None:
        yield
        return
    pending = _PendingChanges()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if pending.created_ids:
        members_changed(*pending.created_orgs, new_member_ids=pending.created_ids)
    if pending.changed_orgs:
        members_changed(*pending.changed_orgs)


# --- what the org module asks of members (registered in apps.py) ----------------------------------------


def member_counts(org_ids: list[int]) -> dict[int, MemberCounts]:
    """Full and probationary members on each org's roll, for the org rules (branch size, committee needed).

    Suspended members (停止党籍) do not count; members in transit still count for the sender.
    """
    rows = (
        Member.objects.on_roll()
        .filter(org_id__in=org_ids, category__in=PARTY_MEMBER_CATEGORIES)
        .exclude(status=Status.SUSPENDED)
        .order_by()
        .values_list("org_id", "category")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {}
    for org_id, category, n in rows:
        counts.setdefault(org_id, {})[category] = n
    return {
        org_id: MemberCounts(full=by.get(Category.FULL, 0), probationary=by.get(Category.PROBATIONARY, 0))
        for org_id, by in counts.items()
    }


def members_left_in(org: Org) -> str | None:
    """Why an org cannot be dissolved while people's records are still kept there."""
    remaining = Member.objects.on_roll().filter(org=org).count()
    if remaining:
        return f"还有{remaining}人(党员及入党申请人等)的组织关系在“{org.name}”,请先转接或随合并转入。"
    return None


def move_members_on_merge(actor: Actor, absorbed: Org, surviving: Org, occurred_on: date) -> None:
    """A merge takes every record on the absorbed org's roll to the surviving org, each with a dated event.

    Runs inside the merge's transaction; one audit entry names how many records moved.
    """
    moving = list(Member.objects.on_roll().filter(org=absorbed).select_for_update())
    if not moving:
        return
    details = {"from_org": absorbed.name, "to_org": surviving.name, "reason": "党组织合并"}
    Member.objects.filter(pk__in=[m.pk for m in moving]).update(org=surviving)
    members_changed(absorbed.pk, surviving.pk)
    MemberEvent.objects.bulk_create(
        MemberEvent(
            member=member,
            org=surviving,
            kind=MemberEventKind.CHANGED,
            occurred_on=occurred_on,
            recorded_by=actor.user,
            details=details,
            note=f"因“{absorbed.name}”并入“{surviving.name}”,组织关系随之转入。",
        )
        for member in moving
    )
    audit.record(
        actor,
        "member.merge_move",
        surviving,
        org=surviving,
        after={"from_org_id": absorbed.pk, "to_org_id": surviving.pk, "members": len(moving)},
    )


# --- login links ----------------------------------------------------------------------------------------


def member_of(user) -> Member | None:
    """The member record whose own login ``user`` is (a link in force), or None: every "my …" page asks this."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    link = MemberLogin.objects.current().select_related("member__org").filter(user=user).first()
    return link.member if link else None


@transaction.atomic
def link_login(actor: Actor, user, member: Member) -> MemberLogin:
    """Tie a login to the member's record, so the member sees their own meetings, dues and record."""
    require_change(actor, member.org, "关联党员账号")
    if not member.on_roll:
        raise ServiceError(f"“{member.name}”已离册,不能关联账号。", field="member")
    if not user.is_active:
        raise ServiceError(f"账号“{user.get_username()}”已停用。", field="username")
    # Only an account already given a role at the member's org: a secretary cannot take over another login.
    if not user.role_assignments.active().filter(org=member.org).exists():
        raise ServiceError(
            f"账号“{user.get_username()}”在“{member.org.name}”没有角色,请先由安全管理员授权。",
            field="username",
        )
    current = MemberLogin.objects.current()
    if current.filter(user=user).exists():
        raise ConflictError(f"账号“{user.get_username()}”已关联其他党员,请先解除原关联。", field="username")
    if current.filter(member=member).exists():
        raise ConflictError(f"党员“{member.name}”已关联其他账号,请先解除原关联。", field="member")
    try:
        with transaction.atomic():
            link = MemberLogin.objects.create(user=user, member=member)
    except IntegrityError as error:  # a concurrent link won the race
        raise ConflictError("该账号或该党员已关联。") from error
    audit.record(
        actor, "members.link_login", link, org=member.org, after={"user": user.pk, "member": member.pk}
    )
    return link


@transaction.atomic
def unlink_login(actor: Actor, link: MemberLogin) -> MemberLogin:
    """End a link (the member changed account, left, or it was a mistake): dated, the row stays as history."""
    link = MemberLogin.objects.select_for_update().select_related("member__org", "user").get(pk=link.pk)
    require_change(actor, link.member.org, "解除党员账号关联")
    if link.ended_at is not None:
        raise ConflictError("该关联已解除。")
    link.ended_at = timezone.now()
    link.save(update_fields=["ended_at"])
    audit.record(
        actor,
        "members.unlink_login",
        link,
        org=link.member.org,
        before={"user": link.user_id, "member": link.member_id},
        after={"ended_at": link.ended_at},
    )
    return link
