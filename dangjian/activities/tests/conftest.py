"""Helpers for the activities tests: members made through the members' services, a frozen today."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.members import services as member_services
from dangjian.members.rules import check_character

TODAY = date(2025, 10, 15)
ZONE = ZoneInfo("Asia/Shanghai")


def id_number(birth: date, sequence: int) -> str:
    first17 = f"440524{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


@pytest.fixture
def frozen_today():
    with time_machine.travel(datetime(2025, 10, 15, 10, 0, tzinfo=ZONE), tick=False):
        yield TODAY


@pytest.fixture
def make_member(system_actor):
    """``make_member(org, name, category="full")``: a member of record made by the members' services."""
    counter = iter(range(1, 999))

    def make(org, name="党员", category="full", **fields):
        data = {
            "name": name,
            "id_number": id_number(date(1980, 5, 6), next(counter)),
            "category": category,
            "joined_on": date(2010, 7, 1),
            "converted_on": date(2011, 7, 1) if category == "full" else None,
        }
        data.update(fields)
        return member_services.create_member(system_actor, org=org, **data)

    return make


@pytest.fixture
def branch_members(tree, make_member):
    """Five members of 甲村党支部: four full, one probationary."""
    branch = tree["branch_a"]
    return [make_member(branch, f"党员{i}") for i in range(1, 5)] + [
        make_member(branch, "预备党员", category="probationary", converted_on=None)
    ]
