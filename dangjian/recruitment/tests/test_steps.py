"""The 25 steps through the services: order, boundaries of every rule, category changes, rule sets."""

from datetime import date

import pytest

from dangjian.core.audit import Actor
from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.members import services as member_services
from dangjian.members.models import MemberEvent
from dangjian.orgs import services as org_services
from dangjian.recruitment import rules, services
from dangjian.recruitment.models import CaseStatus, Step, Vote
from dangjian.recruitment.tests.conftest import GOOD_DATES, step_kwargs

pytestmark = pytest.mark.django_db


def record(case, number, on, sponsors, actor=None, **extra):
    kwargs = step_kwargs(number, on, sponsors) | extra
    return services.record_step(actor or Actor.command("test"), case, number, **kwargs)


def test_it_walks_all_25_steps_and_the_category_follows(walk):
    case = walk(25)
    member = case.member
    member.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.last_step == 25
    assert member.category == "full"
    assert member.joined_on == date(2024, 5, 10)
    # 党龄 counts from the end of probation (one year after the meeting), not from the approval (2025-06-01).
    assert member.converted_on == date(2025, 5, 10)
    kinds = set(MemberEvent.objects.filter(member=member).values_list("kind", flat=True))
    assert {"activist_confirmed", "candidate_confirmed", "admitted", "converted"} <= kinds
    assert Step.objects.filter(recruitment=case).count() == 25
    assert Vote.objects.filter(recruitment=case, passed=True).count() == 2
    assert case.sponsorships.filter(role="sponsor").count() == 2


def test_it_refuses_a_step_out_of_order(walk, sponsors):
    case = walk(2)
    with pytest.raises(ServiceError, match="请先登记第3步"):
        record(case, 4, date(2023, 3, 15), sponsors)
    with pytest.raises(ServiceError, match="已登记"):
        record(case, 2, date(2023, 1, 25), sponsors)


@pytest.mark.parametrize("day, allowed", [(date(2023, 1, 19), False), (date(2023, 1, 20), True)])
def test_it_refuses_a_date_before_the_previous_step(walk, sponsors, day, allowed):
    case = walk(2)  # talk on 2023-01-20
    if allowed:
        record(case, 3, day, sponsors)
    else:
        with pytest.raises(ServiceError, match="不能早于第2步.*2023年1月20日"):
            record(case, 3, day, sponsors)


@pytest.mark.parametrize(
    "day, allowed", [(date(2025, 3, 9), False), (date(2025, 3, 10), True), (date(2025, 3, 11), True)]
)
def test_a_candidate_needs_one_year_as_activist(walk, sponsors, day, allowed):
    case = walk(
        6, dates={3: date(2024, 3, 10), 4: date(2024, 3, 11), 5: date(2024, 3, 12), 6: date(2024, 3, 13)}
    )
    if allowed:
        record(case, 7, day, sponsors)
        case.member.refresh_from_db()
        assert case.member.category == "candidate"
    else:
        with pytest.raises(ServiceError, match="最早于2025年3月10日确定为发展对象") as refused:
            record(case, 7, day, sponsors)
        assert refused.value.details["rule"] == "recruitment.activist_one_year"
        assert "第十三条" in refused.value.details["source"]


@pytest.mark.parametrize(
    "birth, allowed", [(date(2005, 1, 6), False), (date(2005, 1, 5), True), (date(2005, 1, 4), True)]
)
def test_an_applicant_is_18_on_the_day_of_application(tree, people, system_actor, birth, allowed):
    # The member record itself allows a later application date; the case's step 1 is checked here.
    member = people(category="applicant", birth_date=birth, applied_on=date(2025, 6, 1))
    if allowed:
        services.open_case(system_actor, member, applied_on=date(2023, 1, 5))
    else:
        with pytest.raises(ServiceError, match="未满18周岁.*最早可于2023年1月6日申请"):
            services.open_case(system_actor, member, applied_on=date(2023, 1, 5))


@pytest.mark.parametrize("day, warned", [(date(2023, 2, 5), False), (date(2023, 2, 6), True)])
def test_a_late_talk_is_recorded_with_a_warning(walk, sponsors, day, warned):
    case = walk(1)  # application 2023-01-05: talk due by 2023-02-05
    step = record(case, 2, day, sponsors)
    assert [f["rule_id"] for f in step.findings] == (["recruitment.talk_within_month"] if warned else [])
    case.refresh_from_db()
    assert case.warning_count == int(warned)


