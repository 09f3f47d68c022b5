"""Importing members from Excel: new records (``members``) and updates of existing ones (``members_update``).

Both use the headers of the export, so an export (with full information) can be corrected and imported
again. Each row goes through ``services.create_member`` or ``services.update_member``: the same ID
number, date and scope checks as the pages, and an audit entry per record. An org code outside the
user's scope gets the same message as an unknown one, and a duplicate ID number held elsewhere is
refused without naming its holder.

New records (``members``) go through the framework's batch path: a chunk of rows is checked with the
same functions as ``services.create_member`` (``services.check_member_data``) with the chunk's org codes
resolved in one query and its ID numbers looked up in one query on the blind index; the valid rows are
then sealed in Python and written by ``services.create_members_bulk`` (COPY on PostgreSQL), with their
events and tags, and one audit entry per chunk naming the count and the ids. Updates stay row by row.
"""

import functools
import re

from dangjian.core.access import CHANGE
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.importing import Column, Importer, cell_text, parse_date, register
from dangjian.members import protected, rules, services
from dangjian.members.models import Category, Education, Member, Occupation, Sex, Status
from dangjian.orgs.models import Org

TAG_SEPARATORS = re.compile(r"[、,,;;\s]+")


def labels(choices) -> str:
    return "、".join(choices.labels)


COLUMNS = [
    Column("姓名", "name", required=True),
    Column(
        "公民身份号码",
        "id_number",
        required=True,
        help="18位;15位旧号码自动升位",
        aliases=("身份证号", "身份证号码"),
    ),
    Column("性别", "sex", help="男、女;空则按身份证号"),
    Column("民族", "ethnicity", help="空为汉族"),
    Column("出生日期", "birth_date", help="空则按身份证号;填写则须与号码一致"),
    Column("籍贯", "native_place"),
    Column("学历", "education", help=f"填:{labels(Education)}"),
    Column("职业", "occupation", help=f"填:{labels(Occupation)}"),
    Column("工作单位", "work_unit"),
    Column("职务", "post", aliases=("职务(岗位)", "岗位")),
    Column("联系电话", "phone", aliases=("电话", "手机号码", "手机")),
    Column("家庭住址", "address", aliases=("住址",)),
    Column("人员类别", "category", required=True, help=f"填:{labels(Category)}", aliases=("类别",)),
    Column("党员状态", "status", help="正常、出国(境)、失联、流动、停止党籍;空为正常", aliases=("状态",)),
    Column(
        "所在党组织编码",
        "org",
        required=True,
        help="本人有权管理的党组织的组织编码",
        aliases=("党组织编码", "组织编码"),
    ),
    Column("所在党组织", "org_name", help="仅供核对,导入以组织编码为准"),
    Column("申请入党日期", "applied_on", help="入党申请人须填;申请时须年满18周岁"),
    Column("入党日期", "joined_on", help="预备党员、正式党员必填"),
    Column("转正日期", "converted_on", help="正式党员必填,不早于入党满一年"),
    Column("台账标签", "tags", help="多个用顿号分隔,如:老党员、困难党员", aliases=("标签", "台账")),
]


@functools.cache
def _by_label(choices) -> dict[str, str]:
    return {label: value for value, label in choices.choices}


def choice_value(text: str, choices) -> str:
    """The code name for a Chinese label (as ``orgs.importers.choice_value``), the table built once."""
    return _by_label(choices).get(text, text)


def split_tags(text: str) -> list[str]:
    return [part for part in TAG_SEPARATORS.split(text) if part]


