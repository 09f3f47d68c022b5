"""Importing people already on the path: the same checks as the pages, row by row; the category follows."""

from datetime import date

import pytest

from dangjian.core import importing
from dangjian.members.protected import reveal
from dangjian.recruitment.importers import RecruitmentImporter
from dangjian.recruitment.models import Recruitment

pytestmark = pytest.mark.django_db

HEADER = "姓名,公民身份号码,递交入党申请书日期,谈话日期,确定入党积极分子日期,报上级党委备案日期,指定培养联系人日期,培养教育考察开始日期,培养联系人"


def csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def test_import_checks_every_row_and_commits_the_valid_ones(
    tree, people, sponsors, county_admin, actor_for, frozen_today
):
    good = people(category="applicant", name="钱积极", applied_on=date(2023, 1, 5))
    late = people(category="applicant", name="孙倒序", applied_on=date(2023, 1, 5))
    other = people(tree["branch_b"], "applicant", name="乙方申请人", applied_on=date(2023, 1, 5))
    ids = {m.pk: reveal(m, "id_number") for m in (good, late, other)}
    content = csv(
        f"钱积极,{ids[good.pk]},2023-01-05,2023-01-20,2023-03-10,2023-03-15,2023-03-20,2023-04-01,介绍人甲",
        f"孙倒序,{ids[late.pk]},2023-01-05,2023-01-04,,,,,",
        f"乙方申请人,{ids[other.pk]},2023-01-05,,,,,,",
        f"钱积极,{ids[good.pk]},2023-01-05,,,,2023-03-20,,",
    )
    actor = actor_for(county_admin, "import")
    batch = importing.preview(RecruitmentImporter(), actor, "发展党员.csv", content)
    errors = {e["row"]: e["message"] for e in batch.errors}
    assert "不能早于第1步" in errors[3]
    assert "未找到该公民身份号码" in errors[4]  # 乙社区党支部 is outside the county admin's scope
    assert 5 in errors  # same person twice: the second row meets the case opened by the first
    assert not Recruitment.objects.exists()
    importing.commit(actor, batch)
    case = Recruitment.objects.get(member=good)
    good.refresh_from_db()
    assert case.last_step == 6 and good.category == "activist"
    assert case.sponsorships.get().person.name == "介绍人甲"
