"""Helpers for the recruitment tests: an applicant, full members to choose as mentors and sponsors, and a
case walked through the services step by step with dates that satisfy every rule of the 2014 set."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.members import services as member_services
from dangjian.members.tests.conftest import id_number
from dangjian.recruitment import services
from dangjian.recruitment.rules import VoteCount

TODAY = date(2026, 3, 1)

# A date for every step that keeps every 2014 rule (probation ends 2025-05-10).
GOOD_DATES = {
    1: date(2023, 1, 5),
    2: date(2023, 1, 20),
    3: date(2023, 3, 10),
    4: date(2023, 3, 15),
    5: date(2023, 3, 20),
    6: date(2023, 4, 1),
    7: date(2024, 3, 10),
    8: date(2024, 3, 15),
    9: date(2024, 3, 20),
    10: date(2024, 4, 1),
    11: date(2024, 4, 10),
    12: date(2024, 4, 20),
    13: date(2024, 5, 1),
    14: date(2024, 5, 5),
    15: date(2024, 5, 10),
    16: date(2024, 5, 20),
    17: date(2024, 6, 10),
    18: date(2024, 6, 20),
    19: date(2024, 6, 25),
    20: date(2024, 7, 1),
    21: date(2024, 7, 10),
    22: date(2025, 4, 10),
    23: date(2025, 5, 10),
    24: date(2025, 6, 1),
    25: date(2025, 6, 10),
}
PASSING_VOTE = VoteCount(should_attend=9, present=7, yes=7, no=0, abstain=0)


@pytest.fixture
def frozen_today():
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield TODAY


@pytest.fixture
def people(tree, system_actor, frozen_today):
    """``people(org, category, **fields)``: a member made by the member services, a new ID number each time."""
    counter = iter(range(1, 999))

    def make(org=None, category="full", **fields):
        birth = fields.pop("birth_date", date(1980, 5, 6))
        data = {
            "name": fields.pop("name", f"党员{next(counter)}"),
            "id_number": id_number(birth, next(counter)),
            "category": category,
            "education": "bachelor",
            "occupation": "worker",
        }
        if category in ("full", "probationary"):
            data["joined_on"] = date(2010, 7, 1)
        if category == "full":
            data["converted_on"] = date(2011, 7, 1)
        if category == "applicant":
            data["applied_on"] = fields.pop("applied_on", GOOD_DATES[1])
        data.update(fields)
        return member_services.create_member(system_actor, org=org or tree["branch_a"], **data)

    return make


@pytest.fixture
def sponsors(tree, people):
    return [people(name="介绍人甲"), people(name="介绍人乙")]


def step_kwargs(number: int, on: date, sponsors) -> dict:
    kwargs = {"occurred_on": on, "done_by": "甲村党支部", "document_number": f"甲支〔{on.year}〕{number}号"}
    if number in (5, 9):
        kwargs["people"] = sponsors if number == 9 else sponsors[:1]
    if number == 10:
        kwargs["details"] = {"conclusion": "政治审查合格"}
    if number == 11:
        kwargs["details"] = {"training_days": 3, "training_hours": 24}
    if number in (15, 23):
        kwargs["vote"] = PASSING_VOTE
    return kwargs


@pytest.fixture
def walk(tree, people, sponsors, system_actor, frozen_today):
    """``walk(to_step, dates={...}, actor=None)``: a new applicant's case taken through steps 1..to_step."""

    def do(to_step: int, dates: dict | None = None, actor=None, org=None, **person):
        on = {**GOOD_DATES, **(dates or {})}
        actor = actor or system_actor
        member = people(org or tree["branch_a"], "applicant", name=person.pop("name", "申请人"), **person)
        case = services.open_case(actor, member, applied_on=on[1], done_by="本人")
        for number in range(2, to_step + 1):
            services.record_step(actor, case, number, **step_kwargs(number, on[number], sponsors))
        case.refresh_from_db()
        return case

    return do
