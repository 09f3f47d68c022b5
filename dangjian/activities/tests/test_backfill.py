"""No back-filling: older records need a supervisor's unlock, which is audited."""

from datetime import date, timedelta

import pytest

from dangjian.activities import services
from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.core.models import AuditEntry

TODAY = date(2025, 10, 15)


def record(actor, org, day):
    return services.record_activity(actor, org=org, kind="theme_day", held_on=day, topic="主题党日")


def test_the_window_boundary(frozen_today, tree, secretary, actor_for):
    actor = actor_for(secretary)
    record(actor, tree["branch_a"], TODAY - timedelta(days=30))  # the last day allowed
    with pytest.raises(ServiceError, match="须由上级党组织解锁后补录"):
        record(actor, tree["branch_a"], TODAY - timedelta(days=31))


def test_a_plan_is_never_late_but_marking_an_old_meeting_is(
    frozen_today, tree, branch_members, secretary, actor_for, settings
):
    activity = record(actor_for(secretary), tree["branch_a"], TODAY - timedelta(days=10))
    settings.ACTIVITY_BACKFILL_DAYS = 5
    with pytest.raises(ServiceError, match="解锁"):
        services.mark_attendance(actor_for(secretary), activity, {branch_members[0].pk: "present"})


def test_only_an_upper_org_unlocks_and_it_is_audited(frozen_today, tree, secretary, county_admin, actor_for):
    branch = tree["branch_a"]
    with pytest.raises(NotPermitted):
        services.grant_unlock(
            actor_for(secretary), branch, earliest=date(2025, 8, 1), valid_until=TODAY, reason="补录"
        )
    unlock = services.grant_unlock(
        actor_for(county_admin),
        branch,
        earliest=date(2025, 8, 1),
        valid_until=TODAY + timedelta(days=7),
        reason="系统故障补录",
    )
    assert AuditEntry.objects.filter(action="activities.unlock", object_id=str(unlock.pk)).exists()
    record(actor_for(secretary), branch, date(2025, 8, 1))
    with pytest.raises(ServiceError, match="解锁"):
        record(actor_for(secretary), branch, date(2025, 7, 31))


def test_an_unlock_expires(frozen_today, tree, secretary, county_admin, actor_for, time_machine):
    branch = tree["branch_a"]
    services.grant_unlock(
        actor_for(county_admin), branch, earliest=date(2025, 8, 1), valid_until=TODAY, reason="补录"
    )
    time_machine.move_to(date(2025, 10, 16))
    with pytest.raises(ServiceError, match="解锁"):
        record(actor_for(secretary), branch, date(2025, 8, 20))


def test_the_unlock_page(frozen_today, tree, secretary, county_admin, login):
    branch = tree["branch_a"]
    assert login(secretary).get(f"/activities/compliance/{branch.pk}/unlock/").status_code == 403
    client = login(county_admin)
    response = client.post(
        f"/activities/compliance/{branch.pk}/unlock/",
        {"earliest": "2025-07-01", "valid_until": "2025-10-20", "reason": "上级检查前补录"},
    )
    assert response.status_code == 302
    assert "上级检查前补录" in client.get(f"/activities/compliance/{branch.pk}/").content.decode()