class MemberRows(Importer):
    """What both member importers share: reading a row's cells into service arguments."""

    columns = COLUMNS

    def new_context(self, actor: Actor) -> dict:
        return {"orgs": {}, "seen": {}}

    def writing(self, actor: Actor, context: dict):
        # The statistics roll-ups take the whole import's records once, at its end (same transaction).
        return services.bulk_changes()

    def find_org(self, actor: Actor, code: str, context: dict) -> Org:
        if not code:
            raise ServiceError("所在党组织编码不能为空。", field="org")
        if code not in context["orgs"]:
            orgs = Org.objects.all() if actor.is_system else Org.objects.visible_to(actor.user, CHANGE)
            context["orgs"][code] = orgs.filter(code=code).first()
        org = context["orgs"][code]
        if org is None:
            raise ServiceError(f"所在党组织编码“{code}”对应的党组织不存在或无权操作。", field="org")
        return org

    def identity(self, row: dict, context: dict) -> str:
        """The number of the row, refused when it is invalid or repeats an earlier row (by its 18-digit form).

        The parsed number and its blind index are kept in ``context["parsed"]`` for the checks that follow,
        so a row's number is parsed and indexed once."""
        parsed = rules.parse_id_number(row.get("id_number"), context.get("today"))
        number, findings = parsed
        services.raise_blocking(findings, "id_number")
        index = protected.id_index(number.value)
        earlier = context["seen"].get(index)
        if earlier is not None:
            raise ServiceError(f"公民身份号码与本文件中前面“{earlier}”的一行重复。", field="id_number")
        context["seen"][index] = cell_text(row.get("name")) or number.value[:6]
        context["parsed"] = (parsed, index)
        # The number as written goes on to the service, which converts a 15-digit one with its warning.
        return cell_text(row.get("id_number"))

    def profile(self, row: dict) -> dict:
        """The profile columns that hold a value (an empty cell means: not given)."""
        values = {
            "name": cell_text(row.get("name")),
            "sex": choice_value(cell_text(row.get("sex")), Sex),
            "ethnicity": cell_text(row.get("ethnicity")),
            "birth_date": parse_date(row.get("birth_date"), "birth_date", "出生日期"),
            "native_place": cell_text(row.get("native_place")),
            "education": choice_value(cell_text(row.get("education")), Education),
            "occupation": choice_value(cell_text(row.get("occupation")), Occupation),
            "work_unit": cell_text(row.get("work_unit")),
            "post": cell_text(row.get("post")),
            "phone": cell_text(row.get("phone")),
            "address": cell_text(row.get("address")),
        }
        tags = cell_text(row.get("tags"))
        if tags:
            values["tags"] = split_tags(tags)
        return {k: v for k, v in values.items() if v not in ("", None)}

    def objects(self, ids: list[int]) -> list[Member]:
        by_id = Member.objects.in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]


