"""The roll-ups of member development: every service that changes what a case counts (opened, a step, a
passed or failed vote, ended, taken back with its import) keeps them equal to the live count; the steps
and votes of a period of whole months are answered from them and any other period live; a viewer of part
of a subtree is counted live; moved orgs take their rows along; rebuild_rollups rebuilds and verifies
them."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from dangjian.core import importing
from dangjian.core.errors import ServiceError
from dangjian.members import services as member_services
from dangjian.members.tests.conftest import id_number
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Org
from dangjian.recruitment import indicators, services
from dangjian.recruitment.models import (
    CaseStageRollup,
    OnPathRollup,
    OnPathSubtreeRollup,
    RecruitmentMonthRollup,
)
from dangjian.recruitment.rules import VoteCount
from dangjian.recruitment.tests.conftest import GOOD_DATES
from dangjian.recruitment.tests.test_import import import_two, later
from dangjian.reports import registry, rollups
from dangjian.reports.registry import Period
from dangjian.reports.tests import helpers

PEOPLE_KEYS = ("recruitment.applicants", "recruitment.activists", "recruitment.candidates")
KEYS = (
    *PEOPLE_KEYS,
    "recruitment.open_cases",
    *(f"recruitment.stage_{number}" for number in range(1, 6)),
    "recruitment.steps",
    "recruitment.applications",
    "recruitment.steps_warned",
    "recruitment.votes",
    "recruitment.votes_failed",
)
SOURCES = [indicators.PEOPLE.key, indicators.CASES.key, indicators.STEPS.key, indicators.VOTES.key]
PERIODS = (
    Period.year(2023),
    Period.year(2024),
    Period(date(2024, 5, 1), date(2024, 5, 31)),
    Period(date(2024, 5, 5), date(2024, 5, 20)),  # not whole months: counted live
)
FAILING_VOTE = VoteCount(should_attend=10, present=5, yes=5, no=0, abstain=0)  # no quorum


def figures(user, org, period=PERIODS[1]) -> tuple[dict, dict]:
    return helpers.figures(user, org, period, KEYS)


def live_figures(user, org, period=PERIODS[1]) -> tuple[dict, dict]:
    return helpers.live_figures(user, org, period, KEYS, SOURCES)


def assert_kept_equals_live(users, orgs, periods=PERIODS):
    assert services.rollup_differences() == []
    for period in periods:
        for user in users:
            for org in orgs:
                assert figures(user, org, period) == live_figures(user, org, period), (user, org, period)


def value(user, org, key, period=PERIODS[1]):
    return figures(user, org, period)[0][key]


@pytest.fixture
def everyone(dept_admin, county_admin, secretary, outsider, stranger):
    return [dept_admin, county_admin, secretary, outsider, stranger]


def test_every_service_keeps_the_rollups(frozen_today, tree, walk, system_actor, everyone, dept_admin):
    city, orgs = tree["city"], list(tree.values())
    late_talk = walk(2, dates={2: date(2023, 2, 6)}, name="甲申请人")  # a warning: talk after a month
    assert value(dept_admin, city, "recruitment.open_cases") == 1
    assert value(dept_admin, city, "recruitment.stage_1") == 1
    assert value(dept_admin, city, "recruitment.steps_warned", PERIODS[0]) == 1
    assert value(dept_admin, city, "recruitment.applications", PERIODS[0]) == 1
    assert_kept_equals_live(everyone, orgs)

    # Taken to the admission meeting (a passing vote); another case in the other county's branch.
    admitted = walk(15, name="乙发展对象")
    walk(4, org=tree["branch_b"], name="乙积极分子")
    assert value(dept_admin, city, "recruitment.stage_4") == 1
    assert value(dept_admin, city, "recruitment.stage_2") == 1
    assert value(dept_admin, city, "recruitment.votes", PERIODS[2]) == 1
    assert value(dept_admin, city, "recruitment.steps", PERIODS[1]) == 9  # steps 7 to 15 in 2024
    assert value(dept_admin, city, "recruitment.steps", PERIODS[0]) == 12  # 2 + 6 + 4 in 2023
    assert value(dept_admin, tree["county_b"], "recruitment.steps", PERIODS[0]) == 4
    assert_kept_equals_live(everyone, orgs)

    # A failed vote is counted and the case stays where it was.
    waiting = walk(14, name="丙发展对象")
    services.record_vote(system_actor, waiting, 15, occurred_on=GOOD_DATES[15], vote=FAILING_VOTE)
    assert value(dept_admin, city, "recruitment.votes_failed", PERIODS[2]) == 1
    assert value(dept_admin, city, "recruitment.votes", PERIODS[2]) == 2
    assert value(dept_admin, city, "recruitment.stage_4") == 2
    assert_kept_equals_live(everyone, orgs)

    # Ended cases leave the open counts; their steps and votes stay counted.
    services.end_case(system_actor, late_talk, ended_on=date(2026, 2, 1), reason="本人撤回申请")
    services.end_case(system_actor, waiting, ended_on=date(2026, 2, 1), reason="调离本单位")
    assert value(dept_admin, city, "recruitment.open_cases") == 2
    assert value(dept_admin, city, "recruitment.stage_1") == 0
    assert value(dept_admin, city, "recruitment.votes_failed", PERIODS[2]) == 1
    assert_kept_equals_live(everyone, orgs)

    # The last step archives the case.
    walk(25, name="丁预备党员")
    assert value(dept_admin, city, "recruitment.open_cases") == 2
    assert value(dept_admin, city, "recruitment.stage_4") == 1  # the one admitted above
    assert_kept_equals_live(everyone, orgs)
    assert admitted.last_step == 15


def test_an_import_taken_back_takes_its_cases_out(
    frozen_today, tree, people, sponsors, county_admin, actor_for, everyone, dept_admin
):
    batch, _, _ = import_two(people, county_admin, actor_for)  # one case to step 6, one to step 2
    assert value(dept_admin, tree["city"], "recruitment.open_cases") == 2
    assert value(dept_admin, tree["city"], "recruitment.stage_2") == 1
    assert value(dept_admin, tree["city"], "recruitment.steps", PERIODS[0]) == 7
    assert_kept_equals_live(everyone, list(tree.values()))
    with later():
        importing.undo(actor_for(county_admin), batch)
    assert value(dept_admin, tree["city"], "recruitment.open_cases") == 0
    assert value(dept_admin, tree["city"], "recruitment.steps", PERIODS[0]) == 0
    assert_kept_equals_live(everyone, list(tree.values()))


def test_a_refused_step_changes_nothing(frozen_today, tree, walk, system_actor, dept_admin):
    case = walk(2)
    before = sorted(RecruitmentMonthRollup.objects.values_list("org_id", "month", "steps"))
    with pytest.raises(Exception, match="不能早于"):
        services.record_step(system_actor, case, 3, occurred_on=date(2023, 1, 1))
    assert sorted(RecruitmentMonthRollup.objects.values_list("org_id", "month", "steps")) == before
    assert value(dept_admin, tree["city"], "recruitment.stage_1") == 1


def test_the_outsider_counts_only_what_they_see(frozen_today, tree, walk, outsider, stranger):
    walk(6)
    walk(3, org=tree["branch_b"], name="乙积极分子")
    # The secretary of branch B sees the case of branch B and nothing of branch A.
    assert value(outsider, tree["branch_b"], "recruitment.open_cases") == 1
    assert value(outsider, tree["city"], "recruitment.open_cases") == 1
    assert value(outsider, tree["branch_a"], "recruitment.open_cases") == 0
    assert value(outsider, tree["city"], "recruitment.steps", PERIODS[0]) == 3
    for org in tree.values():
        for key in KEYS:
            assert value(stranger, org, key, PERIODS[0]) == 0
        assert figures(stranger, org)[1] == {}
        assert figures(outsider, org, PERIODS[0]) == live_figures(outsider, org, PERIODS[0])


@pytest.mark.parametrize(
    "start, end, counted, whole",
    [
        (date(2024, 4, 1), date(2024, 5, 9), False, False),  # ends the day before
        (date(2024, 4, 1), date(2024, 5, 10), True, False),  # ends on the day
        (date(2024, 5, 10), date(2024, 6, 30), True, False),  # starts on the day
        (date(2024, 5, 11), date(2024, 6, 30), False, False),  # starts the day after
        (date(2024, 5, 1), date(2024, 5, 31), True, True),  # the month
        (date(2024, 6, 1), date(2024, 6, 30), False, True),  # the month after
    ],
)
def test_the_period_boundaries(frozen_today, tree, walk, everyone, dept_admin, start, end, counted, whole):
    walk(15)  # the admission meeting votes on 2024-05-10
    period = Period(start, end)
    assert value(dept_admin, tree["city"], "recruitment.votes", period) == (1 if counted else 0)
    wanted = registry.lookup(["recruitment.votes", "recruitment.steps"])
    answered = indicators.MonthCounts.totals(dept_admin, tree["city"], period, wanted)
    assert (answered is not None) == whole  # whole months from the roll-ups, any other period live
    # Open cases are counted as they stand, whatever the period.
    assert value(dept_admin, tree["city"], "recruitment.stage_4", period) == 1
    assert_kept_equals_live(everyone, [tree["city"], tree["branch_a"]], [period])


def test_a_moved_org_takes_its_rows(frozen_today, tree, walk, system_actor, everyone, dept_admin):
    walk(15)
    org_services.move_org(system_actor, tree["town_a"], tree["county_b"], occurred_on=date(2026, 2, 15))
    moved = {name: Org.objects.get(pk=org.pk) for name, org in tree.items()}
    assert value(dept_admin, moved["county_b"], "recruitment.open_cases") == 1
    assert value(dept_admin, moved["county_a"], "recruitment.open_cases") == 0
    assert value(dept_admin, moved["county_b"], "recruitment.votes", PERIODS[2]) == 1
    assert set(CaseStageRollup.objects.filter(org=moved["branch_a"]).values_list("path", flat=True)) == {
        moved["branch_a"].path
    }
    assert_kept_equals_live(everyone, list(moved.values()))


def test_rebuild_rollups_rebuilds_and_verifies_them(frozen_today, tree, walk):
    walk(2)
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "发展党员汇总" in out.getvalue() and "核对无误" in out.getvalue()
    CaseStageRollup.objects.filter(org=tree["branch_a"]).update(open_cases=7)
    with pytest.raises(
        CommandError, match=f"党组织 {tree['branch_a'].pk} 已完成第2步的进行中纪实的 open_cases:汇总 7,实际 1"
    ):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    RecruitmentMonthRollup.objects.filter(org=tree["city"]).delete()
    with pytest.raises(
        CommandError, match=f"党组织 {tree['city'].pk} 2023年01月发展党员步骤和表决的 steps:汇总 0,实际 2"
    ):
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    call_command("rebuild_rollups", stdout=StringIO())
    assert rollups.other_differences() == []
    assert CaseStageRollup.objects.get(org=tree["city"]).open_cases == 1
    assert RecruitmentMonthRollup.objects.get(org=tree["city"]).steps == 2


def test_the_people_on_the_path_follow_every_member_change(
    frozen_today, tree, people, walk, system_actor, everyone, dept_admin
):
    city, orgs = tree["city"], list(tree.values())
    people(category="applicant", name="甲申请人")
    people(tree["branch_b"], "activist", name="乙积极分子", applied_on=date(2024, 1, 1))
    people(name="甲党员")  # a full member is not on the path
    assert [value(dept_admin, city, key) for key in PEOPLE_KEYS] == [1, 1, 0]
    assert_kept_equals_live(everyone, orgs)

    # The steps change the category through member events: an activist (step 4), a candidate (step 7),
    # then admitted (step 15) and so off the path.
    walk(4, name="丙积极分子")
    walk(7, name="丁发展对象")
    walk(15, name="戊预备党员")
    assert [value(dept_admin, city, key) for key in PEOPLE_KEYS] == [1, 2, 1]
    assert value(dept_admin, tree["town_a"], "recruitment.activists") == 1
    assert_kept_equals_live(everyone, orgs)

    # A bulk creation (an import) told at its end, and its undo.
    items = [
        member_services.check_member_data(
            tree["branch_b"],
            {
                "name": f"导入申请人{n}",
                "id_number": id_number(date(1990 + n, 1, 2), 921 + 2 * n),
                "birth_date": date(1990 + n, 1, 2),
                "sex": "male",
                "category": "applicant",
                "applied_on": date(2025, 6, 1),
            },
        )
        for n in range(3)
    ]
    with member_services.bulk_changes():
        ids = member_services.create_members_bulk(system_actor, items, audited_as=tree["branch_b"])
    assert value(dept_admin, city, "recruitment.applicants") == 4
    assert value(dept_admin, tree["county_b"], "recruitment.applicants") == 3
    assert_kept_equals_live(everyone, orgs)
    member_services.remove_imported_members(system_actor, ids[:2], audited_as=tree["branch_b"])
    assert value(dept_admin, city, "recruitment.applicants") == 2
    assert_kept_equals_live(everyone, orgs)

    # A merge moves branch B's people to branch A; a move takes town A's subtree to county B.
    org_services.merge_org(system_actor, tree["branch_b"], tree["branch_a"], occurred_on=date(2026, 2, 28))
    assert value(dept_admin, tree["branch_a"], "recruitment.activists") == 2
    assert value(dept_admin, tree["county_b"], "recruitment.activists") == 0
    assert_kept_equals_live(everyone, orgs)
    org_services.move_org(system_actor, tree["town_a"], tree["county_b"], occurred_on=date(2026, 2, 28))
    moved = [Org.objects.get(pk=org.pk) for org in orgs]
    assert value(dept_admin, Org.objects.get(pk=tree["county_b"].pk), "recruitment.activists") == 2
    assert_kept_equals_live(everyone, moved)


def test_a_wrong_people_row_is_named_by_the_verify_pass(frozen_today, tree, people):
    people(category="applicant")
    call_command("rebuild_rollups", stdout=StringIO())
    OnPathRollup.objects.filter(org=tree["branch_a"]).update(people=5)
    OnPathSubtreeRollup.objects.filter(org=tree["city"]).delete()
    with pytest.raises(CommandError) as raised:
        call_command("rebuild_rollups", "--verify-only", stdout=StringIO())
    assert f"党组织 {tree['branch_a'].pk} 本级入党申请人的 people:汇总 5,实际 1" in str(raised.value)
    assert f"党组织 {tree['city'].pk} 入党申请人子树的 people:汇总 0,实际 1" in str(raised.value)
    call_command("rebuild_rollups", stdout=StringIO())
    assert OnPathSubtreeRollup.objects.get(org=tree["city"]).people == 1


def test_counting_cases_adds_once_when_the_block_ends(
    frozen_today, tree, walk, system_actor, everyone, dept_admin
):
    """An import's rows: a case's figures read before its first write, the differences added when the
    outermost block ends, and a row rolled back to its savepoint leaving nothing."""
    city = tree["city"]
    existing = walk(2, name="已有申请人")
    with transaction.atomic(), services.counting_cases():
        services.record_step(system_actor, existing, 3, occurred_on=GOOD_DATES[3])
        with services.counting_cases():  # nested: added when the outermost ends
            walk(4, name="新积极分子")
        with pytest.raises(ServiceError, match="不能早于"), transaction.atomic():
            walk(3, dates={3: date(2023, 1, 1)}, name="倒序申请人")  # step 3 before step 2: refused
        assert value(dept_admin, city, "recruitment.open_cases") == 1  # nothing added yet
        assert value(dept_admin, city, "recruitment.steps", PERIODS[0]) == 2
    assert value(dept_admin, city, "recruitment.open_cases") == 2
    assert value(dept_admin, city, "recruitment.stage_2") == 2
    assert value(dept_admin, city, "recruitment.steps", PERIODS[0]) == 7  # 3 + 4
    assert_kept_equals_live(everyone, list(tree.values()))