def test_sponsors_are_two_full_members_on_the_step_date(tree, walk, people, sponsors):
    case = walk(8)
    with pytest.raises(ServiceError, match="应为2名正式党员,现选了1名"):
        record(case, 9, GOOD_DATES[9], sponsors, people=sponsors[:1])
    probationary = people(category="probationary", name="预备党员丙", joined_on=date(2024, 1, 1))
    with pytest.raises(ServiceError, match="预备党员丙不能作入党介绍人.*还不是正式党员"):
        record(case, 9, GOOD_DATES[9], sponsors, people=[sponsors[0], probationary])
    # Converted on 2024-03-20: eligible on the step date 2024-03-20, not the day before.
    late = people(name="新转正丁", joined_on=date(2023, 3, 20), converted_on=date(2024, 3, 20))
    with pytest.raises(ServiceError, match="新转正丁.*2024年3月19日时还不是正式党员"):
        record(case, 9, date(2024, 3, 19), sponsors, people=[sponsors[0], late])
    elsewhere = people(tree["branch_b"], name="外支部戊")
    with pytest.raises(ServiceError, match="不是本党组织的党员"):
        record(case, 9, GOOD_DATES[9], sponsors, people=[sponsors[0], elsewhere])
    record(case, 9, date(2024, 3, 20), sponsors, people=[sponsors[0], late])


def test_a_suspended_member_cannot_sponsor(walk, people, sponsors, system_actor):
    case = walk(8)
    suspended = people(name="停止党籍己")
    member_services.record_event(system_actor, suspended, "suspended", occurred_on=date(2024, 1, 1))
    with pytest.raises(ServiceError, match="停止党籍己.*已停止党籍"):
        record(case, 9, GOOD_DATES[9], sponsors, people=[sponsors[0], suspended])


def test_mentors_are_one_or_two(walk, sponsors, people):
    case = walk(4)
    with pytest.raises(ServiceError, match="培养联系人应为1至2名"):
        record(case, 5, GOOD_DATES[5], sponsors, people=[])
    with pytest.raises(ServiceError, match="不能是本人"):
        record(case, 5, GOOD_DATES[5], sponsors, people=[case.member])


def test_political_review_needs_a_written_conclusion(walk, sponsors):
    case = walk(9)
    with pytest.raises(ServiceError, match="请填写审查结论"):
        record(case, 10, GOOD_DATES[10], sponsors, details={})


@pytest.mark.parametrize("days, hours, allowed", [(2, 23, False), (3, 0, True), (0, 24, True), (2, 24, True)])
def test_training_is_three_days_or_24_hours(walk, sponsors, days, hours, allowed):
    case = walk(10)
    details = {"training_days": days, "training_hours": hours}
    if allowed:
        record(case, 11, GOOD_DATES[11], sponsors, details=details)
    else:
        with pytest.raises(ServiceError, match="不少于3天或不少于24学时"):
            record(case, 11, GOOD_DATES[11], sponsors, details=details)


@pytest.mark.parametrize(
    "vote, passes",
    [
        (rules.VoteCount(9, 5, 5, 0, 0), True),
        (rules.VoteCount(10, 6, 5, 1, 0), False),  # 5 yes of 10 who should attend: not more than half
        (rules.VoteCount(10, 5, 5, 0, 0), False),  # 5 present of 10: no quorum
        (rules.VoteCount(10, 6, 6, 0, 0), True),
    ],
)
def test_vote_arithmetic_uses_those_who_should_attend(walk, sponsors, vote, passes):
    case = walk(14)
    if passes:
        record(case, 15, GOOD_DATES[15], sponsors, vote=vote)
        case.member.refresh_from_db()
        assert case.member.category == "probationary"
    else:
        with pytest.raises(ServiceError):
            record(case, 15, GOOD_DATES[15], sponsors, vote=vote)
        case.member.refresh_from_db()
        assert case.member.category == "candidate"
        assert not Vote.objects.exists()


def test_approval_needs_the_upper_talk_first(walk, sponsors):
    case = walk(15)
    with pytest.raises(ServiceError, match="先登记第16步“上级党委派人谈话”"):
        record(case, 17, GOOD_DATES[17], sponsors)


