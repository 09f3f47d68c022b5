"""谈心谈话 (RULES.md §3): owed once a year per pair — every two committee members, and every committee
member with every other member — at the year's boundaries; counted talks where there is no committee."""

from datetime import date

import pytest
import time_machine

from dangjian.activities import queries, rules, services

pytestmark = pytest.mark.django_db


def test_the_pairs_owed_and_talked():
    owed, done = rules.heart_talk_pairs({1, 2}, {1, 2, 3, 4}, [{1, 3}, {2, 1, 4}])
    # 1–2 (committee), 1–3, 1–4, 2–3, 2–4 (committee–member); 3–4 (two members) is not owed.
    assert owed == {frozenset(p) for p in ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4))}
    assert done == {frozenset(p) for p in ((1, 2), (1, 3), (1, 4), (2, 4))}


@pytest.fixture
def committee_branch(tree, make_member, system_actor):
    from dangjian.orgs import services as org_services

    branch = tree["branch_a"]
    secretary = make_member(branch, "书记甲")
    member = make_member(branch, "委员乙")
    plain = make_member(branch, "党员丙")
    org_services.elect_committee(
        system_actor,
        branch,
        elected_on=date(2024, 5, 1),
        members=[
            {"post": "secretary", "member_id": secretary.pk},
            {"post": "member", "member_id": member.pk},
        ],
    )
    return branch, secretary, member, plain


def talk(actor, org, day, *people):
    with time_machine.travel(day, tick=False):
        activity = services.record_activity(actor, org=org, kind="heart_talk", held_on=day, topic="谈心谈话")
        services.mark_attendance(actor, activity, {p.pk: "present" for p in people})
    return activity


def heart(org, year):
    result = queries.compliance([org], rules.Period(date(year, 1, 1), date(year, 12, 31), "year"))[org.pk]
    found = [r for r in result.requirements if r.kind_code == "heart_talk"]
    assert len(found) == 1
    return found[0]


def test_every_pair_must_talk_within_the_year(committee_branch, system_actor):
    branch, secretary, member, plain = committee_branch
    talk(system_actor, branch, date(2025, 3, 1), secretary, member)
    talk(system_actor, branch, date(2025, 4, 1), secretary, plain)
    requirement = heart(branch, 2025)
    assert requirement.per_pair and requirement.expected == 3 and requirement.held == 2
    assert not requirement.met
    assert requirement.missing_pairs == ("委员乙—党员丙",)
    assert requirement.missing_text == "2025年谈心谈话应谈3对,已谈2对,尚有1对未谈:委员乙—党员丙"
    assert requirement.source == rules.SOURCE_HEART_TALK


@pytest.mark.parametrize("day, counts", [(date(2025, 12, 31), True), (date(2026, 1, 1), False)])
def test_the_last_pair_on_the_year_boundary(committee_branch, system_actor, day, counts):
    branch, secretary, member, plain = committee_branch
    talk(system_actor, branch, date(2025, 3, 1), secretary, member)
    talk(system_actor, branch, date(2025, 4, 1), secretary, plain)
    talk(system_actor, branch, day, member, plain)
    assert heart(branch, 2025).met is counts
    if not counts:
        assert heart(branch, 2026).held == 1


def test_a_group_talk_covers_each_pair_present(committee_branch, system_actor):
    branch, secretary, member, plain = committee_branch
    talk(system_actor, branch, date(2025, 6, 1), secretary, member, plain)
    assert heart(branch, 2025).met


def test_one_talk_is_not_enough_for_the_branch(committee_branch, system_actor):
    branch, secretary, member, plain = committee_branch
    talk(system_actor, branch, date(2025, 6, 1), secretary, member)
    requirement = heart(branch, 2025)
    assert (requirement.expected, requirement.held) == (3, 1)
    assert requirement.colour(date(2026, 1, 1)) == rules.RED


def test_without_committee_members_talks_are_counted(tree, make_member, system_actor):
    branch = tree["branch_a"]
    make_member(branch, "党员甲")
    requirement = heart(branch, 2025)
    assert not requirement.per_pair and requirement.expected == 1 and requirement.held == 0
    with time_machine.travel(date(2025, 6, 1), tick=False):
        services.record_activity(
            system_actor, org=branch, kind="heart_talk", held_on=date(2025, 6, 1), topic="谈话"
        )
    assert heart(branch, 2025).met


@pytest.mark.parametrize("long_list", [1, 100])
def test_the_talks_are_found_for_a_long_list_of_orgs(
    committee_branch, tree, system_actor, monkeypatch, long_list
):
    """Judging many orgs at once (a city's root) passes the ids as one list parameter on SQLite; the same
    talks are found either way, and only the judged orgs' ones."""
    branch, secretary, member, plain = committee_branch
    talk(system_actor, branch, date(2025, 3, 1), secretary, member)
    talk(system_actor, tree["branch_b"], date(2025, 3, 2))
    monkeypatch.setattr(queries, "LONG_LIST", long_list)
    orgs = [tree["city"], tree["town_a"], branch]
    results = queries.compliance(orgs, rules.Period(date(2025, 1, 1), date(2025, 12, 31), "year"))
    found = [r for r in results[branch.pk].requirements if r.kind_code == "heart_talk"]
    assert [(r.expected, r.held) for r in found] == [(3, 1)]
    talks, _, _ = queries.heart_talk_facts([o.pk for o in orgs], rules.period_of(date(2025, 6, 1), "year"))
    assert set(talks) == {branch.pk} and [day for day, _ in talks[branch.pk]] == [date(2025, 3, 1)]
