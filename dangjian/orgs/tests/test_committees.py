"""Committees and terms: elections end the previous committee, by-elections, departures, appointments."""

from datetime import date

import pytest
import time_machine

from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Committee, CommitteeMember, OrgEvent, OrgEventKind

pytestmark = pytest.mark.django_db

SECRETARY = {"post": "secretary", "name": "王书记"}
COMMITTEE = [
    SECRETARY,
    {"post": "organization_member", "name": "赵组织"},
    {"post": "publicity_member", "name": "钱宣传"},
    {"post": "discipline_member", "name": "孙纪检"},
]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(date(2026, 6, 15), tick=False):
        yield


@pytest.fixture
def school_branch(tree, system_actor):
    return services.create_org(
        system_actor,
        parent=tree["county_a"],
        name="甲县一中党支部",
        kind="branch",
        code="S1",
        sector="school",
    )


def test_an_election_records_the_committee_its_term_and_an_event(school_branch, county_admin, actor_for):
    committee = services.elect_committee(
        actor_for(county_admin),
        school_branch,
        elected_on=date(2025, 9, 1),
        members=COMMITTEE,
        number=3,
        seats=5,
        document_number="甲教党〔2025〕8号",
    )
    assert (committee.started_on, committee.ends_on, committee.number) == (
        date(2025, 9, 1),
        date(2028, 9, 1),
        3,
    )
    assert [(m.post, m.name, m.member_id) for m in committee.members.order_by("pk")][1] == (
        "organization_member",
        "赵组织",
        None,
    )
    event = OrgEvent.objects.get(org=school_branch, kind=OrgEventKind.RE_ELECTED)
    assert event.occurred_on == date(2025, 9, 1) and event.document_number == "甲教党〔2025〕8号"
    assert event.details["number"] == 3 and "书记 王书记" in event.details["members"]
    entry = AuditEntry.objects.get(action="committee.elect")
    assert entry.after["ends_on"] == "2028-09-01" and entry.actor == county_admin


def test_a_re_election_ends_the_previous_committee_and_counts_on(school_branch, system_actor):
    first = services.elect_committee(
        system_actor, school_branch, elected_on=date(2022, 9, 1), members=COMMITTEE, number=2
    )
    second = services.elect_committee(
        system_actor,
        school_branch,
        elected_on=date(2025, 9, 1),
        members=[{"post": "secretary", "name": "周书记"}],
    )
    first.refresh_from_db()
    assert first.ended_on == date(2025, 9, 1) and second.number == 3 and second.is_current
    assert set(first.members.values_list("ended_on", "end_reason")) == {(date(2025, 9, 1), "换届")}
    assert Committee.objects.current().get(org=school_branch) == second


def test_village_terms_are_five_years(tree, system_actor):
    committee = services.elect_committee(
        system_actor, tree["branch_a"], elected_on=date(2021, 5, 1), members=[SECRETARY]
    )
    assert committee.ends_on == date(2026, 5, 1)


@pytest.mark.parametrize(
    ("ends_on", "accepted"),
    [
        (date(2029, 9, 1), True),
        (date(2027, 9, 1), True),
        (date(2029, 9, 3), False),
        (date(2025, 9, 1), False),
    ],
)
def test_a_term_may_be_set_at_most_a_year_off_the_rule(school_branch, system_actor, ends_on, accepted):
    call = lambda: services.elect_committee(  # noqa: E731
        system_actor, school_branch, elected_on=date(2025, 9, 1), members=[SECRETARY], ends_on=ends_on
    )
    if accepted:
        assert call().ends_on == ends_on
    else:
        with pytest.raises(ServiceError) as caught:
            call()
        assert caught.value.field == "ends_on"


@pytest.mark.parametrize(
    ("members", "seats", "message"),
    [
        ([SECRETARY, SECRETARY], None, "只能有一名书记"),
        ([{"post": "chairman", "name": "x"}], None, "职务“chairman”无效"),
        ([{"post": "member", "name": " "}], None, "姓名不能为空"),
        (COMMITTEE, 3, "职数3名少于当选的4人"),
    ],
)
def test_bad_committees_are_refused(school_branch, system_actor, members, seats, message):
    with pytest.raises(ServiceError, match=message):
        services.elect_committee(
            system_actor, school_branch, elected_on=date(2025, 9, 1), members=members, seats=seats
        )
    assert not Committee.objects.exists() and not OrgEvent.objects.filter(kind="re_elected").exists()


