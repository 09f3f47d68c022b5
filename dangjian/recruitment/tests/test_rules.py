"""The pure rules: vote arithmetic as a property, working days, rule sets by date."""

from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from dangjian.recruitment import rules


@st.composite
def votes(draw):
    should = draw(st.integers(1, 200))
    present = draw(st.integers(0, should))
    yes = draw(st.integers(0, present))
    no = draw(st.integers(0, present - yes))
    abstain = draw(st.integers(0, present - yes - no))
    return rules.VoteCount(should, present, yes, no, abstain)


@given(votes())
def test_a_resolution_passes_exactly_with_quorum_and_a_majority_of_those_who_should_attend(vote):
    half = Fraction(vote.should_attend, 2)
    assert rules.vote_passes(vote) == (vote.present > half and vote.yes > half)


@given(votes())
def test_a_majority_of_those_present_is_not_enough(vote):
    if vote.yes > Fraction(vote.present, 2) and vote.yes <= Fraction(vote.should_attend, 2):
        assert not rules.vote_passes(vote)


def test_inconsistent_counts_are_refused():
    assert not rules.vote_passes(rules.VoteCount(9, 10, 5, 0, 0))
    assert not rules.vote_passes(rules.VoteCount(9, 6, 5, 1, 1))
    assert not rules.vote_passes(rules.VoteCount(0, 0, 0, 0, 0))


def test_working_days_skip_weekends():
    # 2024-04-22 is a Monday.
    assert rules.working_days(date(2024, 4, 22), date(2024, 4, 26)) == 5
    assert rules.working_days(date(2024, 4, 26), date(2024, 4, 29)) == 2
    assert rules.working_days(date(2024, 4, 29), date(2024, 4, 26)) == 0


def test_the_sets_in_force_follow_the_switch_date():
    switch = {"2026": rules.Switch(True, date(2026, 7, 1))}
    assert rules.sets_in_force(date(2026, 6, 30), switch) == ["2014"]
    assert rules.sets_in_force(date(2026, 7, 1), switch) == ["2014", "2026"]
    assert rules.sets_in_force(date(2026, 7, 1), {"2026": rules.Switch(False, None)}) == ["2014"]
    assert rules.sets_in_force(date(2010, 1, 1), {}) == ["2014"]  # the base set also checks older records


def test_every_rule_names_its_source_and_set():
    for rule in rules.RULES.values():
        assert rule.source and rule.rule_set in rules.RULE_SETS and rule.key.startswith("recruitment.")
