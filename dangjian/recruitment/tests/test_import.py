"""Importing people already on the path: the same checks as the pages, row by row; the category follows."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.core import importing
from dangjian.core.errors import ConflictError
from dangjian.core.models import AuditEntry
from dangjian.members.models import MemberEvent
from dangjian.members.protected import reveal
from dangjian.recruitment import services
from dangjian.recruitment.importers import RecruitmentImporter
from dangjian.recruitment.models import Recruitment, Sponsorship, Step

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


def import_two(people, county_admin, actor_for):
    first = people(category="applicant", name="周撤销", applied_on=date(2023, 1, 1))
    second = people(category="applicant", name="吴撤销", applied_on=date(2023, 1, 5))
    content = csv(
        f"周撤销,{reveal(first, 'id_number')},2023-01-05,2023-01-20,2023-03-10,2023-03-15,2023-03-20,,介绍人甲",
        f"吴撤销,{reveal(second, 'id_number')},2023-01-05,2023-01-20,,,,,",
    )
    actor = actor_for(county_admin, "import")
    batch = importing.commit(actor, importing.preview(RecruitmentImporter(), actor, "发展党员.csv", content))
    return batch, first, second


def later():
    return time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def test_an_import_is_undone_while_nothing_was_recorded_after_it(
    tree, people, sponsors, county_admin, actor_for, frozen_today
):
    batch, first, second = import_two(people, county_admin, actor_for)
    first.refresh_from_db()
    assert first.category == "activist" and first.applied_on == date(2023, 1, 5)
    assert MemberEvent.objects.filter(member=first, kind="activist_confirmed").exists()
    with later():
        importing.undo(actor_for(county_admin), batch)
    batch.refresh_from_db()
    assert batch.status == "undone"
    assert not Recruitment.objects.exists() and not Step.objects.exists() and not Sponsorship.objects.exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.category == "applicant" and first.applied_on == date(2023, 1, 1)  # the former date is back
    assert second.category == "applicant" and second.applied_on == date(2023, 1, 5)
    assert not MemberEvent.objects.filter(member=first, kind="activist_confirmed").exists()
    entries = AuditEntry.objects.filter(action="recruitment.import_undo")
    assert entries.count() == 2 and all(e.before["batch_id"] == batch.pk for e in entries)


def test_an_import_with_a_later_record_is_not_undone(
    tree, people, sponsors, county_admin, actor_for, frozen_today
):
    batch, first, second = import_two(people, county_admin, actor_for)
    case = Recruitment.objects.get(member=first)
    with later():
        services.add_assessment(
            actor_for(county_admin), case, assessed_on=date(2023, 9, 1), conclusion="表现好"
        )
        with pytest.raises(ConflictError, match="“周撤销”导入后已有积极分子考察记录"):
            importing.undo(actor_for(county_admin), batch)
    first.refresh_from_db()
    assert first.category == "activist" and Recruitment.objects.count() == 2
    batch.refresh_from_db()
    assert batch.status == "committed"


def test_a_step_recorded_after_the_import_blocks_the_undo(
    tree, people, sponsors, county_admin, actor_for, frozen_today
):
    batch, first, second = import_two(people, county_admin, actor_for)
    case = Recruitment.objects.get(member=second)
    with later():
        services.record_step(actor_for(county_admin), case, 3, occurred_on=date(2023, 3, 10))
        with pytest.raises(ConflictError, match="“吴撤销”导入后又登记了步骤"):
            importing.undo(actor_for(county_admin), batch)
    assert Step.objects.filter(recruitment=case).count() == 3


def test_an_ended_case_blocks_the_undo(tree, people, sponsors, county_admin, actor_for, frozen_today):
    batch, first, second = import_two(people, county_admin, actor_for)
    case = Recruitment.objects.get(member=second)
    with later():
        services.end_case(actor_for(county_admin), case, ended_on=date(2026, 3, 1), reason="本人撤回申请")
        with pytest.raises(ConflictError, match="已终止"):
            importing.undo(actor_for(county_admin), batch)


def test_path_events_of_another_member_are_not_taken_back(
    tree, people, county_admin, actor_for, frozen_today
):
    from dangjian.core.errors import ServiceError
    from dangjian.members import services as member_services

    first = people(category="applicant", name="甲申请人", applied_on=date(2023, 1, 1))
    second = people(category="applicant", name="乙申请人", applied_on=date(2023, 1, 1))
    foreign = MemberEvent.objects.filter(member=second).values_list("pk", flat=True)[:1]
    with pytest.raises(ServiceError, match="不属于“甲申请人”"):
        member_services.take_back_path_events(
            actor_for(county_admin), first, list(foreign), category="applicant", applied_on=None
        )
    assert MemberEvent.objects.filter(pk__in=list(foreign)).exists()
