"""Helpers for the member tests: valid ID numbers and members made through the services."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.members import services
from dangjian.members.rules import check_character

TODAY = date(2026, 3, 1)


def id_number(birth: date, sequence: int = 1, area: str = "440524") -> str:
    """A valid 18-character number: odd sequence for a man, even for a woman."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


@pytest.fixture
def frozen_today():
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield TODAY


@pytest.fixture
def make_member(system_actor, frozen_today):
    """``make_member(org, **fields)``: a full member by default, born 1980-05-06, made by the services."""
    counter = iter(range(1, 999, 2))

    def make(org, actor=None, **fields):
        birth = fields.get("birth_date") or date(1980, 5, 6)
        sequence = fields.pop("sequence", next(counter))
        data = {
            "name": "张三",
            "id_number": id_number(birth, sequence),
            "category": "full",
            "joined_on": date(2010, 7, 1),
            "converted_on": date(2011, 7, 1),
            "phone": "13812345678",
            "address": "广东省深圳市南山区科技园路1号",
            "education": "bachelor",
            "occupation": "professional",
        }
        data.update(fields)
        return services.create_member(actor or system_actor, org=org, **data)

    return make
