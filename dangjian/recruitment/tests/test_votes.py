"""Votes of the branch general meeting (细则第二十条): a resolution that fails quorum or majority is a fact
that is stored with its reason, and the case does not advance until a later meeting passes it."""

import io
from datetime import date

import pytest
from docx import Document

from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEntry
from dangjian.recruitment import rules, services
from dangjian.recruitment.models import Vote, VoteFailure
from dangjian.recruitment.tests.conftest import GOOD_DATES

pytestmark = pytest.mark.django_db


def vote(case, count, on=GOOD_DATES[15], number=15):
    return services.record_vote(Actor.command("test"), case, number, occurred_on=on, vote=count)


@pytest.mark.parametrize(
    "count, failure",
    [
        (rules.VoteCount(9, 5, 5, 0, 0), ""),  # 5 of 9 present, 5 yes: both more than half
        (rules.VoteCount(10, 6, 5, 1, 0), "majority"),  # 5 yes of 10: not more than half
        (rules.VoteCount(10, 5, 5, 0, 0), "quorum"),  # 5 present of 10: no quorum
        (rules.VoteCount(10, 6, 6, 0, 0), ""),
        (rules.VoteCount(9, 4, 4, 0, 0), "quorum"),
    ],
)
def test_the_rule_names_why_a_vote_fails(count, failure):
    assert rules.vote_failure(count) == failure
    assert rules.vote_passes(count) is (failure == "")


def test_a_passing_vote_records_the_step_at_the_boundary(walk):
    case = walk(14)
    result = vote(case, rules.VoteCount(9, 5, 5, 0, 0))
    case.refresh_from_db()
    case.member.refresh_from_db()
    assert result.passed and result.failure_reason == "" and result.step.number == 15
    assert case.last_step == 15 and case.member.category == "probationary"


@pytest.mark.parametrize(
    "count, reason",
    [
        (rules.VoteCount(10, 6, 5, 1, 0), VoteFailure.MAJORITY),
        (rules.VoteCount(10, 5, 5, 0, 0), VoteFailure.QUORUM),
    ],
)
def test_a_failed_vote_is_stored_and_the_case_stays(walk, count, reason):
    case = walk(14)
    result = vote(case, count)
    case.refresh_from_db()
    case.member.refresh_from_db()
    stored = Vote.objects.get(pk=result.pk)
    assert not stored.passed and stored.failure_reason == reason and stored.step is None
    assert (stored.should_attend, stored.present, stored.yes, stored.no, stored.abstain) == (
        count.should_attend,
        count.present,
        count.yes,
        count.no,
        count.abstain,
    )
    assert stored.held_on == GOOD_DATES[15] and stored.outcome == "未通过"
    assert case.last_step == 14 and case.member.category == "candidate"
    assert AuditEntry.objects.filter(action="recruitment.vote_failed", object_id=str(stored.pk)).exists()


def test_a_later_passing_vote_follows_a_failed_one(walk, login, secretary):
    case = walk(14)
    vote(case, rules.VoteCount(10, 5, 5, 0, 0), on=date(2024, 5, 10))
    passed = vote(case, rules.VoteCount(10, 8, 7, 1, 0), on=date(2024, 5, 12))
    case.refresh_from_db()
    assert passed.passed and case.last_step == 15
    assert list(case.votes.order_by("held_on").values_list("passed", flat=True)) == [False, True]
    client = login(secretary)
    body = client.get(f"/recruitment/{case.pk}/").content.decode()
    assert "到会人数未超过应到会有表决权党员的半数" in body and "2024年5月10日" in body
    dossier = client.get(f"/recruitment/{case.pk}/dossier.docx")
    text = "\n".join(
        cell.text
        for table in Document(io.BytesIO(b"".join(dossier.streaming_content))).tables
        for row in table.rows
        for cell in row.cells
    )
    assert "15. 支部党员大会表决(未通过)" in text and "应到10人,实到5人" in text


def test_a_failed_vote_still_obeys_the_step_checks(walk):
    case = walk(13)  # step 14 missing: the meeting cannot vote yet
    with pytest.raises(ServiceError, match="请先登记第14步"):
        vote(case, rules.VoteCount(10, 5, 5, 0, 0))
    assert not Vote.objects.exists()


def test_impossible_counts_are_refused_not_stored(walk):
    case = walk(14)
    with pytest.raises(ServiceError, match="多于实到"):
        vote(case, rules.VoteCount(10, 6, 5, 2, 0))
    assert not Vote.objects.exists()


def test_a_vote_cannot_be_dated_before_an_earlier_failed_one(walk):
    case = walk(14)
    vote(case, rules.VoteCount(10, 5, 5, 0, 0), on=date(2024, 5, 12))
    with pytest.raises(ServiceError, match="更早日期"):
        vote(case, rules.VoteCount(10, 5, 5, 0, 0), on=date(2024, 5, 10))


def test_a_failed_conversion_vote_keeps_the_probation(walk):
    case = walk(22)
    result = vote(case, rules.VoteCount(10, 6, 5, 0, 1), on=GOOD_DATES[23], number=23)
    case.refresh_from_db()
    case.member.refresh_from_db()
    assert result.kind == "conversion" and result.failure_reason == VoteFailure.MAJORITY
    assert case.last_step == 22 and case.member.category == "probationary"
