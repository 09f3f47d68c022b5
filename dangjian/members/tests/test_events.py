"""Member events: each one's effect on category and status, its preconditions, dates and audit entry."""

from datetime import date

import pytest

from dangjian.core.errors import NotPermitted, ServiceError
from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import Member, MemberEvent, Mobility

from .conftest import id_number

# kind, starting fields, details, expected (category, status, on_roll, exit_reason)
EFFECTS = [
    (
        "activist_confirmed",
        {"category": "applicant", "applied_on": date(2024, 1, 5)},
        {},
        ("activist", "normal", True, ""),
    ),
    ("candidate_confirmed", {"category": "activist"}, {}, ("candidate", "normal", True, "")),
    ("admitted", {"category": "candidate"}, {}, ("probationary", "normal", True, "")),
    (
        "converted",
        {"category": "probationary", "converted_on": None, "joined_on": date(2025, 2, 1)},
        {},
        ("full", "normal", True, ""),
    ),
    (
        "probation_extended",
        {"category": "probationary", "converted_on": None, "joined_on": date(2025, 6, 1)},
        {"months": 6},
        ("probationary", "normal", True, ""),
    ),
    (
        "probation_cancelled",
        {"category": "probationary", "converted_on": None, "joined_on": date(2025, 6, 1)},
        {},
        ("probationary", "exited", False, "probation_cancelled"),
    ),
    (
        "moved_away",
        {},
        {"destination": "广东省东莞市", "mobility_card_number": "LD001"},
        ("full", "mobile", True, ""),
    ),
    ("went_abroad", {}, {}, ("full", "abroad", True, "")),
    ("returned", {"status": "mobile"}, {}, ("full", "normal", True, "")),
    ("returned", {"status": "abroad"}, {}, ("full", "normal", True, "")),
    ("lost_contact", {}, {}, ("full", "lost_contact", True, "")),
    ("found", {"status": "lost_contact"}, {}, ("full", "normal", True, "")),
    ("suspended", {"status": "lost_contact"}, {}, ("full", "suspended", True, "")),
    ("restored", {"status": "suspended"}, {}, ("full", "normal", True, "")),
    ("exited", {}, {"reason": "withdrew"}, ("full", "exited", False, "withdrew")),
    ("deceased", {}, {}, ("full", "exited", False, "deceased")),
    ("commended", {}, {"title": "优秀共产党员", "level": "县级"}, ("full", "normal", True, "")),
    ("disciplined", {}, {"discipline": "警告"}, ("full", "normal", True, "")),
]


def fields_for(start: dict) -> dict:
    fields = dict(start)
    category = fields.get("category", "full")
    if category in ("applicant", "activist", "candidate"):
        fields.update(joined_on=None, converted_on=None)
    if fields.get("status"):
        fields["status_since"] = date(2025, 1, 1)
    return fields


@pytest.mark.parametrize(
    "kind, start, details, expected", EFFECTS, ids=[f"{e[0]}-{i}" for i, e in enumerate(EFFECTS)]
)
def test_each_event_changes_category_and_status_as_it_should(
    tree, make_member, system_actor, kind, start, details, expected
):
    member = make_member(tree["branch_a"], **fields_for(start))
    audit_before = AuditEntry.objects.count()
    event = services.record_event(system_actor, member, kind, occurred_on=date(2026, 2, 27), details=details)
    member.refresh_from_db()
    assert (member.category, member.status, member.on_roll, member.exit_reason) == expected
    assert event.kind == kind and event.occurred_on == date(2026, 2, 27) and event.org == tree["branch_a"]
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == audit_before + 1 and entry.action == f"member.{kind}"
    assert entry.after["category"] == expected[0] and entry.after["status"] == expected[1]
    if expected[1] != start.get("status", "normal") and expected[1] != "exited":
        assert member.status_since == date(2026, 2, 27)