@register
class MemberImporter(MemberRows):
    kind = "members"
    label = "党员"
    analyze_tables = ("members_member", "members_memberevent")
    upload_url_name = "members_io:import"
    template_url_name = "members_io:template"

    def new_context(self, actor: Actor) -> dict:
        return {**super().new_context(actor), "tags": services.tag_table(), "today": services.today()}

    def load_orgs(self, actor: Actor, rows: list, context: dict) -> None:
        """The chunk's org codes not seen yet, in one query (unknown and out-of-scope codes → None)."""
        codes = {cell_text(row.values.get("org")) for row in rows} - context["orgs"].keys() - {""}
        if codes:
            orgs = Org.objects.all() if actor.is_system else Org.objects.visible_to(actor.user, CHANGE)
            found = {org.code: org for org in orgs.filter(code__in=codes)}
            context["orgs"].update({code: found.get(code) for code in codes})

    def check_row(self, actor: Actor, values: dict, context: dict) -> services.CheckedMember:
        """Every check of ``create_member`` but the one that needs the database (the ID number's holder)."""
        cleaned = self.validate_row(actor, values, context)
        org = cleaned.pop("org")
        services.require_change(actor, org)
        if not org.is_active:
            raise ServiceError(f"“{org.name}”已撤销,不能在其下登记党员。", field="org")
        parsed, index = context.pop("parsed")
        return services.check_member_data(org, cleaned, context["tags"], context["today"], parsed, index)

    def validate_batch(self, actor: Actor, rows: list, context: dict) -> list:
        self.load_orgs(actor, rows, context)
        outcomes = []
        for row in rows:
            try:
                outcomes.append(self.check_row(actor, row.values, context))
            except ServiceError as error:
                outcomes.append(error)
        indexes = [o.id_index for o in outcomes if isinstance(o, services.CheckedMember)]
        clashes = services.id_number_clashes(actor, indexes) if indexes else {}
        if clashes:
            for position, outcome in enumerate(outcomes):
                if isinstance(outcome, services.CheckedMember):
                    outcomes[position] = clashes.get(outcome.id_index, outcome)
        return outcomes

    def create_batch(self, actor: Actor, items: list, context: dict) -> list[tuple]:
        ids = services.create_members_bulk(
            actor, [checked for _, checked in items], audited_as=context["batch"]
        )
        return [(number, "members.member", pk) for (number, _), pk in zip(items, ids, strict=True)]

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        id_number = self.identity(row, context)
        category = cell_text(row.get("category"))
        if not category:
            raise ServiceError("人员类别不能为空。", field="category")
        return {
            **self.profile(row),
            "name": cell_text(row.get("name")),
            "id_number": id_number,
            "category": choice_value(category, Category),
            "status": choice_value(cell_text(row.get("status")), Status) or Status.NORMAL,
            "org": self.find_org(actor, cell_text(row.get("org")), context),
            "applied_on": parse_date(row.get("applied_on"), "applied_on", "申请入党日期"),
            "joined_on": parse_date(row.get("joined_on"), "joined_on", "入党日期"),
            "converted_on": parse_date(row.get("converted_on"), "converted_on", "转正日期"),
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> Member:
        return services.create_member(actor, **cleaned)

    def take_back(self, actor: Actor, ids: list[int], batch) -> None:
        services.remove_imported_members(actor, ids, audited_as=batch)

    def template_notes(self) -> list[str]:
        return [
            "每人一行;公民身份号码在全系统唯一,已登记的号码不能再次导入(修改已有党员请用“党员信息更新”导入)。",
            "出生日期和性别可不填,由身份证号得出;填写的须与号码一致。",
            "正式党员须有入党日期和转正日期,转正日期不早于入党满一年;预备党员须有入党日期。",
            "入党申请人申请时须年满18周岁。",
            "表头带 * 的列必须有;第一行可以是标题,系统从含表头的那一行开始读。",
        ]


@register
class MemberUpdateImporter(MemberRows):
    """Updates the particulars of members already on record, found by ID number.

    Category, status, org and the path dates change only through events and transfers, so those columns
    are read (an export re-imports as it is) but not applied.
    """

    kind = "members_update"
    label = "党员信息更新"
    upload_url_name = "members_io:update"
    template_url_name = "members_io:template"
    columns = [Column(c.header, c.field, c.field == "id_number", c.help, c.aliases) for c in COLUMNS]

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        id_number = self.identity(row, context)
        scope = Member.objects.all() if actor.is_system else Member.objects.visible_to(actor.user, CHANGE)
        member = services.find_by_id_number(scope.on_roll(), id_number).first()
        if member is None:
            raise ServiceError("未找到该公民身份号码的在册党员,或您无权修改。", field="id_number")
        changes = self.profile(row)
        changes.pop("sex", None)
        changes.pop("birth_date", None)
        return {"member": member, "changes": changes}

    def create(self, actor: Actor, cleaned: dict, context: dict) -> Member:
        return services.update_member(actor, cleaned["member"], **cleaned["changes"])

    def undo_blockers(self, objs: list[Member]) -> list[str]:
        # Undo removes what a batch created; an update created nothing, and removing would lose the records.
        return ["信息更新批次不能撤销,如有错误请改正后再次导入"]

    def remove(self, actor: Actor, obj: Member) -> None:
        raise ServiceError("信息更新批次不能撤销。")

    def template_notes(self) -> list[str]:
        return [
            "按公民身份号码找到已登记的在册党员,更新其姓名、民族、籍贯、学历、职业、工作单位、职务、电话、住址和台账标签。",
            "空白单元格表示不修改。人员类别、状态、所在党组织和入党、转正日期不在此修改(请登记事项或办理转接)。",
        ]
