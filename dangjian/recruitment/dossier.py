"""The Word dossier (全程纪实) of one development case: the person, the 25 steps by stage with their dates,
documents and findings, the votes and the sponsors. Branches print it and edit it in WPS or Word."""

import io

from docx import Document
from docx.shared import Pt

from dangjian.recruitment.models import STAGES, Recruitment, StepKind
from dangjian.recruitment.rules import cn

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _day(value) -> str:
    return cn(value) if value else ""


def build(case: Recruitment, review: list) -> bytes:
    """The dossier as .docx bytes. Protected personal data appears masked, as on screen."""
    member = case.member
    steps = {s.number: s for s in case.steps.all()}
    votes = {v.step_id: v for v in case.votes.filter(step__isnull=False)}
    failed: dict[int, list] = {}
    for v in case.votes.filter(step__isnull=True).order_by("held_on", "pk"):
        failed.setdefault(v.step_number, []).append(v)
    people: dict[int, list[str]] = {}
    for s in case.sponsorships.select_related("person"):
        people.setdefault(s.step_id, []).append(s.person.name)
    findings: dict[int, list[str]] = {}
    for number, finding in review:
        findings.setdefault(number, []).append(f"[{finding.level.label}] {finding.message}({finding.source})")

    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(10.5)
    document.add_heading(f"{member.name}发展党员全程纪实", level=1)
    facts = document.add_table(rows=0, cols=4)
    facts.style = "Table Grid"
    for left, right in (
        (("姓名", member.name), ("性别", member.get_sex_display())),
        (("出生日期", _day(member.birth_date)), ("公民身份号码", member.id_number_masked)),
        (("学历", member.get_education_display()), ("所在党组织", case.org.name)),
        (("人员类别", member.get_category_display()), ("纪实状态", case.get_status_display())),
        (("入党日期", _day(member.joined_on)), ("转正日期", _day(member.converted_on))),
    ):
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = left
        cells[2].text, cells[3].text = right
    for stage, title, numbers in STAGES:
        document.add_heading(f"第{'一二三四五'[stage - 1]}阶段 {title}", level=2)
        table = document.add_table(rows=1, cols=6)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells, ("步骤", "日期", "办理人(单位)", "文号", "情况", "检查结果"), strict=True
        ):
            cell.text = text
        for number in numbers:
            step = steps.get(number)
            cells = table.add_row().cells
            cells[0].text = f"{number}. {StepKind(number).label}"
            if step is None:
                cells[1].text = "未办理"
                continue
            cells[1].text = _day(step.occurred_on)
            cells[2].text = step.done_by
            cells[3].text = step.document_number
            notes = [step.note] if step.note else []
            vote = votes.get(step.pk)
            if vote is not None:
                notes.append(
                    f"应到{vote.should_attend}人,实到{vote.present}人,赞成{vote.yes}票、反对{vote.no}票、"
                    f"弃权{vote.abstain}票,{'通过' if vote.passed else '未通过'}"
                )
            if step.pk in people:
                notes.append("、".join(people[step.pk]))
            details = step.details or {}
            if details.get("conclusion"):
                notes.append(f"结论:{details['conclusion']}")
            if "training_days" in details or "training_hours" in details:
                notes.append(
                    f"培训{details.get('training_days', 0)}天、{details.get('training_hours', 0)}学时"
                )
            if step.attachment_name:
                notes.append(f"附件:{step.attachment_name}")
            cells[4].text = ";".join(notes)
            cells[5].text = "\n".join(findings.get(number, [])) or "无"
        for number in numbers:
            for vote in failed.get(number, []):
                cells = table.add_row().cells
                cells[0].text = f"{number}. 支部党员大会表决(未通过)"
                cells[1].text = _day(vote.held_on)
                cells[4].text = (
                    f"应到{vote.should_attend}人,实到{vote.present}人,赞成{vote.yes}票、反对{vote.no}票、"
                    f"弃权{vote.abstain}票,未通过:{vote.get_failure_reason_display()}"
                )
                cells[5].text = "无"
    assessments = list(case.assessments.all())
    if assessments:
        document.add_heading("入党积极分子考察记录", level=2)
        for a in assessments:
            document.add_paragraph(f"{_day(a.assessed_on)} {a.assessed_by}:{a.conclusion}")
    if case.ended_on:
        document.add_paragraph(f"{_day(case.ended_on)}终止:{case.end_reason}")
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()
