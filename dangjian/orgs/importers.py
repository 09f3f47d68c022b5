"""Importing from Excel: the org tree (each row through ``services.create_org``), units and committees.

The parent of each row is named by its code (上级组织编码): an existing org the user may change, or an
org created by a row above (the framework runs rows in order inside one transaction, so it exists).
An unknown code and a code outside the user's scope get the same message: an import must not reveal
which orgs exist elsewhere.
"""

from dangjian.core.access import CHANGE, VIEW
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.importing import Column, Importer, cell_text, parse_date, register
from dangjian.orgs import services
from dangjian.orgs.models import Committee, CommitteeMember, Org, OrgKind, Post, Sector, Unit

KIND_HELP = "、".join(OrgKind.labels)
SECTOR_HELP = "、".join(Sector.labels)

COLUMNS = [
    Column("组织名称", "name", required=True, help="党组织全称,最长120字", aliases=("名称",)),
    Column("简称", "short_name", help="可空,最长60字"),
    Column("组织类别", "kind", required=True, help=f"填:{KIND_HELP}", aliases=("类别",)),
    Column("所属领域", "sector", help=f"填:{SECTOR_HELP};空为“其他”", aliases=("领域",)),
    Column(
        "组织编码",
        "code",
        required=True,
        help="全系统唯一,只能由字母、数字和 - _ . 组成,最长40位",
        aliases=("组织代码",),
    ),
    Column(
        "上级组织编码",
        "parent",
        required=True,
        help="已有党组织的组织编码,或本文件中前面行的组织编码",
        aliases=("上级组织代码",),
    ),
    Column("成立日期", "founded_on", help="如 2024-05-01、2024/5/1、2024年5月1日;空为今天"),
    Column("批准文号", "document_number", help="批准成立的文件文号,可空", aliases=("文号",)),
]


def choice_value(text: str, choices) -> str:
    """The code name for a Chinese label ("党支部" → "branch"); the code name itself is accepted too.

    Anything else is passed on unchanged so that the service refuses it with its own message.
    """
    by_label = {label: value for value, label in choices.choices}
    return by_label.get(text, text)


