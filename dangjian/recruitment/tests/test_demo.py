"""Demo cases: every person on the path has a case matching their category; the deliberate violations and
only those are found by the review."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from dangjian.members.models import Category, Member
from dangjian.recruitment import queries
from dangjian.recruitment.models import Recruitment, Vote


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            call_command("seed_demo", scale="county", seed=5, stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


def test_every_stage_has_cases_that_fit_the_category(seeded):
    assert "发展党员纪实" in seeded
    cases = Recruitment.objects.select_related("member")
    by_category = {c: cases.filter(member__category=c).count() for c in Category.values}
    assert all(by_category[c] > 0 for c in Category.values), by_category
    for case in cases.filter(member__category=Category.ACTIVIST)[:50]:
        assert 3 <= case.last_step <= 6
    for case in cases.filter(member__category=Category.PROBATIONARY)[:50]:
        assert 16 <= case.last_step <= 22
        assert case.steps.get(number=15).occurred_on == case.member.joined_on
    assert cases.filter(member__category=Category.FULL, last_step=25).count() == by_category[Category.FULL]
    assert (
        not Member.objects.filter(category=Category.APPLICANT, recruitment__isnull=False)
        .exclude(applied_on=None)
        .exclude(recruitment__steps__number=1)
        .exists()
    )


def test_the_review_finds_the_deliberate_violations_only(seeded):
    blocking = {}
    for case in Recruitment.objects.select_related("member")[:400]:
        rules_found = {f.rule_id for _, f in queries.review(case) if f.level == "block"}
        if rules_found:
            blocking[case.pk] = rules_found
    allowed = {"recruitment.activist_one_year", "recruitment.vote_quorum", "recruitment.vote_majority"}
    messages = {
        pk: [f.message for _, f in queries.review(Recruitment.objects.get(pk=pk))]
        for pk in list(blocking)[:3]
    }
    assert all(found <= allowed for found in blocking.values()), messages
    assert Vote.objects.filter(passed=False).exists() or Recruitment.objects.count() < 100
