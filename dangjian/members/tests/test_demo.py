"""Demo members: realistic, valid records with histories, the same rows the services write."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from dangjian.core.models import AuditEntry
from dangjian.members import protected, rules
from dangjian.members.models import Member, MemberEvent, Mobility
from dangjian.orgs.models import BRANCH_KINDS


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """One county-scale seed for the module, rolled back at its end (as in core's seed_demo tests)."""
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


def test_the_county_demo_has_members_in_every_branch_with_valid_records(seeded):
    members = Member.objects.all()
    assert 2500 <= members.count() <= 3500 and "党员 " in seeded
    assert set(members.values_list("org__kind", flat=True)) <= set(BRANCH_KINDS)
    sample = list(members.order_by("pk")[:200])
    for member in sample:
        number, findings = rules.parse_id_number(protected.reveal(member, "id_number"))
        assert findings == [] and number.birth_date == member.birth_date and number.sex == member.sex
        assert protected.id_index(number.value) == member.id_number_index
        if member.converted_on:
            assert rules.conversion_findings(member.joined_on, member.converted_on) == []
    by_category = dict(members.values_list("category").annotate(n=Count("pk")).order_by())
    assert by_category["full"] > 0.85 * members.count() and by_category["probationary"] > 0
    women = members.filter(sex="female").count() / members.count()
    assert 0.2 < women < 0.4
    assert (
        members.filter(status="mobile").count() == Mobility.objects.filter(ended_on__isnull=True).count() > 5
    )
    assert members.filter(tags__code="veteran").exists()


def test_every_member_has_a_history_and_the_audit_chain_holds(seeded):
    without_events = Member.objects.annotate(n=Count("events")).filter(n=0)
    assert not without_events.exists()
    admitted = MemberEvent.objects.filter(kind="admitted").select_related("member")[:100]
    assert all(event.occurred_on == event.member.joined_on for event in admitted)
    assert AuditEntry.objects.filter(action="member.demo_seed").count() == 2  # batches of 2,000
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK")
