"""The 2026 revision is off by default; switched on from a date, it applies to steps dated from then on."""

from datetime import date

import pytest

from dangjian.core.audit import Actor
from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.recruitment import rules, services
from dangjian.recruitment.tests.conftest import GOOD_DATES, step_kwargs

pytestmark = pytest.mark.django_db


def pre_review(case, on, sponsors, **details):
    kwargs = step_kwargs(13, on, sponsors)
    return services.record_step(Actor.command("test"), case, 13, **kwargs, details=details)


def test_the_2026_set_is_off_by_default():
    assert rules.sets_in_force(date(2026, 6, 1), {}) == ["2014"]


def test_only_a_top_level_department_admin_switches(dept_admin, county_admin, actor_for):
    with pytest.raises(NotPermitted):
        services.switch_rule_set(
            actor_for(county_admin), "2026", active=True, effective_from=date(2024, 5, 1)
        )
    with pytest.raises(ServiceError, match="生效日期"):
        services.switch_rule_set(actor_for(dept_admin), "2026", active=True)
    services.switch_rule_set(actor_for(dept_admin), "2026", active=True, effective_from=date(2024, 5, 1))
    assert AuditEntry.objects.filter(action="recruitment.rule_set", actor=dept_admin).exists()
    assert rules.sets_in_force(date(2024, 4, 30), services.current_switches()) == ["2014"]
    assert rules.sets_in_force(date(2024, 5, 1), services.current_switches()) == ["2014", "2026"]
    services.switch_rule_set(actor_for(dept_admin), "2026", active=False)
    assert rules.sets_in_force(date(2024, 5, 1), services.current_switches()) == ["2014"]


@pytest.mark.parametrize("day, refused", [(date(2024, 4, 30), False), (date(2024, 5, 1), True)])
def test_the_revision_applies_by_the_date_of_the_step(walk, sponsors, system_actor, day, refused):
    services.switch_rule_set(system_actor, "2026", active=True, effective_from=date(2024, 5, 1))
    case = walk(12)
    if refused:
        with pytest.raises(ServiceError, match="请填写公示开始和结束日期"):
            pre_review(case, day, sponsors)
    else:
        step = pre_review(case, day, sponsors)
        assert step.rule_sets == ["2014"]


@pytest.mark.parametrize(
    "start, end, refused",
    [
        (date(2024, 4, 22), date(2024, 4, 26), False),
        (date(2024, 4, 23), date(2024, 4, 29), False),
        (date(2024, 4, 23), date(2024, 4, 26), True),
    ],
)
def test_publicity_lasts_five_working_days(walk, sponsors, system_actor, start, end, refused):
    services.switch_rule_set(system_actor, "2026", active=True, effective_from=date(2024, 1, 1))
    case = walk(12)
    if refused:
        with pytest.raises(ServiceError, match="共4个工作日"):
            pre_review(case, GOOD_DATES[13], sponsors, publicity_from=start, publicity_to=end)
    else:
        step = pre_review(case, GOOD_DATES[13], sponsors, publicity_from=start, publicity_to=end)
        assert step.rule_sets == ["2014", "2026"]


@pytest.mark.parametrize("day, refused", [(date(2024, 6, 1), False), (date(2024, 6, 2), True)])
def test_the_meeting_follows_the_pre_review_within_a_month(walk, sponsors, system_actor, day, refused):
    services.switch_rule_set(system_actor, "2026", active=True, effective_from=date(2024, 1, 1))
    case = walk(12)
    pre_review(
        case, date(2024, 5, 1), sponsors, publicity_from=date(2024, 4, 22), publicity_to=date(2024, 4, 26)
    )
    services.record_step(system_actor, case, 14, **step_kwargs(14, date(2024, 5, 2), sponsors))
    kwargs = step_kwargs(15, day, sponsors)
    if refused:
        with pytest.raises(ServiceError, match="应在1个月内\\(至2024年6月1日\\)召开|至2024年6月1日"):
            services.record_step(system_actor, case, 15, **kwargs)
    else:
        services.record_step(system_actor, case, 15, **kwargs)