def test_admission_and_conversion_set_the_dates_and_party_standing(
    tree, make_member, system_actor, frozen_today
):
    member = make_member(tree["branch_a"], category="candidate", joined_on=None, converted_on=None)
    services.record_event(system_actor, member, "admitted", occurred_on=date(2024, 6, 1))
    member.refresh_from_db()
    assert member.joined_on == date(2024, 6, 1) and member.party_standing() is None
    with pytest.raises(ServiceError, match="预备期未满"):
        services.record_event(system_actor, member, "converted", occurred_on=date(2025, 5, 31))
    services.record_event(system_actor, member, "converted", occurred_on=date(2025, 6, 1))
    member.refresh_from_db()
    assert member.converted_on == date(2025, 6, 1) and member.category == "full"
    assert member.party_standing(date(2026, 5, 31)) == 0 and member.party_standing(date(2026, 6, 1)) == 1


def test_an_extended_probation_moves_the_earliest_conversion(tree, make_member, system_actor):
    member = make_member(
        tree["branch_a"], category="probationary", joined_on=date(2024, 6, 1), converted_on=None
    )
    services.record_event(
        system_actor, member, "probation_extended", occurred_on=date(2025, 6, 1), details={"months": 6}
    )
    with pytest.raises(ServiceError, match="2025-12-01"):
        services.record_event(system_actor, member, "converted", occurred_on=date(2025, 11, 30))
    with pytest.raises(ServiceError, match="只能延长一次"):
        services.record_event(
            system_actor, member, "probation_extended", occurred_on=date(2025, 7, 1), details={"months": 6}
        )
    services.record_event(system_actor, member, "converted", occurred_on=date(2025, 12, 1))


@pytest.mark.parametrize("months", [0, 5, 13, "x"])
def test_an_extension_shorter_than_six_months_or_longer_than_a_year_is_refused(
    tree, make_member, system_actor, months
):
    member = make_member(
        tree["branch_a"], category="probationary", joined_on=date(2025, 6, 1), converted_on=None
    )
    with pytest.raises(ServiceError, match="不能少于半年"):
        services.record_event(system_actor, member, "probation_extended", details={"months": months})


@pytest.mark.parametrize(
    "kind, start, message",
    [
        ("converted", {}, "只适用于预备党员"),
        ("admitted", {"category": "applicant"}, "只适用于发展对象"),
        ("found", {}, "不能登记“恢复联系”"),
        ("restored", {"status": "lost_contact"}, "不能登记“恢复党籍”"),
        ("moved_away", {"status": "abroad"}, "不能登记“外出流动”"),
        ("exited", {}, "请选择出党方式"),
        ("disciplined", {}, "请选择处分种类"),
        ("commended", {}, "表彰名称不能为空"),
        ("moved_away", {}, "流入地不能为空"),
        ("created", {}, "不能在此登记"),
    ],
)
def test_events_that_do_not_fit_the_members_state_are_refused(
    tree, make_member, system_actor, kind, start, message
):
    member = make_member(tree["branch_a"], **fields_for(start))
    before = (MemberEvent.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ServiceError, match=message):
        services.record_event(system_actor, member, kind, occurred_on=date(2026, 2, 1))
    assert (MemberEvent.objects.count(), AuditEntry.objects.count()) == before


def test_nothing_is_recorded_on_a_member_who_left_the_roll(tree, make_member, system_actor):
    member = make_member(tree["branch_a"])
    services.record_event(system_actor, member, "deceased", occurred_on=date(2026, 1, 2))
    with pytest.raises(ServiceError, match="已离册"):
        services.record_event(system_actor, member, "commended", details={"title": "追授"})
    member.refresh_from_db()
    assert member.left_on == date(2026, 1, 2)


def test_event_dates_are_checked(tree, make_member, system_actor, frozen_today):
    member = make_member(tree["branch_a"])
    with pytest.raises(ServiceError, match="不能晚于今天"):
        services.record_event(system_actor, member, "lost_contact", occurred_on=date(2026, 3, 2))
    services.record_event(system_actor, member, "lost_contact", occurred_on=date(2026, 1, 10))
    with pytest.raises(ServiceError, match="不能早于当前状态的起始日期"):
        services.record_event(system_actor, member, "found", occurred_on=date(2026, 1, 9))
    with pytest.raises(ServiceError, match="早于出生日期"):
        services.record_event(
            system_actor, member, "commended", occurred_on=date(1970, 1, 1), details={"title": "x"}
        )


