"""The org-building rules of RULES.md §4 at their boundaries: terms, sizes, committees, credit codes."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core.rules import Level
from dangjian.orgs import rules
from dangjian.orgs.models import Committee, OrgKind, Post
from dangjian.orgs.rules import MemberCounts

TODAY = date(2026, 6, 15)


def ids(findings) -> list[str]:
    return [f.rule_id for f in findings]


# --- unified social credit code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y43", None),  # the example of GB 32100 itself
        ("911100001000044477", None),
        ("91350100M000100Y44", "校验位不正确"),
        ("91350100M000100Y4", "应为18位"),
        ("91350100M000100Y433", "应为18位"),
        ("91350100M000I00Y43", "不能含“I”"),
        ("9135O100M000100Y43", "不能含“O”"),
        ("91A50100M000100Y43", "行政区划代码"),
    ],
)
def test_credit_codes_are_checked_by_gb_32100(code, message):
    findings = rules.credit_code_findings(code)
    if message is None:
        assert findings == []
    else:
        assert [f.level for f in findings] == [Level.BLOCK]
        assert message in findings[0].message and "GB 32100" in findings[0].source


@given(st.text(alphabet=rules.CREDIT_CODE_CHARS, min_size=17, max_size=17).filter(lambda s: s[2:8].isdigit()))
def test_every_code_with_its_check_character_passes_and_any_other_fails(first17):
    right = rules.credit_code_check_char(first17)
    assert rules.credit_code_findings(first17 + right) == []
    wrong = next(c for c in rules.CREDIT_CODE_CHARS if c != right)
    assert ids(rules.credit_code_findings(first17 + wrong)) == ["unit.credit_code"]


# --- terms ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "sector", "started_on", "years"),
    [
        (OrgKind.COMMITTEE, "organ", date(2024, 1, 1), 5),
        (OrgKind.WORKING_COMMITTEE, "organ", date(2024, 1, 1), 5),
        (OrgKind.GENERAL_BRANCH, "soe", date(2024, 1, 1), 3),
        (OrgKind.BRANCH, "school", date(2024, 1, 1), 3),
        (OrgKind.JOINT_BRANCH, "private_enterprise", date(2024, 1, 1), 3),
        (OrgKind.BRANCH, "village", date(2021, 1, 1), 5),
        (OrgKind.BRANCH, "community", date(2021, 3, 1), 5),
        # Before the 2021 elections village and community terms were three years.
        (OrgKind.BRANCH, "village", date(2020, 12, 31), 3),
        (OrgKind.TEMPORARY_BRANCH, "other", date(2024, 1, 1), None),
    ],
)
def test_term_length_by_kind_sector_and_rule_set_in_force(kind, sector, started_on, years):
    assert rules.term_years(kind, sector, started_on) == years


def test_term_lengths_can_be_configured_in_settings(settings):
    settings.ORG_TERM_YEARS = {"branch": 4, "village_community": 6}
    assert rules.term_years(OrgKind.BRANCH, "school", date(2024, 1, 1)) == 4
    assert rules.term_years(OrgKind.BRANCH, "village", date(2024, 1, 1)) == 6
    assert rules.term_years(OrgKind.COMMITTEE, "organ", date(2024, 1, 1)) == 5


@pytest.mark.parametrize(
    ("started_on", "years", "ends_on"),
    [
        (date(2023, 6, 15), 3, date(2026, 6, 15)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),  # no 29 February in 2027
        (date(2021, 1, 31), 5, date(2026, 1, 31)),
    ],
)
def test_a_term_ends_the_same_day_years_later(started_on, years, ends_on):
    assert rules.term_end(started_on, years) == ends_on


@pytest.mark.parametrize(
    ("ends_on", "expected"),
    [
        (date(2026, 6, 14), ["org.term_overdue"]),  # ended yesterday
        (date(2026, 6, 15), ["org.term_ending"]),  # ends today: due, not yet overdue
        (date(2026, 6, 16), ["org.term_ending"]),  # ends tomorrow
        (date(2026, 12, 15), ["org.term_ending"]),  # exactly six months ahead
        (date(2026, 12, 16), []),  # six months and a day
        (None, []),
    ],
)
def test_terms_remind_six_months_ahead_and_warn_when_overdue(ends_on, expected):
    findings = rules.term_findings(ends_on, TODAY)
    assert ids(findings) == expected
    levels = {"org.term_overdue": Level.WARN, "org.term_ending": Level.REMIND}
    assert [f.level for f in findings] == [levels[rule] for rule in expected]
    assert all(f.source for f in findings)


def test_the_reminder_lead_time_is_a_setting(settings):
    settings.ORG_TERM_REMIND_MONTHS = 3
    assert rules.term_findings(date(2026, 9, 16), TODAY) == []
    assert ids(rules.term_findings(date(2026, 9, 15), TODAY)) == ["org.term_ending"]


# --- size -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("full", "warned"), [(2, True), (3, False), (4, False)])
def test_a_branch_with_fewer_than_three_full_members_is_warned(full, warned):
    findings = rules.size_findings(OrgKind.BRANCH, MemberCounts(full, probationary=5))
    assert ("org.too_few_full_members" in ids(findings)) is warned


@pytest.mark.parametrize(("total", "expected"), [(50, []), (51, ["org.over_50_members", "org.kind_by_size"])])
def test_a_branch_of_more_than_fifty_members_is_warned(total, expected):
    assert ids(rules.size_findings(OrgKind.BRANCH, MemberCounts(total - 5, 5))) == expected


@pytest.mark.parametrize(("total", "message"), [(100, "可设立党总支"), (101, "一般应设立基层党委")])
def test_the_kind_suggested_by_size(total, message):
    findings = [
        f for f in rules.size_findings(OrgKind.BRANCH, MemberCounts(total)) if f.rule_id == "org.kind_by_size"
    ]
    assert message in findings[0].message


@pytest.mark.parametrize(("total", "warned"), [(100, False), (101, True)])
def test_a_general_branch_above_a_hundred_should_be_a_committee(total, warned):
    findings = rules.size_findings(OrgKind.GENERAL_BRANCH, MemberCounts(0), subtree_total=total)
    assert ids(findings) == (["org.kind_by_size"] if warned else [])


def test_without_member_counts_the_size_rules_say_nothing():
    assert rules.size_findings(OrgKind.BRANCH, None) == []
    assert ids(rules.committee_findings(OrgKind.BRANCH, Committee(), [Post.SECRETARY], None)) == []


# --- committee by size ----------------------------------------------------------------------------------

SECRETARY_ONLY = [Post.SECRETARY]
FULL_COMMITTEE = [Post.SECRETARY, Post.ORGANIZATION_MEMBER, Post.PUBLICITY_MEMBER, Post.DISCIPLINE_MEMBER]


@pytest.mark.parametrize(
    ("full", "posts", "expected"),
    [
        (6, SECRETARY_ONLY, []),
        (6, [Post.SECRETARY, Post.DEPUTY_SECRETARY], []),
        (6, FULL_COMMITTEE, ["org.no_committee_under_7"]),
        (7, SECRETARY_ONLY, ["org.committee_needed"]),
        (7, FULL_COMMITTEE, []),
        (8, SECRETARY_ONLY, ["org.committee_needed"]),
        (8, FULL_COMMITTEE, []),
        (8, [Post.SECRETARY, Post.ORGANIZATION_MEMBER, Post.MEMBER], ["org.post_vacant", "org.post_vacant"]),
        (6, [Post.SECRETARY, Post.DEPUTY_SECRETARY, Post.DEPUTY_SECRETARY], ["org.no_committee_under_7"]),
        (20, FULL_COMMITTEE + [Post.MEMBER] * 4, ["org.committee_size"]),
    ],
)
def test_a_branch_committee_is_needed_from_seven_full_members(full, posts, expected):
    findings = rules.committee_findings(OrgKind.BRANCH, Committee(), posts, MemberCounts(full))
    assert ids(findings) == expected


def test_a_vacant_secretary_and_unfilled_seats_are_warned():
    findings = rules.committee_findings(OrgKind.COMMITTEE, Committee(seats=5), [Post.MEMBER] * 3, None)
    assert ids(findings) == ["org.post_vacant", "org.seats_vacant"]
    assert "书记职务空缺" in findings[0].message and "职数5名,现有3名" in findings[1].message


def test_no_committee_is_a_reminder_and_temporary_branches_have_no_election_rules():
    assert [(f.rule_id, f.level) for f in rules.committee_findings(OrgKind.BRANCH, None, [], None)] == [
        ("org.no_committee", Level.REMIND)
    ]
    assert rules.committee_findings(OrgKind.TEMPORARY_BRANCH, None, [], MemberCounts(9)) == []


# --- temporary branches and joint branches --------------------------------------------------------------


@pytest.mark.parametrize("action", ["election", "recruitment", "dues"])
def test_temporary_branches_may_not_elect_recruit_or_collect_dues(action):
    findings = rules.temporary_branch_restriction(OrgKind.TEMPORARY_BRANCH, action)
    assert [f.level for f in findings] == [Level.BLOCK] and findings[0].source
    assert rules.temporary_branch_restriction(OrgKind.BRANCH, action) == []


@pytest.mark.parametrize(("units", "warned"), [(5, False), (6, True)])
def test_a_joint_branch_covers_at_most_five_units(units, warned):
    assert bool(rules.joint_branch_findings(OrgKind.JOINT_BRANCH, units)) is warned
    assert rules.joint_branch_findings(OrgKind.BRANCH, units) == []
