"""Each indicator against the hand-built population of conftest.py, with the answers worked out by hand."""

from datetime import date

import pytest

from dangjian.reports import registry
from dangjian.reports.registry import Period, compute, compute_by_child
from dangjian.reports.tests.conftest import YEAR_2025

pytestmark = pytest.mark.django_db


def values(user, org, period=YEAR_2025):
    return compute(user, org, period, registry.all_indicators())


def test_it_counts_members_on_31_december_by_org_of_record(population, tree, dept_admin):
    assert values(dept_admin, tree["city"])["members.total"] == 7
    # 5 in 甲村 (the member in transit counts for the sender; the applicant does not count) + 1 at 甲镇 itself.
    assert values(dept_admin, tree["branch_a"])["members.total"] == 5
    assert values(dept_admin, tree["county_a"])["members.total"] == 6
    # The exited member is off the roll on 31 December; the member in transit is not counted by the receiver.
    assert values(dept_admin, tree["branch_b"])["members.total"] == 1


def test_it_counts_an_exited_member_on_a_date_before_the_exit(population, tree, dept_admin):
    end_2024 = values(dept_admin, tree["branch_b"], Period.year(2024))
    assert end_2024["members.total"] == 2
    # Admitted on 1 June 2025: not yet a member on 31 December 2024.
    assert values(dept_admin, tree["county_a"], Period.year(2024))["members.total"] == 5
    # The day before and the day of the exit (1 May 2025).
    assert (
        values(dept_admin, tree["branch_b"], Period(date(2025, 1, 1), date(2025, 4, 30)))["members.total"]
        == 2
    )
    assert (
        values(dept_admin, tree["branch_b"], Period(date(2025, 1, 1), date(2025, 5, 1)))["members.total"] == 1
    )


def test_it_puts_birthdays_on_31_december_and_1_january_in_the_right_age_band(population, tree, dept_admin):
    found = values(dept_admin, tree["city"])
    # 张年末 (born 1995-12-31) and 李年初 (born 1995-01-01) are both 30 on 31 December 2025; 赵三十一
    # (born 1994-12-31) is 31, as is 王预备 (born 1990-01-01 → 35).
    assert [found[f"members.age.{band}"] for band in range(8)] == [2, 2, 0, 0, 0, 1, 0, 2]
    assert sum(found[f"members.age.{band}"] for band in range(8)) == found["members.total"]
    # On 30 December 张年末 is still 29 and 赵三十一 30: the band changes on the birthday.
    day_before = values(dept_admin, tree["branch_a"], Period(date(2025, 1, 1), date(2025, 12, 30)))
    assert day_before["members.age.0"] == 3


def test_it_counts_structure_by_sex_ethnicity_category_education_and_admission(population, tree, dept_admin):
    found = values(dept_admin, tree["city"])
    assert (found["members.sex.male"], found["members.sex.female"]) == (5, 2)
    assert (found["members.ethnicity.han"], found["members.ethnicity.minority"]) == (6, 1)
    assert (found["members.category.full"], found["members.category.probationary"]) == (6, 1)
    assert found["members.education.college"] == 1
    assert found["members.education.bachelor"] == 6
    assert found["members.occupation.worker"] == 1
    assert found["members.occupation.retired"] == 1
    assert [
        found[f"members.admission.{code}"] for code in ("before_1949", "to_1978", "to_2012", "since_2012")
    ] == [
        1,
        0,
        1,
        5,
    ]


def test_it_counts_flows_in_the_period_under_the_org_that_recorded_them(population, tree, dept_admin):
    found = values(dept_admin, tree["city"])
    assert found["flows.admitted"] == 1
    assert found["flows.transferred_in"] == 1
    assert found["flows.transferred_out"] == 1
    assert found["flows.exited.withdrew"] == 1
    assert found["flows.deceased"] == 0
    assert values(dept_admin, tree["branch_a"])["flows.transferred_in"] == 1
    assert values(dept_admin, tree["branch_b"])["flows.transferred_out"] == 1
    assert values(dept_admin, tree["town_a"])["flows.admitted"] == 1
    # The letter in transit (issued 2026) moves nothing yet.
    assert values(dept_admin, tree["city"], Period.year(2026))["flows.transferred_out"] == 0


def test_it_counts_orgs_by_kind_and_sector(population, tree, dept_admin):
    found = values(dept_admin, tree["city"])
    assert found["orgs.total"] == 6
    assert found["orgs.kind.committee"] == 4
    assert found["orgs.kind.branch"] == 2
    assert found["orgs.sector.village"] == 2
    assert values(dept_admin, tree["city"], Period.year(2019))["orgs.total"] == 0


@pytest.mark.parametrize("org_name", ["city", "county_a", "town_a", "county_b"])
def test_it_keeps_the_sum_rule(population, tree, dept_admin, org_name):
    """A subtree's figure is the sum of its direct subordinates' figures plus its own direct records."""
    org = tree[org_name]
    indicators = registry.all_indicators()
    totals = compute(dept_admin, org, YEAR_2025, indicators)
    parts = compute_by_child(dept_admin, org, YEAR_2025, indicators)
    for indicator in indicators:
        assert totals[indicator.key] == sum(part.get(indicator.key, 0) for part in parts.values()), (
            indicator.key
        )
    assert totals["members.total"] > 0 or org_name == "county_b"


def test_it_lists_exactly_the_records_counted(population, tree, dept_admin):
    totals = values(dept_admin, tree["city"])
    for indicator in registry.all_indicators():
        records = indicator.records(dept_admin, tree["city"], YEAR_2025)
        assert records.count() == totals[indicator.key], indicator.key
    names = {m.name for m in registry.get("members.age.0").records(dept_admin, tree["city"], YEAR_2025)}
    assert names == {"张年末", "李年初"}


def test_it_counts_only_what_the_user_sees(population, tree, outsider, county_admin):
    assert values(county_admin, tree["city"])["members.total"] == 6
    assert values(outsider, tree["county_a"])["members.total"] == 0


def test_it_describes_every_indicator():
    keys = [indicator.key for indicator in registry.all_indicators()]
    assert len(keys) == len(set(keys))
    for indicator in registry.all_indicators():
        assert indicator.name and indicator.description and indicator.unit, indicator.key
