"""Helpers for the dues tests: members and bases made through the services, on a frozen day."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.dues import services
from dangjian.members import services as member_services
from dangjian.members.rules import check_character

TODAY = date(2026, 11, 15)


def id_number(birth: date, sequence: int) -> str:
    first17 = f"440524{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


@pytest.fixture
def frozen_today():
    with time_machine.travel(datetime(2026, 11, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield TODAY


@pytest.fixture
def make_member(system_actor, frozen_today):
    """``make_member(org, base="4000", **fields)``: a full member with an in-service base from 2020-01."""
    counter = iter(range(1, 999, 2))

    def make(
        org, base: str | None = "4000.00", member_type="in_service", base_from=date(2020, 1, 1), **fields
    ):
        data = {
            "name": "李四",
            "sex": "male",
            "birth_date": date(1980, 5, 6),
            "category": "full",
            "joined_on": date(2010, 7, 1),
            "converted_on": date(2011, 7, 1),
        }
        data.update(fields)
        data["id_number"] = id_number(data["birth_date"], next(counter))
        member = member_services.create_member(system_actor, org=org, **data)
        if base is not None:
            services.declare_base(
                system_actor, member, member_type=member_type, effective_month=base_from, base=Decimal(base)
            )
        return member

    return make