@pytest.mark.parametrize(
    "day, warning",
    [(date(2024, 8, 10), None), (date(2024, 8, 11), "3个月"), (date(2024, 11, 11), "最长不超过6个月")],
)
def test_late_approval_is_warned(walk, sponsors, day, warning):
    case = walk(16)  # meeting 2024-05-10
    step = record(case, 17, day, sponsors)
    messages = [f["message"] for f in step.findings]
    assert (warning is None and not messages) or (warning and warning in messages[0])


@pytest.mark.parametrize("day, allowed", [(date(2025, 5, 9), False), (date(2025, 5, 10), True)])
def test_conversion_is_discussed_when_probation_ends(walk, sponsors, day, allowed):
    case = walk(22, dates={22: date(2025, 4, 1)})
    if allowed:
        record(case, 23, day, sponsors)
    else:
        with pytest.raises(ServiceError, match="至2025年5月10日届满"):
            record(case, 23, day, sponsors)


def test_an_extension_moves_the_end_of_probation(walk, sponsors, system_actor):
    case = walk(21)
    services.extend_probation(system_actor, case, months=6, occurred_on=date(2025, 5, 10))
    record(case, 22, date(2025, 10, 1), sponsors)
    with pytest.raises(ServiceError, match="至2025年11月10日届满"):
        record(case, 23, date(2025, 11, 9), sponsors)
    record(case, 23, date(2025, 11, 10), sponsors)
    record(case, 24, date(2025, 12, 1), sponsors)
    case.member.refresh_from_db()
    assert case.member.converted_on == date(2025, 11, 10)
    with pytest.raises(ServiceError, match="只能延长一次|须在上级党委审批接收之后"):
        services.extend_probation(system_actor, case, months=6, occurred_on=date(2025, 12, 1))


def test_an_extension_of_other_length_is_refused(walk, system_actor):
    case = walk(21)
    with pytest.raises(ServiceError, match="不能少于半年"):
        services.extend_probation(system_actor, case, months=3, occurred_on=date(2025, 5, 10))


def test_a_temporary_branch_cannot_recruit(tree, people, system_actor):
    temporary = org_services.create_org(
        system_actor,
        parent=tree["town_a"],
        name="项目临时党支部",
        kind="temporary_branch",
        code="T1",
        founded_on=date(2022, 1, 1),
        temporary_purpose="修路",
        temporary_until=date(2027, 1, 1),
    )
    member = people(temporary, "applicant")
    with pytest.raises(ServiceError, match="临时党支部不能发展党员") as refused:
        services.open_case(system_actor, member, applied_on=GOOD_DATES[1])
    assert refused.value.details["rule"] == "org.temporary_no_recruitment"


def test_an_outsider_cannot_record_a_step(walk, outsider, actor_for, sponsors):
    case = walk(2)
    with pytest.raises(NotPermitted):
        record(case, 3, GOOD_DATES[3], sponsors, actor=actor_for(outsider))


def test_a_case_opens_only_for_an_applicant(people, system_actor):
    with pytest.raises(ServiceError, match="只有入党申请人"):
        services.open_case(system_actor, people(), applied_on=GOOD_DATES[1])


def test_ending_a_probationary_case_cancels_the_probation(walk, system_actor):
    case = walk(20)
    services.end_case(system_actor, case, ended_on=date(2025, 1, 1), reason="不履行党员义务")
    case.member.refresh_from_db()
    assert case.member.on_roll is False and case.member.exit_reason == "probation_cancelled"
    with pytest.raises(ServiceError, match="已终止"):
        services.end_case(system_actor, case, ended_on=date(2025, 1, 2), reason="再次")


@pytest.mark.parametrize("months, blocked", [(12, False), (24, True)])
def test_a_member_under_probation_check_cannot_sponsor(walk, people, sponsors, system_actor, months, blocked):
    case = walk(8)
    watched = people(name="留党察看庚")
    member_services.record_event(
        system_actor,
        watched,
        "disciplined",
        occurred_on=date(2023, 3, 20),
        details={"discipline": "留党察看", "months": months},
    )
    # 12 months end on 2024-03-20, the step date: still inside; the step a day later is not.
    on = date(2024, 3, 21) if not blocked else GOOD_DATES[9]
    if blocked:
        with pytest.raises(ServiceError, match="留党察看庚.*留党察看期内"):
            record(case, 9, on, sponsors, people=[sponsors[0], watched])
    else:
        record(case, 9, on, sponsors, people=[sponsors[0], watched])
