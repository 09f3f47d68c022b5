"""What the org module asks of members: sizes for the org rules, no dissolving with members on the roll,
and a merge that takes the members along."""

import pytest

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEntry
from dangjian.members.models import Member, MemberEventKind
from dangjian.orgs import rules as org_rules
from dangjian.orgs import services as org_services
from dangjian.orgs.models import OrgStatus

pytestmark = pytest.mark.django_db


def rule_ids(org, today):
    return {f.finding.rule_id for f in org_rules.findings_for([org], today)}


@pytest.mark.parametrize(("full", "too_few"), [(2, True), (3, False), (4, False)])
def test_a_branch_needs_three_full_members(tree, make_member, frozen_today, full, too_few):
    for n in range(full):
        make_member(tree["branch_a"], name=f"党员{n}")
    make_member(
        tree["branch_a"], name="预备党员", category="probationary", converted_on=None, joined_on=frozen_today
    )
    assert ("org.too_few_full_members" in rule_ids(tree["branch_a"], frozen_today)) is too_few


def test_suspended_members_do_not_count(tree, make_member, frozen_today, system_actor):
    from dangjian.members import services

    members = [make_member(tree["branch_a"], name=f"党员{n}") for n in range(3)]
    assert "org.too_few_full_members" not in rule_ids(tree["branch_a"], frozen_today)
    services.record_event(system_actor, members[0], kind="suspended", occurred_on=frozen_today)
    assert "org.too_few_full_members" in rule_ids(tree["branch_a"], frozen_today)


def test_an_org_with_members_on_its_roll_cannot_be_dissolved(tree, make_member, system_actor, frozen_today):
    make_member(tree["branch_a"])
    with pytest.raises(ServiceError, match="还有1人"):
        org_services.dissolve_org(system_actor, tree["branch_a"], reason="撤并")
    tree["branch_a"].refresh_from_db()
    assert tree["branch_a"].status == OrgStatus.ACTIVE


def test_a_merge_takes_the_members_along(tree, make_member, system_actor, frozen_today):
    other = org_services.create_org(
        system_actor, parent=tree["town_a"], name="甲村第二党支部", kind="branch", code="A7"
    )
    member = make_member(other)
    org_services.merge_org(system_actor, other, tree["branch_a"])
    member = Member.objects.get(pk=member.pk)
    assert member.org_id == tree["branch_a"].pk
    event = member.events.get(kind=MemberEventKind.CHANGED, details__reason="党组织合并")
    assert event.org_id == tree["branch_a"].pk
    assert AuditEntry.objects.get(action="member.merge_move").after["members"] == 1