def test_an_election_cannot_predate_the_sitting_committee(school_branch, system_actor):
    services.elect_committee(system_actor, school_branch, elected_on=date(2025, 9, 1), members=[SECRETARY])
    with pytest.raises(ServiceError, match="不能早于现任班子"):
        services.elect_committee(
            system_actor, school_branch, elected_on=date(2024, 9, 1), members=[SECRETARY]
        )


def test_an_election_needs_a_role_at_the_org(tree, outsider, actor_for):
    with pytest.raises(NotPermitted):
        services.elect_committee(
            actor_for(outsider), tree["branch_a"], elected_on=date(2025, 1, 1), members=[]
        )


def test_a_by_election_fills_a_vacated_post(school_branch, system_actor):
    committee = services.elect_committee(
        system_actor, school_branch, elected_on=date(2025, 9, 1), members=COMMITTEE
    )
    leaving = committee.members.get(post="publicity_member")
    services.end_committee_member(system_actor, leaving, ended_on=date(2026, 3, 1), reason="工作调动")
    with pytest.raises(ServiceError, match="现任书记王书记尚未离任"):
        services.add_committee_member(
            system_actor, committee, post="secretary", name="新书记", started_on=date(2026, 4, 1)
        )
    filled = services.add_committee_member(
        system_actor, committee, post="publicity_member", name="吴宣传", started_on=date(2026, 4, 1)
    )
    assert filled.origin == "by_election"
    changes = OrgEvent.objects.filter(org=school_branch, kind=OrgEventKind.COMMITTEE_CHANGED).order_by("pk")
    assert [(e.details["action"], e.details["name"]) for e in changes] == [
        ("left", "钱宣传"),
        ("by_election", "吴宣传"),
    ]
    assert sorted(
        CommitteeMember.objects.current().filter(committee=committee).values_list("name", flat=True)
    ) == [
        "吴宣传",
        "孙纪检",
        "王书记",
        "赵组织",
    ]


def test_a_departure_is_dated_and_explained(school_branch, system_actor):
    committee = services.elect_committee(
        system_actor, school_branch, elected_on=date(2025, 9, 1), members=COMMITTEE
    )
    holder = committee.members.get(post="secretary")
    with pytest.raises(ServiceError, match="离任日期不能早于任职日期"):
        services.end_committee_member(system_actor, holder, ended_on=date(2025, 8, 1), reason="调动")
    with pytest.raises(ServiceError, match="离任原因不能为空"):
        services.end_committee_member(system_actor, holder, ended_on=date(2026, 1, 1), reason="")
    services.end_committee_member(system_actor, holder, ended_on=date(2026, 1, 1), reason="退休")
    with pytest.raises(ServiceError, match="已于2026年1月1日离任"):
        services.end_committee_member(system_actor, holder, ended_on=date(2026, 1, 2), reason="退休")


# --- temporary branches: appointed, never elected -------------------------------------------------------


@pytest.fixture
def temporary(tree, system_actor):
    return services.create_org(
        system_actor,
        parent=tree["town_a"],
        name="甲镇项目临时党支部",
        kind="temporary_branch",
        code="T1",
        temporary_purpose="重点项目建设",
        temporary_until=date(2026, 12, 31),
    )


def test_a_temporary_branch_holds_no_election(temporary, system_actor):
    with pytest.raises(ServiceError, match="临时党支部不能选举") as caught:
        services.elect_committee(system_actor, temporary, elected_on=date(2026, 3, 1), members=[SECRETARY])
    assert caught.value.details["rule"] == "org.temporary_no_election"


def test_the_org_above_appoints_the_officers_of_a_temporary_branch(temporary, tree, county_admin, actor_for):
    committee = services.appoint_committee(
        actor_for(county_admin), temporary, appointed_on=date(2026, 3, 1), members=[SECRETARY]
    )
    assert committee.origin == "appointed" and committee.ends_on == date(2026, 12, 31)
    assert committee.members.get().origin == "appointed"
    assert temporary.events.filter(kind=OrgEventKind.COMMITTEE_CHANGED).get().details["action"] == "appointed"
    with pytest.raises(ServiceError, match="临时党支部不能选举"):
        services.add_committee_member(
            actor_for(county_admin), committee, post="member", name="补选", started_on=date(2026, 4, 1)
        )
    added = services.add_committee_member(
        actor_for(county_admin),
        committee,
        post="member",
        name="指定委员",
        started_on=date(2026, 4, 1),
        origin="appointed",
    )
    assert added.origin == "appointed"


def test_only_temporary_branches_get_appointed_committees(tree, system_actor):
    with pytest.raises(ServiceError, match="只有临时党支部由上级指定"):
        services.appoint_committee(
            system_actor, tree["branch_a"], appointed_on=date(2026, 3, 1), members=[SECRETARY]
        )
