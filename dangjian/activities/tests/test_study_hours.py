"""Study hours per member per year, against 32 (56 for secretaries and committee members)."""

from datetime import date
from decimal import Decimal

from dangjian.activities import queries, services


def test_study_hours_add_up_activities_attended_and_classes(
    frozen_today, tree, branch_members, system_actor, dept_admin
):
    branch = tree["branch_a"]
    first, second = branch_members[0], branch_members[1]
    meeting = services.record_activity(
        system_actor,
        org=branch,
        kind="study_session",
        held_on=date(2025, 10, 1),
        topic="学习",
        study_hours="4",
    )
    services.mark_attendance(system_actor, meeting, {first.pk: "present", second.pk: ("on_leave", "病假")})
    services.create_training_class(
        system_actor,
        org=branch,
        title="培训班",
        started_on=date(2025, 10, 2),
        ended_on=date(2025, 10, 4),
        hours="28",
        trainees=[first.pk],
    )
    rows = {r.member.pk: r for r in queries.study_hours(dept_admin, tree["city"], 2025)}
    assert rows[first.pk].total == Decimal("32.0") and not rows[first.pk].below  # exactly the minimum
    assert rows[second.pk].total == Decimal("0") and rows[second.pk].below
    assert queries.study_hours(dept_admin, tree["city"], 2024)[0].total == 0


def test_committee_members_need_56(frozen_today, tree, branch_members, system_actor, dept_admin):
    from dangjian.orgs import services as org_services

    first = branch_members[0]
    org_services.elect_committee(
        system_actor,
        tree["branch_a"],
        elected_on=date(2024, 5, 1),
        members=[
            {"post": "secretary", "member_id": first.pk},
            {"post": "member", "name": "委员"},
            {"post": "member", "name": "委员二"},
        ],
    )
    services.create_training_class(
        system_actor,
        org=tree["branch_a"],
        title="培训班",
        started_on=date(2025, 10, 2),
        ended_on=date(2025, 10, 4),
        hours="40",
        trainees=[first.pk],
    )
    row = next(r for r in queries.study_hours(dept_admin, tree["city"], 2025) if r.member.pk == first.pk)
    assert row.minimum == 56 and row.below
