"""All findings of a subtree (with and without the members module's counts) and event counts by period."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.orgs import figures, rules, services
from dangjian.orgs.models import Org
from dangjian.orgs.rules import MemberCounts

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def counts():
    """A member-count provider as the members module registers one; the test sets the numbers."""
    numbers: dict[int, MemberCounts] = {}

    def provider(org_ids):
        return {pk: numbers[pk] for pk in org_ids if pk in numbers}

    rules.register_member_counts(provider)
    yield numbers
    rules.unregister_member_counts(provider)


@pytest.fixture
def without_members_module(monkeypatch):
    """As before the members module registers its counts (or in a deployment without it)."""
    monkeypatch.setattr(rules, "_member_count_providers", [])


def found(orgs, today=TODAY):
    return sorted((f.org.name, f.finding.rule_id) for f in rules.findings_for(orgs, today))


def test_without_member_counts_only_term_committee_and_flag_rules_run(
    tree, system_actor, without_members_module
):
    services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2021, 6, 1),
        members=[{"post": "secretary", "name": "甲"}],
    )
    assert not rules.member_counts_available()
    assert found(Org.objects.all().within(tree["county_a"])) == [
        ("甲县委", "org.no_committee"),
        ("甲村党支部", "org.term_overdue"),  # a village term of 2021-06-01 ended on 2026-06-01
        ("甲镇党委", "org.no_committee"),
    ]


def test_findings_of_a_subtree_with_counts(tree, system_actor, counts):
    branch, town = tree["branch_a"], tree["town_a"]
    services.elect_committee(
        system_actor, branch, elected_on=date(2021, 6, 1), members=[{"post": "secretary", "name": "甲"}]
    )
    services.elect_committee(
        system_actor, town, elected_on=date(2021, 12, 15), members=[{"post": "member", "name": "乙"}], seats=5
    )
    services.flag_weak(system_actor, branch, reason="班子不团结", flagged_on=date(2026, 3, 1))
    counts[branch.pk] = MemberCounts(full=8, probationary=1)
    assert found(Org.objects.all().within(tree["county_a"])) == [
        ("甲县委", "org.no_committee"),
        ("甲村党支部", "org.committee_needed"),  # 8 full members, a secretary only
        ("甲村党支部", "org.term_overdue"),
        ("甲村党支部", "org.weak"),
        ("甲镇党委", "org.post_vacant"),  # no secretary
        ("甲镇党委", "org.seats_vacant"),  # 1 of 5 seats filled
        ("甲镇党委", "org.term_ending"),  # ends 2026-12-15: six months from today
    ]


@pytest.mark.parametrize(("full", "expected"), [(2, ["org.too_few_full_members"]), (3, []), (4, [])])
def test_the_subtree_page_sees_the_size_rules_through_the_provider(
    tree, system_actor, counts, full, expected
):
    branch = tree["branch_a"]
    services.elect_committee(
        system_actor, branch, elected_on=date(2025, 1, 1), members=[{"post": "secretary", "name": "甲"}]
    )
    counts[branch.pk] = MemberCounts(full=full)
    assert [f.finding.rule_id for f in rules.findings_for([Org.objects.get(pk=branch.pk)], TODAY)] == expected


def test_a_general_branch_is_sized_by_its_branches(tree, system_actor, counts):
    general = services.create_org(
        system_actor, parent=tree["county_a"], name="机关党总支", kind="general_branch", code="G1"
    )
    branches = [
        services.create_org(system_actor, parent=general, name=f"机关第{n}支部", kind="branch", code=f"G1{n}")
        for n in (1, 2)
    ]
    counts[branches[0].pk] = MemberCounts(full=50)
    counts[branches[1].pk] = MemberCounts(full=45, probationary=6)
    result = rules.findings_for([Org.objects.get(pk=general.pk)], TODAY)
    assert [f.finding.rule_id for f in result] == ["org.no_committee", "org.kind_by_size"]
    assert "共有党员101人" in result[1].finding.message
    # Its own members count too, and another general branch's (one level deeper) do not, nor the reverse.
    other = services.create_org(
        system_actor, parent=tree["town_a"], name="学校党总支", kind="general_branch", code="G2"
    )
    school = services.create_org(system_actor, parent=other, name="学校第一支部", kind="branch", code="G21")
    counts[general.pk] = MemberCounts(full=2)
    counts[school.pk] = MemberCounts(full=7, probationary=1)
    facts = rules.load_facts([Org.objects.get(pk=general.pk), Org.objects.get(pk=other.pk)])
    assert [fact.subtree_total for fact in facts] == [103, 8]


def test_findings_load_in_a_fixed_number_of_queries(tree, system_actor, counts):
    def queries(n):
        for i in range(n):
            org = services.create_org(
                system_actor, parent=tree["town_a"], name=f"支部{n}-{i}", kind="branch", code=f"Q{n}{i}"
            )
            services.elect_committee(
                system_actor, org, elected_on=date(2025, 1, 1), members=[{"post": "secretary", "name": "x"}]
            )
        orgs = list(Org.objects.all().within(tree["town_a"]))
        with CaptureQueriesContext(connection) as captured:
            rules.findings_for(orgs, TODAY)
        return len(captured)

    assert queries(2) == queries(6)


def test_a_temporary_branch_past_its_end_is_warned(tree, system_actor):
    temp = services.create_org(
        system_actor,
        parent=tree["town_a"],
        name="临时党支部",
        kind="temporary_branch",
        code="T1",
        founded_on=date(2026, 1, 1),
        temporary_until=date(2026, 6, 14),
    )
    assert [f.finding.rule_id for f in rules.findings_for([temp], TODAY)] == ["org.temporary_overdue"]
    assert rules.findings_for([temp], date(2026, 6, 14)) == []


# --- event counts ---------------------------------------------------------------------------------------


def test_event_counts_for_a_subtree_and_a_period(tree, system_actor, county_admin):
    town = tree["town_a"]
    new = [
        services.create_org(
            system_actor, parent=town, name=f"新支部{n}", kind="branch", code=f"N{n}", founded_on=day
        )
        for n, day in enumerate([date(2025, 12, 31), date(2026, 1, 1), date(2026, 3, 1)])
    ]
    services.create_org(
        system_actor,
        parent=town,
        name="临时支部",
        kind="temporary_branch",
        code="T1",
        founded_on=date(2026, 2, 1),
    )
    services.update_org(system_actor, new[0], name="更名支部", occurred_on=date(2026, 4, 1))
    services.dissolve_org(system_actor, new[1], occurred_on=date(2026, 5, 1), reason="撤并")
    committee = services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2026, 5, 10),
        members=[{"post": "secretary", "name": "甲"}],
    )
    services.add_committee_member(
        system_actor, committee, post="deputy_secretary", name="乙", started_on=date(2026, 6, 1)
    )
    services.elect_committee(  # outside the subtree: not counted
        system_actor,
        tree["branch_b"],
        elected_on=date(2026, 5, 10),
        members=[{"post": "secretary", "name": "丙"}],
    )
    events = figures.events_in(
        county_admin, tree["county_a"], figures.Period(date(2026, 1, 1), date(2026, 6, 30))
    )
    counts = {indicator.key: n for indicator, n in figures.event_counts(events)}
    assert counts == {
        "re_elected": 1,
        "founded": 2,
        "temporary_founded": 1,
        "renamed": 1,
        "merged": 0,
        "dissolved": 1,
        "temporary_dissolved": 0,
        "committee_changed": 1,
        "moved": 0,
    }
    # The list behind a figure is the same filter: three 成立 events in the period, one of a temporary branch.
    founded = events.filter(figures.INDICATORS_BY_KEY["founded"].q)
    assert sorted(founded.values_list("org__name", flat=True)) == ["新支部1", "新支部2"]
    assert (
        figures.event_counts(
            figures.events_in(county_admin, tree["county_a"], figures.Period(date(2027, 1, 1)))
        )[0][1]
        == 0
    )
