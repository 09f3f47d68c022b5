"""The member list's exact count, added up org by org, against the rows it numbers (queries.Listing)."""

from datetime import date

import pytest
from django.urls import reverse

from dangjian.accounts import services as account_services
from dangjian.accounts.models import RoleAssignment
from dangjian.accounts.roles import Role
from dangjian.members import queries, services
from dangjian.members.models import MemberTag

FILTERS = [
    queries.MemberFilters(),
    queries.MemberFilters(roll="all"),
    queries.MemberFilters(roll="off"),
    queries.MemberFilters(category="probationary"),
    queries.MemberFilters(tag="veteran"),
    queries.MemberFilters(q="李"),
    queries.MemberFilters(q="zs", sort="name"),
]


@pytest.fixture
def spread(tree, make_member, system_actor):
    """Members at every level of both counties, some off the roll, one in a ledger."""
    veteran = MemberTag.objects.get(code="veteran")
    make_member(tree["branch_a"], name="张三", tags=[veteran])
    make_member(
        tree["branch_a"], name="李四", category="probationary", joined_on=date(2025, 7, 1), converted_on=None
    )
    make_member(tree["town_a"], name="张三丰")
    make_member(tree["county_a"], name="李五")
    make_member(tree["branch_b"], name="赵六")
    make_member(tree["city"], name="钱七")
    gone = make_member(tree["branch_a"], name="李去")
    services.record_event(system_actor, gone, "deceased", occurred_on=date(2026, 1, 2))
    gone_b = make_member(tree["branch_b"], name="孙去")
    services.record_event(system_actor, gone_b, "deceased", occurred_on=date(2026, 1, 2))


@pytest.mark.parametrize("persona", ["dept_admin", "county_admin", "secretary", "member_user", "outsider"])
@pytest.mark.parametrize("within", [None, "city", "county_a", "town_a", "branch_a", "branch_b"])
def test_the_count_is_the_number_of_rows(spread, tree, persona, within, request):
    user = request.getfixturevalue(persona)
    today = date(2026, 6, 1)
    for filters in FILTERS:
        listing = queries.listing(user, tree[within] if within else None, filters, today)
        rows = list(listing.rows)
        assert listing.count() == len(rows) == listing.rows.count(), (filters, [m.name for m in rows])


def test_overlapping_scopes_count_each_member_once(spread, tree, county_admin):
    RoleAssignment.objects.create(user=county_admin, org=tree["branch_a"], role=Role.SECRETARY)
    RoleAssignment.objects.create(user=county_admin, org=tree["branch_b"], role=Role.MEMBER)
    county_admin._party_scopes = None
    listing = queries.listing(county_admin, None, queries.MemberFilters(), date(2026, 6, 1))
    assert sorted(m.name for m in listing.rows) == ["张三", "张三丰", "李五", "李四", "赵六"]
    assert listing.count() == 5


def test_the_page_and_the_api_show_the_exact_count(spread, tree, login, dept_admin, client, actor_for):
    page = login(dept_admin).get(reverse("members:list"), {"within": tree["county_a"].pk})
    assert page.context["page_obj"].paginator.count == 4
    assert sorted(m.name for m in page.context["page_obj"]) == ["张三", "张三丰", "李五", "李四"]
    _, raw = account_services.issue_token(actor_for(dept_admin, "api"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = client.get("/api/v1/members", {"roll": "all", "limit": 2}, **headers).json()
    assert body["count"] == 8 and len(body["items"]) == 2 and "offset=2" in body["next"]
    body = client.get("/api/v1/members", {"within": tree["branch_b"].pk, "roll": "off"}, **headers).json()
    assert body["count"] == 1 and [m["name"] for m in body["items"]] == ["孙去"] and body["next"] is None
