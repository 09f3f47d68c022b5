"""Importing people already on the path (``recruitment``): applicants and activists with their dates.

Each row names a person whose record already exists (an applicant, imported with the member import or
entered on the member pages) by ID number, and the dates of the steps already done, from step 1 to at
most step 6. The row goes through ``services.open_case`` and ``services.record_step`` step by step: the
same checks as the pages (age, order, dates, mentors, temporary branches) and the same member events
(确定为入党积极分子 changes the category), each with its audit entry.

A committed batch can be undone while nothing was recorded on its cases after the import (no later step,
assessment, vote or member event): ``take_back`` calls ``services.take_back_imported_cases``, which
removes the cases, their steps and mentors and the member events the steps wrote, and puts each person
back as an applicant. Otherwise it is refused with the reasons; a wrong case is then ended with “终止发展”.
"""

import contextlib
import re

from dangjian.core.access import CHANGE
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.importing import Column, Importer, cell_text, parse_date, register
from dangjian.members import services as member_services
from dangjian.members.models import Category, Member
from dangjian.recruitment import services
from dangjian.recruitment.models import Recruitment, StepKind

NAME_SEPARATORS = re.compile(r"[、,,;;\s]+")
# (field, header, step) of the dated steps a row may carry, in order.
STEP_COLUMNS = (
    ("applied_on", "递交入党申请书日期", StepKind.APPLICATION),
    ("talk_on", "谈话日期", StepKind.TALK),
    ("activist_on", "确定入党积极分子日期", StepKind.ACTIVIST_RECOMMENDED),
    ("activist_filed_on", "报上级党委备案日期", StepKind.ACTIVIST_FILED),
    ("mentors_on", "指定培养联系人日期", StepKind.MENTORS_ASSIGNED),
    ("training_on", "培养教育考察开始日期", StepKind.TRAINING),
)


@register
class RecruitmentImporter(Importer):
    kind = "recruitment"
    label = "发展党员(入党申请人、积极分子)"
    upload_url_name = "recruitment:import"
    template_url_name = "recruitment:import_template"
    columns = [
        Column("姓名", "name", required=True, help="须与档案一致"),
        Column("公民身份号码", "id_number", required=True, aliases=("身份证号", "身份证号码")),
        *(Column(header, field_name, field_name == "applied_on") for field_name, header, _ in STEP_COLUMNS),
        Column(
            "培养联系人",
            "mentors",
            help="本支部正式党员姓名,1至2名,用顿号分隔;填写了“指定培养联系人日期”时必填",
        ),
        Column("文号", "document_number", help="可选,用于各步骤"),
    ]

    @contextlib.contextmanager
    def writing(self, actor: Actor, context: dict):
        # A step that changes a person's category recounts their org's roll-ups, and each case's kept
        # development figures are added up the tree: once per import, not once per row and step.
        with member_services.bulk_changes(), services.counting_cases():
            yield

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        name = cell_text(row.get("name"))
        scope = Member.objects.all() if actor.is_system else Member.objects.visible_to(actor.user, CHANGE)
        member = member_services.find_by_id_number(scope.on_roll(), cell_text(row.get("id_number"))).first()
        if member is None:
            raise ServiceError(
                "未找到该公民身份号码的在册人员,或您无权办理;请先导入其党员档案。", field="id_number"
            )
        if name and name != member.name:
            raise ServiceError(f"姓名与档案不符(档案中为“{member.name}”)。", field="name")
        if member.category != Category.APPLICANT:
            raise ServiceError(
                f"“{member.name}”现为{member.get_category_display()},应为入党申请人。", field="id_number"
            )
        if Recruitment.objects.filter(member=member).exists():
            raise ServiceError(f"“{member.name}”已有发展党员纪实。", field="id_number")
        dates = {}
        for field_name, header, number in STEP_COLUMNS:
            day = parse_date(row.get(field_name), field_name, header)
            if day is not None:
                dates[number] = day
        if StepKind.APPLICATION not in dates:
            raise ServiceError("递交入党申请书日期不能为空。", field="applied_on")
        mentors = []
        names = [n for n in NAME_SEPARATORS.split(cell_text(row.get("mentors"))) if n]
        for mentor_name in names:
            found = list(
                Member.objects.on_roll().filter(org=member.org, name=mentor_name, category=Category.FULL)[:2]
            )
            if len(found) != 1:
                problem = "没有" if not found else "有重名的"
                raise ServiceError(f"本支部{problem}正式党员“{mentor_name}”。", field="mentors")
            mentors.append(found[0])
        return {
            "member": member,
            "dates": dates,
            "mentors": mentors,
            "document_number": cell_text(row.get("document_number")),
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> Recruitment:
        dates, document = cleaned["dates"], cleaned["document_number"]
        case = services.open_case(
            actor,
            cleaned["member"],
            applied_on=dates[StepKind.APPLICATION],
            document_number=document,
            note="导入",
        )
        for number in sorted(dates):
            if number == StepKind.APPLICATION:
                continue
            services.record_step(
                actor,
                case,
                number,
                occurred_on=dates[number],
                document_number=document,
                note="导入",
                people=cleaned["mentors"] if number == StepKind.MENTORS_ASSIGNED else None,
            )
        return case

    def objects(self, ids: list[int]) -> list[Recruitment]:
        by_id = Recruitment.objects.in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def take_back(self, actor: Actor, ids: list[int], batch) -> None:
        services.take_back_imported_cases(actor, ids, batch)

    def template_notes(self) -> list[str]:
        return [
            "每人一行;人员须已有党员档案(人员类别为入党申请人),以公民身份号码对应。",
            "按步骤顺序填写已办理步骤的日期,后一步的日期不早于前一步;未办理的步骤留空,且其后的步骤也须留空。",
            "申请时须年满18周岁;收到申请1个月内未谈话的会标出警示。",
            "填写“确定入党积极分子日期”后,人员类别自动变为入党积极分子,并记入党员事项。",
            "临时党支部不能发展党员。",
            "导入后尚未在这些纪实上登记任何内容时,可以撤销整批导入(人员恢复为入党申请人)。",
        ]
