"""Importing the org tree from Excel: the columns, and each row through ``services.create_org``.

The parent of each row is named by its code (上级组织编码): an existing org the user may change, or an
org created by a row above (the framework runs rows in order inside one transaction, so it exists).
An unknown code and a code outside the user's scope get the same message: an import must not reveal
which orgs exist elsewhere.
"""

from dangjian.core.access import CHANGE
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.importing import Column, Importer, cell_text, parse_date, register
from dangjian.orgs import services
from dangjian.orgs.models import Org, OrgKind, Sector

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
