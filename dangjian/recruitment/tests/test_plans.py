"""Plan arithmetic: admitted vs planned for a subtree, structure shares, and crash recruitment."""

from datetime import date
from decimal import Decimal

import pytest

from dangjian.core.errors import NotPermitted
from dangjian.members import services as member_services
from dangjian.recruitment import queries, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def admit(people, system_actor):
    def do(org, day, birth=date(1990, 1, 1), education="bachelor", occupation="worker"):
        person = people(
            org,
            "candidate",
            birth_date=birth,
            applied_on=date(2020, 1, 1),
            education=education,
            occupation=occupation,
        )
        member_services.record_event(system_actor, person, "admitted", occurred_on=day)
        return person

    return do


def test_admitted_vs_planned_with_structure(tree, admit, dept_admin, county_admin, actor_for, frozen_today):
    services.set_plan(
        actor_for(dept_admin), tree["county_a"], year=2025, quota=3, under_35_share=Decimal("60")
    )
    services.set_plan(actor_for(county_admin), tree["town_a"], year=2025, quota=2)
    admit(tree["branch_a"], date(2025, 3, 1), birth=date(1990, 3, 1))  # 35 on the day: counts as ≤35
    admit(
        tree["branch_a"],
        date(2025, 6, 1),
        birth=date(1980, 1, 1),
        education="high_school",
        occupation="official",
    )
    admit(tree["branch_a"], date(2024, 12, 31))  # another year
    total, rows = queries.fulfilment(dept_admin, tree["city"], 2025)
    # The county's own plan (3) counts for its subtree, not the town's plan inside it.
    assert (total.planned, total.admitted, total.share_of_plan) == (3, 2, Decimal("66.7"))
    county = next(r for r in rows if r.org == tree["county_a"])
    assert county.under_35_share == Decimal("50.0") and county.college_share == Decimal("50.0")
    assert county.frontline_share == Decimal("50.0") and county.target("under_35_share") == Decimal("60")
    county_b = next(r for r in rows if r.org == tree["county_b"])
    assert county_b.planned is None and county_b.share_of_plan is None
    town_total, _ = queries.fulfilment(county_admin, tree["town_a"], 2025)
    assert (town_total.planned, town_total.admitted, town_total.share_of_plan) == (2, 2, Decimal("100.0"))


@pytest.mark.parametrize("in_december, flagged", [(1, False), (2, True)])
def test_crash_recruitment_is_flagged(tree, admit, dept_admin, frozen_today, in_december, flagged):
    # Five admissions; 2 of 5 (40%) from 1 December is crash recruitment, 1 of 5 (20%) is not.
    for n in range(5):
        admit(tree["branch_a"], date(2025, 12, 1) if n < in_december else date(2025, 11, 30))
    total, _ = queries.fulfilment(dept_admin, tree["city"], 2025)
    assert total.crash_recruitment is flagged


def test_a_quota_is_set_by_the_upper_org_only(tree, secretary, county_admin, actor_for):
    with pytest.raises(NotPermitted):
        services.set_plan(actor_for(secretary), tree["branch_a"], year=2025, quota=1)
    with pytest.raises(NotPermitted):
        services.set_plan(actor_for(county_admin), tree["county_a"], year=2025, quota=1)
    plan = services.set_plan(actor_for(county_admin), tree["town_a"], year=2025, quota=1)
    again = services.set_plan(actor_for(county_admin), tree["town_a"], year=2025, quota=4)
    assert plan.pk == again.pk and again.quota == 4
