"""Compliance (RULES.md §3): expected vs held per org and period, at the period boundaries."""

from datetime import date, timedelta

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from dangjian.activities import queries, rules, services
from dangjian.activities.models import ComplianceRule


def rec(actor, org, kind, day, **extra):
    with time_machine.travel(day, tick=False):
        return services.record_activity(actor, org=org, kind=kind, held_on=day, topic="会议", **extra)


def requirement(result, kind, period_label, group_name=""):
    found = [
        r
        for r in result.requirements
        if r.kind_code == kind and r.period.label == period_label and r.group_name == group_name
    ]
    assert len(found) == 1, (kind, period_label, [(r.kind_code, r.period.label) for r in result.requirements])
    return found[0]


@pytest.mark.parametrize(
    "day, quarter_label",
    [
        (date(2025, 6, 30), "2025年第2季度"),
        (date(2025, 9, 30), "2025年第3季度"),
        (date(2025, 10, 1), "2025年第4季度"),
    ],
)
def test_a_meeting_counts_for_the_quarter_its_date_falls_in(tree, system_actor, day, quarter_label):
    branch = tree["branch_a"]
    rec(system_actor, branch, "general_meeting", day)
    for number in (2, 3, 4):
        result = queries.compliance([branch], rules.quarter(2025, number))[branch.pk]
        held = requirement(result, "general_meeting", f"2025年第{number}季度").held
        assert held == (1 if f"第{number}季度" in quarter_label else 0)


def test_monthly_rules_split_at_the_month_end(tree, system_actor):
    branch = tree["branch_a"]
    rec(system_actor, branch, "theme_day", date(2025, 7, 31))
    rec(system_actor, branch, "theme_day", date(2025, 8, 1))
    result = queries.compliance([branch], rules.quarter(2025, 3))[branch.pk]
    assert [requirement(result, "theme_day", f"2025年{m}月").held for m in (7, 8, 9)] == [1, 1, 0]


def test_colours_red_amber_green(tree, system_actor):
    branch = tree["branch_a"]
    q4 = rules.quarter(2025, 4)
    with time_machine.travel(date(2025, 10, 20), tick=False):
        result = queries.compliance([branch], q4)[branch.pk]
        assert result.colour(date(2025, 10, 20)) == rules.AMBER  # nothing held yet, but nothing overdue
    # After October ends without a theme day: red.
    assert result.colour(date(2025, 11, 1)) == rules.RED
    assert "2025年10月未开展主题党日" in [r.missing_text for r in result.missing(date(2025, 12, 31))]
    assert "2025年第4季度未召开支部党员大会" in [r.missing_text for r in result.missing(date(2025, 12, 31))]


def test_green_when_everything_is_held(tree, system_actor):
    branch = tree["branch_a"]
    for kind in ("general_meeting", "party_lecture", "life_meeting", "member_appraisal", "heart_talk"):
        rec(system_actor, branch, kind, date(2025, 2, 10))
    for month in (1, 2, 3):
        rec(system_actor, branch, "theme_day", date(2025, month, 5))
    result = queries.compliance([branch], rules.quarter(2025, 1))[branch.pk]
    assert result.colour(date(2025, 4, 1)) == rules.GREEN


def test_a_month_still_ahead_is_not_yet_owed(tree, system_actor):
    branch = tree["branch_a"]
    for kind in ("general_meeting", "party_lecture", "life_meeting", "member_appraisal", "heart_talk"):
        rec(system_actor, branch, kind, date(2025, 10, 10))
    rec(system_actor, branch, "theme_day", date(2025, 10, 5))
    rec(system_actor, branch, "theme_day", date(2025, 11, 3))
    result = queries.compliance([branch], rules.quarter(2025, 4))[branch.pk]
    assert result.colour(date(2025, 11, 30)) == rules.GREEN  # December has not begun
    assert result.missing(date(2025, 11, 30)) == []
    assert result.colour(date(2025, 12, 1)) == rules.AMBER  # December's theme day is now owed
    assert result.colour(date(2026, 1, 1)) == rules.RED


def test_committee_meetings_only_where_the_branch_has_a_committee(tree, system_actor):
    from dangjian.orgs import services as org_services

    branch = tree["branch_a"]
    result = queries.compliance([branch], rules.quarter(2025, 3))[branch.pk]
    assert not [r for r in result.requirements if r.kind_code == "committee_meeting"]
    org_services.elect_committee(
        system_actor,
        branch,
        elected_on=date(2024, 5, 1),
        members=[
            {"post": "secretary", "name": "书记"},
            {"post": "member", "name": "委员"},
            {"post": "member", "name": "委员二"},
        ],
    )
    result = queries.compliance([branch], rules.quarter(2025, 3))[branch.pk]
    assert len([r for r in result.requirements if r.kind_code == "committee_meeting"]) == 3