def test_an_admission_before_eighteen_is_refused(tree, make_member, system_actor):
    birth = date(2008, 3, 1)
    member = make_member(
        tree["branch_a"],
        category="candidate",
        birth_date=birth,
        joined_on=None,
        converted_on=None,
        applied_on=date(2026, 3, 1),
    )
    with pytest.raises(ServiceError, match="未满18周岁"):
        services.record_event(system_actor, member, "admitted", occurred_on=date(2026, 2, 28))


def test_moving_away_opens_a_mobility_record_and_returning_closes_it(tree, make_member, system_actor):
    member = make_member(tree["branch_a"])
    details = {
        "destination": "浙江省义乌市",
        "fixed_place": True,
        "contact_person": "李四",
        "mobility_card_number": "LD-9",
    }
    services.record_event(system_actor, member, "moved_away", occurred_on=date(2025, 5, 1), details=details)
    mobility = Mobility.objects.get(member=member)
    assert (mobility.destination, mobility.mobility_card_number, mobility.ended_on) == (
        "浙江省义乌市",
        "LD-9",
        None,
    )
    services.record_event(system_actor, member, "returned", occurred_on=date(2026, 1, 5))
    mobility.refresh_from_db()
    assert mobility.ended_on == date(2026, 1, 5)


def test_only_someone_who_may_change_the_org_records_events(
    tree, make_member, outsider, member_user, secretary, actor_for
):
    member = make_member(tree["branch_a"])
    for user in (outsider, member_user):
        with pytest.raises(NotPermitted):
            services.record_event(actor_for(user), member, "commended", details={"title": "优秀党员"})
    event = services.record_event(actor_for(secretary), member, "commended", details={"title": "优秀党员"})
    assert event.recorded_by == secretary


def test_creating_a_record_checks_the_path_dates(tree, make_member):
    branch = tree["branch_a"]
    cases = [
        ({"category": "full", "converted_on": None}, "必须填写转正日期"),
        ({"category": "probationary", "joined_on": None, "converted_on": None}, "必须填写入党日期"),
        (
            {"category": "full", "joined_on": date(2012, 1, 1), "converted_on": date(2011, 1, 1)},
            "转正日期早于入党日期",
        ),
        (
            {
                "category": "applicant",
                "joined_on": None,
                "converted_on": None,
                "birth_date": date(2009, 1, 1),
            },
            "未满18周岁",
        ),
        (
            {
                "category": "applicant",
                "joined_on": None,
                "converted_on": None,
                "birth_date": date(2008, 1, 1),
                "applied_on": date(2025, 12, 31),
            },
            "未满18周岁",
        ),
        ({"category": "full", "sex": "female"}, "性别与公民身份号码不符"),
        ({"category": "full", "birth_date_override": True}, "出生日期与公民身份号码不符"),
        ({"category": "member"}, "人员类别“member”无效"),
        ({"name": " "}, "姓名不能为空"),
        ({"tags": ["不存在的台账"]}, "台账标签“不存在的台账”不存在"),
    ]
    for fields, message in cases:
        if fields.pop("birth_date_override", False):
            fields.update(id_number=id_number(date(1980, 5, 6), 7), birth_date=date(1980, 5, 7))
        with pytest.raises(ServiceError, match=message):
            make_member(branch, **fields)
    assert not Member.objects.exists()


def test_a_second_record_with_the_same_id_number_is_refused_without_naming_others(
    tree, make_member, actor_for, outsider
):
    first = make_member(tree["branch_a"], name="王五", sequence=11)
    with pytest.raises(ServiceError, match="已登记为“王五”"):
        make_member(tree["branch_a"], name="王五二", sequence=11)
    with pytest.raises(ServiceError) as refused:
        make_member(
            tree["branch_b"],
            actor=actor_for(outsider),
            name="王五三",
            id_number=id_number(first.birth_date, 11).lower(),
        )
    assert "王五" not in refused.value.message and "甲村" not in refused.value.message


def test_a_15_digit_number_is_converted_and_the_warning_kept_on_the_event(tree, make_member):
    member = make_member(tree["branch_a"], id_number="440524800506001")
    assert member.id_number_masked == "4405**********0015"[:4] + "*" * 10 + member.id_number_masked[-4:]
    created = member.events.get(kind="created")
    assert "升位为18位" in created.details["warnings"][0]
    assert [w.rule_id for w in member.warnings] == ["member.id_15_digits"]
