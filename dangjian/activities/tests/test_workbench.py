"""The workbench reminder (issue 6 item 8): required activities of the user's org not yet held or planned
for the current period, shown through core's workbench hooks (core does not import activities)."""

from datetime import date
from pathlib import Path

import pytest

from dangjian.activities import queries, services
from dangjian.core import workbench

pytestmark = pytest.mark.django_db


def test_the_secretary_sees_what_is_not_planned(
    frozen_today, tree, branch_members, secretary, login, actor_for
):
    client = login(secretary)
    page = client.get("/").content.decode()
    assert 'id="activities-unplanned"' in page
    assert "2025年第4季度支部党员大会:要求1次,已开展0次、已计划0次" in page
    assert f"/activities/new/?org={tree['branch_a'].pk}&kind=general_meeting" in page
    # Planning the meeting (a date ahead) takes it off the list; the month's theme day stays.
    services.record_activity(
        actor_for(secretary),
        org=tree["branch_a"],
        kind="general_meeting",
        held_on=date(2025, 11, 20),
        topic="第四季度党员大会",
        status="planned",
    )
    page = client.get("/").content.decode()
    assert "2025年第4季度支部党员大会" not in page
    assert "2025年10月主题党日" in page


def test_nothing_to_plan_shows_no_block(frozen_today, tree, secretary, system_actor):
    branch = tree["branch_a"]
    found = queries.workbench_unplanned(secretary, branch)
    assert "general_meeting" in {i["kind_code"] for i in found["items"]}
    for r in queries.unplanned_for(branch, frozen_today):
        services.record_activity(
            system_actor,
            org=branch,
            kind=r.kind_code,
            held_on=max(r.period.start, frozen_today),
            topic="计划",
            status="planned",
        )
    assert queries.unplanned_for(branch, frozen_today) == []
    assert queries.workbench_unplanned(secretary, branch) is None


def test_a_period_over_is_no_longer_to_be_planned(tree, secretary):
    import time_machine

    # On 30 September the third quarter's meeting is still to be planned; on 1 October it is the fourth's.
    with time_machine.travel(date(2025, 9, 30), tick=False):
        labels = [r.period.label for r in queries.unplanned_for(tree["branch_a"], date(2025, 9, 30))]
        assert "2025年第3季度" in labels
    with time_machine.travel(date(2025, 10, 1), tick=False):
        labels = [r.period.label for r in queries.unplanned_for(tree["branch_a"], date(2025, 10, 1))]
        assert "2025年第3季度" not in labels and "2025年第4季度" in labels


def test_the_outsider_sees_no_block_for_a_hidden_org(frozen_today, tree, outsider):
    assert queries.workbench_unplanned(outsider, tree["branch_a"]) is None


def test_core_reaches_activities_only_through_the_registry():
    assert queries.workbench_unplanned in workbench._blocks
    core = Path(workbench.__file__).parent
    for source in core.glob("*.py"):
        assert "dangjian.activities" not in source.read_text(encoding="utf-8"), source