def test_group_meetings_are_expected_of_each_group(tree, system_actor):
    from dangjian.orgs import services as org_services

    branch = tree["branch_a"]
    first = org_services.create_group(system_actor, branch, name="第一党小组", founded_on=date(2020, 1, 1))
    org_services.create_group(system_actor, branch, name="第二党小组", founded_on=date(2020, 1, 1))
    rec(system_actor, branch, "group_meeting", date(2025, 7, 9), group=first.pk)
    result = queries.compliance([branch], rules.quarter(2025, 3))[branch.pk]
    assert requirement(result, "group_meeting", "2025年7月", "第一党小组").held == 1
    assert requirement(result, "group_meeting", "2025年7月", "第二党小组").held == 0
    assert "2025年7月第二党小组未召开党小组会" in [r.missing_text for r in result.missing(date(2025, 12, 31))]


def test_a_joint_activity_counts_once_for_each_org(tree, system_actor):
    from dangjian.orgs import services as org_services

    other = org_services.create_org(
        system_actor,
        parent=tree["town_a"],
        name="甲社区党支部",
        kind="branch",
        code="A3",
        founded_on=date(2020, 1, 1),
    )
    branch = tree["branch_a"]
    rec(system_actor, branch, "party_lecture", date(2025, 8, 1), partners=[other, branch])
    result = queries.compliance([branch, other], rules.quarter(2025, 3))
    assert requirement(result[branch.pk], "party_lecture", "2025年第3季度").held == 1
    assert requirement(result[other.pk], "party_lecture", "2025年第3季度").held == 1


def test_the_secretary_lecture_of_a_committee_needs_the_secretary(tree, system_actor):
    town = tree["town_a"]
    rec(system_actor, town, "party_lecture", date(2025, 3, 1))
    result = queries.compliance([town], rules.quarter(2025, 1))[town.pk]
    assert requirement(result, "party_lecture", "2025年").held == 0
    rec(system_actor, town, "party_lecture", date(2025, 3, 2), lecturer_is_secretary=True)
    result = queries.compliance([town], rules.quarter(2025, 1))[town.pk]
    assert requirement(result, "party_lecture", "2025年").held == 1


def test_a_new_version_of_a_rule_applies_from_its_date(tree, system_actor):
    branch = tree["branch_a"]
    services.add_compliance_rule(
        system_actor,
        kind="party_lecture",
        frequency="year",
        applies_to="branch",
        effective_from=date(2025, 7, 1),
        label="党课",
        source="本地新规定",
    )
    q2 = queries.compliance([branch], rules.quarter(2025, 2))[branch.pk]
    q3 = queries.compliance([branch], rules.quarter(2025, 3))[branch.pk]
    assert requirement(q2, "party_lecture", "2025年第2季度").expected == 1
    assert requirement(q3, "party_lecture", "2025年").source == "本地新规定"
    assert ComplianceRule.objects.filter(kind__code="party_lecture", applies_to="branch").count() == 2


def test_a_plan_silences_the_reminder(tree, system_actor):
    branch = tree["branch_a"]
    with time_machine.travel(date(2025, 10, 15), tick=False):
        result = queries.compliance([branch], rules.quarter(2025, 4))[branch.pk]
        assert "general_meeting" in {r.kind_code for r in result.unplanned(date(2025, 10, 15))}
        services.record_activity(
            system_actor,
            org=branch,
            kind="general_meeting",
            held_on=date(2025, 11, 20),
            topic="计划",
            status="planned",
        )
        result = queries.compliance([branch], rules.quarter(2025, 4))[branch.pk]
        assert "general_meeting" not in {r.kind_code for r in result.unplanned(date(2025, 10, 15))}
        assert requirement(result, "general_meeting", "2025年第4季度").held == 0


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_day_lies_in_exactly_its_periods(day):
    for frequency in ("month", "quarter", "year"):
        period = rules.period_of(day, frequency)
        assert period.contains(day)
        assert not period.contains(period.start.replace(day=1) - timedelta(days=1))
        assert period_of_next(period) == period.end + timedelta(days=1)


def period_of_next(period):
    return rules.period_of(period.end + timedelta(days=1), period.frequency).start


@pytest.mark.parametrize(
    "expected, present, quorum", [(0, 0, False), (4, 2, False), (4, 3, True), (5, 3, True), (5, 2, False)]
)
def test_quorum_is_more_than_half(expected, present, quorum):
    assert rules.has_quorum(expected, present) is quorum