@register
class OrgImporter(Importer):
    kind = "orgs"
    label = "党组织"
    columns = COLUMNS
    upload_url_name = "org_io:import"
    template_url_name = "org_io:template"

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        kind = cell_text(row["kind"])
        if not kind:
            raise ServiceError("组织类别不能为空。", field="kind")
        return {
            "name": cell_text(row["name"]),
            "short_name": cell_text(row.get("short_name")),
            "kind": choice_value(kind, OrgKind),
            "sector": choice_value(cell_text(row.get("sector")), Sector) or Sector.OTHER,
            "code": cell_text(row["code"]),
            "founded_on": parse_date(row.get("founded_on"), "founded_on", "成立日期"),
            "document_number": cell_text(row.get("document_number")),
            "parent": find_parent(actor, cell_text(row["parent"])),
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> Org:
        return services.create_org(actor, **cleaned)

    def objects(self, ids: list[int]) -> list[Org]:
        by_id = Org.objects.in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def undo_blockers(self, objs: list[Org]) -> list[str]:
        batch_ids = {org.pk for org in objs}
        return [reason for org in objs for reason in services.undo_blockers(org, batch_ids)]

    def remove(self, actor: Actor, obj: Org) -> None:
        services.remove_imported_org(actor, obj)

    def template_notes(self) -> list[str]:
        return [
            f"组织类别可填:{KIND_HELP}。",
            "党支部(含联合、临时党支部)下不能再设党组织;党总支下只能设党支部。",
            "上级组织编码可以是本文件中前面某一行的组织编码:先写上级,再写下级。",
            "表头带 * 的列必须有;第一行可以是标题,系统从含表头的那一行开始读。",
        ]


def find_parent(actor: Actor, code: str) -> Org | None:
    """The org the row goes under, among the orgs this actor may change."""
    if not code:
        if actor.is_system:
            return None  # a setup command creates the top org
        raise ServiceError("上级组织编码不能为空。", field="parent")
    orgs = Org.objects.all() if actor.is_system else Org.objects.visible_to(actor.user, CHANGE)
    parent = orgs.filter(code=code).first()
    if parent is None:
        raise ServiceError(f"上级组织编码“{code}”对应的党组织不存在或无权操作。", field="parent")
    return parent


# --- units ----------------------------------------------------------------------------------------------

YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0", "×", ""}

UNIT_COLUMNS = [
    Column("单位名称", "name", required=True, help="最长120字"),
    Column("统一社会信用代码", "credit_code", help="18位,系统校验校验位;可空", aliases=("信用代码",)),
    Column("所属领域", "sector", help=f"填:{SECTOR_HELP};空为“其他”", aliases=("领域",)),
    Column(
        "是否两新组织",
        "is_new_sector",
        help="是/否;空则按领域(非公企业、社会组织为是)",
        aliases=("两新组织",),
    ),
    Column("从业人员数", "headcount", help="整数,可空"),
    Column(
        "主管党组织编码",
        "responsible_org",
        required=True,
        help="单位所在区域或系统的党组织,须在您的管理范围内",
    ),
    Column("所建党组织编码", "org", help="单位已建立党组织时填写其组织编码;空为未建立"),
    Column("党建入章", "charter_includes_party_building", help="是/否"),
    Column("双向进入交叉任职", "cross_appointment", help="是/否", aliases=("双向进入、交叉任职",)),
    Column("书记由单位负责人担任", "secretary_is_head", help="是/否"),
]


def yes_no(value, field: str, label: str, empty=False):
    text = cell_text(value).strip().lower()
    if text == "":
        return empty
    if text in YES:
        return True
    if text in NO:
        return False
    raise ServiceError(f"{label}应填“是”或“否”,不能填“{cell_text(value)}”。", field=field)


def org_for_import(actor: Actor, code: str, field: str, label: str, action=CHANGE) -> Org:
    """An org named by code among those the actor may see or change; one message for absent or out of scope."""
    orgs = Org.objects.all() if actor.is_system else Org.objects.visible_to(actor.user, action)
    org = orgs.filter(code=code).first()
    if org is None:
        raise ServiceError(f"{label}“{code}”对应的党组织不存在或无权操作。", field=field)
    return org


@register
class UnitImporter(Importer):
    kind = "units"
    label = "单位"
    columns = UNIT_COLUMNS
    upload_url_name = "orgs:unit_import"
    template_url_name = "orgs:unit_template"

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        responsible = cell_text(row["responsible_org"])
        if not responsible:
            raise ServiceError("主管党组织编码不能为空。", field="responsible_org")
        covering = cell_text(row.get("org"))
        sector = choice_value(cell_text(row.get("sector")), Sector) or Sector.OTHER
        headcount = cell_text(row.get("headcount"))
        return {
            "name": cell_text(row["name"]),
            "credit_code": cell_text(row.get("credit_code")),
            "sector": sector,
            "is_new_sector": yes_no(row.get("is_new_sector"), "is_new_sector", "是否两新组织", empty=None),
            "headcount": headcount or None,
            "responsible_org": org_for_import(actor, responsible, "responsible_org", "主管党组织编码"),
            "org": org_for_import(actor, covering, "org", "所建党组织编码", VIEW) if covering else None,
            **{
                field: yes_no(row.get(field), field, header)
                for field, header in (
                    ("charter_includes_party_building", "党建入章"),
                    ("cross_appointment", "双向进入交叉任职"),
                    ("secretary_is_head", "书记由单位负责人担任"),
                )
            },
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> Unit:
        return services.create_unit(actor, **cleaned)

    def objects(self, ids: list[int]) -> list[Unit]:
        by_id = Unit.objects.in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def remove(self, actor: Actor, obj: Unit) -> None:
        services.remove_imported_unit(actor, obj)

    def template_notes(self) -> list[str]:
        return [
            "主管党组织:单位所在区域或系统的党组织(如乡镇党委、教育工委),覆盖率按它统计。",
            "所建党组织:单位已建立的党组织,须是主管党组织本身或其下级;一个联合党支部可覆盖多个单位。",
            "统一社会信用代码18位,按 GB 32100 校验;同一代码只能登记一次。",
        ]


UNIT_IMPORTER = UnitImporter()


# --- committees -----------------------------------------------------------------------------------------

POST_HELP = "、".join(Post.labels)

COMMITTEE_COLUMNS = [
    Column("组织编码", "org", required=True, help="选举的党组织,须在您的管理范围内"),
    Column("选举日期", "elected_on", required=True, help="如 2024-05-01"),
    Column("届次", "number", help="整数,可空"),
    Column("任期届满日期", "ends_on", help="空则按规定任期计算"),
    Column("职务", "post", required=True, help=f"填:{POST_HELP}"),
    Column("姓名", "name", required=True),
    Column("党员档案编号", "member_id", help="可空;填写后姓名以党员档案为准"),
    Column("文号", "document_number", help="选举结果批复文号,可空"),
]


@register
class CommitteeImporter(Importer):
    """One row per post holder; the rows of one org and election date make one committee (班子)."""

    kind = "committees"
    label = "班子成员"
    columns = COMMITTEE_COLUMNS
    upload_url_name = "orgs:committee_import"
    template_url_name = "orgs:committee_template"

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        code = cell_text(row["org"])
        if not code:
            raise ServiceError("组织编码不能为空。", field="org")
        elected_on = parse_date(row["elected_on"], "elected_on", "选举日期")
        if elected_on is None:
            raise ServiceError("选举日期不能为空。", field="elected_on")
        number = cell_text(row.get("number"))
        if number and not number.isdigit():
            raise ServiceError("届次应为整数。", field="number")
        return {
            "org": org_for_import(actor, code, "org", "组织编码"),
            "elected_on": elected_on,
            "number": int(number) if number else None,
            "ends_on": parse_date(row.get("ends_on"), "ends_on", "任期届满日期"),
            "member": {
                "post": choice_value(cell_text(row["post"]), Post),
                "name": cell_text(row["name"]),
                "member_id": services.clean_member_id(cell_text(row.get("member_id")), "member_id"),
            },
            "document_number": cell_text(row.get("document_number")),
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> CommitteeMember:
        org, elected_on = cleaned["org"], cleaned["elected_on"]
        committee = Committee.objects.current().filter(org=org, started_on=elected_on).first()
        if committee is not None:
            return services.add_elected_member(actor, committee, **cleaned["member"])
        committee = services.elect_committee(
            actor,
            org,
            elected_on=elected_on,
            members=[cleaned["member"]],
            number=cleaned["number"],
            ends_on=cleaned["ends_on"],
            document_number=cleaned["document_number"],
        )
        return committee.members.get()

    def objects(self, ids: list[int]) -> list[CommitteeMember]:
        by_id = CommitteeMember.objects.select_related("committee__org").in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def undo_blockers(self, objs: list[CommitteeMember]) -> list[str]:
        return services.committee_undo_blockers(objs)

    def remove(self, actor: Actor, obj: CommitteeMember) -> None:
        services.remove_imported_committee_member(actor, obj)

    def template_notes(self) -> list[str]:
        return [
            "每行一名班子成员;同一组织、同一选举日期的各行组成一届班子,并登记一条“换届选举”事项。",
            f"职务可填:{POST_HELP};一届班子只能有一名书记。",
            "临时党支部不选举,其负责人请在页面上“指定负责人”。",
            "“党员档案编号”可空;填写时须为本组织(党委、党总支为其下级组织)在册的正式党员,姓名以档案为准。",
        ]


COMMITTEE_IMPORTER = CommitteeImporter()
