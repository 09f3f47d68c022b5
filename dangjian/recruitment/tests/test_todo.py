"""The to-do list on a frozen date (2026-03-01): each reminder at its boundary, scoped to the user."""

from datetime import date, timedelta

import pytest

from dangjian.recruitment import queries, services
from dangjian.recruitment.tests.conftest import GOOD_DATES

pytestmark = pytest.mark.django_db


def shifted(days: int) -> dict:
    return {n: d + timedelta(days=days) for n, d in GOOD_DATES.items()}


def items(user, tree, rule_id, today):
    return [i for i in queries.todo(user, tree["city"], today, rule_id)]


@pytest.mark.parametrize(
    "applied, level",
    [(date(2026, 2, 2), "remind"), (date(2026, 2, 1), "remind"), (date(2026, 1, 31), "warn")],
)
def test_the_talk_is_due_within_a_month_of_application(walk, tree, dept_admin, frozen_today, applied, level):
    walk(1, dates={1: applied})
    [item] = items(dept_admin, tree, "recruitment.talk_within_month", frozen_today)
    assert item.finding.level == level


@pytest.mark.parametrize("activist_on, eligible", [(date(2025, 3, 31), True), (date(2025, 4, 1), False)])
def test_candidates_eligible_this_month(walk, tree, dept_admin, frozen_today, activist_on, eligible):
    walk(
        6,
        dates={
            1: date(2025, 1, 5),
            2: date(2025, 1, 20),
            3: activist_on,
            4: activist_on,
            5: activist_on,
            6: activist_on,
        },
    )
    found = items(dept_admin, tree, "recruitment.candidate_eligible", frozen_today)
    assert bool(found) == eligible


@pytest.mark.parametrize("activist_on, due", [(date(2025, 9, 30), True), (date(2025, 10, 1), False)])
def test_the_half_year_assessment(walk, tree, dept_admin, frozen_today, system_actor, activist_on, due):
    # Due six months after the last assessment, shown from 30 days before: 2026-03-31 is due on 03-01.
    case = walk(3, dates={1: date(2025, 6, 1), 2: date(2025, 6, 10), 3: date(2025, 6, 15)})
    services.add_assessment(system_actor, case, assessed_on=activist_on, conclusion="表现良好")
    found = items(dept_admin, tree, "recruitment.assessment_half_year", frozen_today)
    assert bool(found) == due


def test_probation_ending_next_month_and_oath_pending(walk, tree, dept_admin, frozen_today):
    walk(17, dates=shifted(315))  # meeting 2025-03-21: probation ends 2026-03-21
    [conversion] = items(dept_admin, tree, "recruitment.conversion_due", frozen_today)
    assert conversion.due_on == date(2026, 3, 21) and conversion.finding.level == "remind"
    assert items(dept_admin, tree, "recruitment.oath_pending", frozen_today)


def test_an_overdue_conversion_is_a_warning(walk, tree, dept_admin, frozen_today):
    walk(22, dates=shifted(200))  # meeting 2024-11-26: probation ended 2025-11-26
    [conversion] = items(dept_admin, tree, "recruitment.conversion_due", frozen_today)
    assert conversion.finding.level == "warn" and "已于2025年11月26日届满" in conversion.finding.message


def test_approval_outstanding_after_three_months(walk, tree, dept_admin, frozen_today):
    walk(16, dates=shifted(500))  # meeting 2025-09-22: three months end 2025-12-22
    assert items(dept_admin, tree, "recruitment.approval_window", frozen_today)


def test_the_outsider_sees_no_reminder(walk, tree, outsider, frozen_today):
    walk(1, dates={1: date(2026, 2, 1)})
    assert queries.todo(outsider, tree["city"], frozen_today) == []
