"""A small hand-built population with known answers for the indicator tests (today: 1 March 2026).

甲县委 ─ 甲镇党委 (本级: 王预备, admitted 2025-06-01) ─ 甲村党支部: 张年末 (born 1995-12-31), 李年初
(born 1995-01-01), 赵三十一 (born 1994-12-31, 壮族), 钱在途 (letter to 乙社区党支部 in transit),
孙转入 (transferred from 乙社区党支部, accepted 2025-08-01), an applicant (not a party member)
乙县委 ─ 乙社区党支部: 周出党 (withdrew 2025-05-01), 吴女 (female, retired)
"""

from datetime import date

import pytest

from dangjian.members import services
from dangjian.members.tests.conftest import frozen_today, id_number  # noqa: F401 (fixture)
from dangjian.reports.registry import Period

YEAR_2025 = Period.year(2025)


@pytest.fixture
def population(tree, system_actor, frozen_today):  # noqa: F811
    counter = iter(range(1, 999, 2))

    def make(org, name, birth=date(1980, 5, 6), **fields):
        data = {
            "name": name,
            # An odd sequence number for a man, even for a woman (GB 11643-1999).
            "id_number": id_number(birth, next(counter) + (fields.get("sex") == "female")),
            "birth_date": birth,
            "category": "full",
            "joined_on": date(2018, 7, 1),
            "converted_on": date(2019, 7, 1),
            "education": "bachelor",
            "occupation": "professional",
            "sex": "male",
        }
        data.update(fields)
        return services.create_member(system_actor, org=org, **data)

    a, b, town = tree["branch_a"], tree["branch_b"], tree["town_a"]
    people = {
        "year_end": make(a, "张年末", date(1995, 12, 31)),
        "new_year": make(a, "李年初", date(1995, 1, 1), sex="female", education="college"),
        "thirty_one": make(a, "赵三十一", date(1994, 12, 31), ethnicity="壮族", occupation="worker"),
        "in_transit": make(a, "钱在途", date(1970, 3, 3)),
        "moving_in": make(
            b, "孙转入", date(1960, 3, 3), joined_on=date(1985, 1, 1), converted_on=date(1986, 1, 1)
        ),
        "exited": make(
            b, "周出党", date(1950, 3, 3), joined_on=date(1975, 1, 1), converted_on=date(1976, 1, 1)
        ),
        "woman": make(
            b,
            "吴女",
            date(1925, 3, 3),
            sex="female",
            occupation="retired",
            joined_on=date(1948, 1, 1),
            converted_on=date(1949, 1, 1),
        ),
        "applicant": make(
            a, "郑申请", date(2000, 3, 3), category="applicant", joined_on=None, converted_on=None
        ),
        "admitted": make(
            town,
            "王预备",
            date(1990, 1, 1),
            category="candidate",
            joined_on=None,
            converted_on=None,
            applied_on=date(2023, 1, 1),
        ),
    }
    services.record_event(system_actor, people["admitted"], "admitted", occurred_on=date(2025, 6, 1))
    services.record_event(
        system_actor, people["exited"], "exited", occurred_on=date(2025, 5, 1), details={"reason": "withdrew"}
    )
    services.issue_transfer(
        system_actor, people["in_transit"], letter_number="T1", to_org=b, issued_on=date(2026, 2, 1)
    )
    moving = services.issue_transfer(
        system_actor, people["moving_in"], letter_number="T2", to_org=a, issued_on=date(2025, 7, 1)
    )
    services.accept_transfer(system_actor, moving, accepted_on=date(2025, 8, 1))
    return people


@pytest.fixture
def api(client, actor_for):
    from dangjian.accounts import services as account_services

    def for_user(user):
        _, raw = account_services.issue_token(actor_for(user, "api"))

        def get(url, **params):
            return client.get(f"/api/v1{url}", params, HTTP_AUTHORIZATION=f"Bearer {raw}")

        return get

    return for_user
