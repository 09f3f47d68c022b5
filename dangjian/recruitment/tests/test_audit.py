"""The yearly archive audit: everyone admitted in the year, each with every finding of their record."""

from datetime import date

import pytest

from dangjian.members import services as member_services
from dangjian.recruitment import queries
from dangjian.recruitment.models import Step, Vote

pytestmark = pytest.mark.django_db


def test_the_audit_lists_every_admitted_person_with_findings(
    walk, people, tree, dept_admin, outsider, system_actor
):
    clean = walk(25, name="合规人")
    faulty = walk(25, name="违规人")
    # Records that came from old files: the candidate confirmed 11 months after the activist, and a vote
    # without quorum. The services would refuse both; the audit must find them.
    Step.objects.filter(recruitment=faulty, number=7).update(occurred_on=date(2024, 2, 10))
    Vote.objects.filter(recruitment=faulty, kind="admission").update(present=4, yes=4)
    unrecorded = people(category="candidate", name="无纪实人", applied_on=date(2022, 1, 1))
    member_services.record_event(system_actor, unrecorded, "admitted", occurred_on=date(2024, 9, 1))

    rows = {row.member.name: row for row in queries.archive_audit(dept_admin, tree["city"], 2024)}
    assert set(rows) == {"合规人", "违规人", "无纪实人"}
    assert rows["合规人"].findings == []
    found = {f.rule_id: (number, f.message) for number, f in rows["违规人"].findings}
    assert found["recruitment.activist_one_year"][0] == 7
    assert "最早于2024年3月10日" in found["recruitment.activist_one_year"][1]
    assert found["recruitment.vote_quorum"][0] == 15 and "实到4人" in found["recruitment.vote_quorum"][1]
    assert rows["无纪实人"].findings[0][1].rule_id == "recruitment.no_record"
    assert clean.pk and queries.archive_audit(outsider, tree["city"], 2024) == []


def test_the_audit_exports_to_excel(walk, tree, login, dept_admin):
    from dangjian.core.tests.walking import text_of

    case = walk(25, name="导出人")
    Vote.objects.filter(recruitment=case, kind="admission").update(present=4, yes=4)
    response = login(dept_admin).get(f"/recruitment/audit/?within={tree['city'].pk}&year=2024&format=xlsx")
    text = text_of(response)
    assert "导出人" in text and "实到4人" in text
