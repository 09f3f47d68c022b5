"""The outsider walks every page URL and every API route and sees nothing of another subtree.

The outsider is the secretary of 乙社区党支部. Everything under 甲县委 (orgs, their events, an
import batch, the county admin's API token and role) must stay invisible: every id of those
answers 404 (or 403 where the page is a system tool), no response names them, and no write lands.
New URLs are walked automatically: this test reads the URL resolver and the OpenAPI schema.
"""

import pytest

from dangjian.accounts import services as account_services
from dangjian.api import api
from dangjian.core.models import AuditEntry, ImportBatch
from dangjian.core.tests.walking import OPENAPI_PARAM, PARAM, fill, page_routes, text_of
from dangjian.orgs.models import Org, OrgEvent

HIDDEN_NAMES = ["甲县委", "甲镇党委", "甲村党支部"]


def state():
    return (
        sorted(Org.objects.values_list("pk", "name", "path", "status")),
        OrgEvent.objects.count(),
        ImportBatch.objects.filter(status="committed").count(),
    )


def ids_the_outsider_may_see(outsider) -> set[int]:
    """Ids of the outsider's own records: a hidden id equal to one of these would not prove anything."""
    return (
        set(Org.objects.visible_to(outsider).values_list("pk", flat=True))
        | set(OrgEvent.objects.visible_to(outsider).values_list("pk", flat=True))
        | set(outsider.role_assignments.values_list("pk", flat=True))
        | set(outsider.api_tokens.values_list("pk", flat=True))
        | set(ImportBatch.objects.filter(created_by=outsider).values_list("pk", flat=True))
        | {outsider.pk}
    )


@pytest.fixture
def hidden_ids(tree, county_admin, outsider, actor_for):
    """Ids of records in 甲县委's subtree or belonging to its people (none shared with the outsider's)."""
    token, _ = account_services.issue_token(actor_for(county_admin, "api"))
    batch = ImportBatch.objects.create(
        kind="orgs", file_name="甲县委组织.xlsx", content=b"", created_by=county_admin
    )
    event_ids = list(
        OrgEvent.objects.filter(org__path__startswith=tree["county_a"].path).values_list("pk", flat=True)
    )
    hidden = (
        {tree["county_a"].pk, tree["town_a"].pk, tree["branch_a"].pk, token.pk, batch.pk, county_admin.pk}
        | set(county_admin.role_assignments.values_list("pk", flat=True))
        | set(event_ids)
        | hidden_member_records(tree, actor_for(county_admin))
        | hidden_org_module_records(tree, actor_for(county_admin))
        | hidden_activity_records(tree, actor_for(county_admin))
        | hidden_recruitment_records(tree, actor_for(county_admin))
        | hidden_dues_records(tree, actor_for(county_admin))
        | hidden_reports_records(tree, actor_for(county_admin))
    )
    return sorted(hidden - ids_the_outsider_may_see(outsider))


def hidden_member_records(tree, actor) -> set[int]:
    """A member of 甲村党支部 with every kind of record the members module keeps, in transit to 甲镇党委."""
    from datetime import date

    from dangjian.members import services as member_services

    member = member_services.create_member(
        actor,
        org=tree["branch_a"],
        name="甲村党员",
        id_number="11010519491231002X",
        category="full",
        joined_on=date(1970, 7, 1),
        converted_on=date(1971, 7, 1),
        phone="13812345678",
        tags=["veteran"],
    )
    member_services.record_event(actor, member, "moved_away", details={"destination": "外地"})
    contact = member_services.add_contact(actor, member, note="电话联系")
    care = member_services.add_care(
        actor, member, kind="visit", given_by="甲镇党委", content="春节慰问", amount=500
    )
    transfer = member_services.issue_transfer(actor, member, to_org=tree["town_a"], letter_number="甲转1号")
    # The member's own login, linked once, unlinked, and linked again: both links stay hidden.
    from conftest import make_user
    from dangjian.accounts.roles import Role

    own_login = make_user("甲村党员本人", Role.MEMBER, tree["branch_a"])
    ended = member_services.unlink_login(actor, member_services.link_login(actor, own_login, member))
    link = member_services.link_login(actor, own_login, member)
    return (
        {member.pk, contact.pk, care.pk, transfer.pk, own_login.pk, ended.pk, link.pk}
        | set(member.events.values_list("pk", flat=True))
        | set(member.mobilities.values_list("pk", flat=True))
    )


def hidden_activity_records(tree, actor) -> set[int]:
    """A joint general meeting of 甲村党支部 and 甲镇党委 with attendance, a plan, a training class with a
    trainee and a back-filling unlock, all named after 甲县委's orgs."""
    from datetime import timedelta

    from django.utils import timezone

    from dangjian.activities import services as activity_services

    town, branch = tree["town_a"], tree["branch_a"]
    today = timezone.localdate()
    meeting = activity_services.record_activity(
        actor,
        org=branch,
        kind="general_meeting",
        held_on=today,
        topic="甲村党支部党员大会",
        partners=[town],
        agenda=[{"title": "甲村党支部第一议题", "first_topic": True}],
        attachments=[activity_services.Attachment("甲村党支部会议记录.pdf", "application/pdf", b"%PDF")],
    )
    plan = activity_services.record_activity(
        actor,
        org=branch,
        kind="theme_day",
        held_on=today + timedelta(days=3),
        topic="甲村党支部主题党日",
        status="planned",
    )
    training = activity_services.create_training_class(
        actor,
        org=town,
        title="甲镇党委培训班",
        started_on=today,
        ended_on=today,
        hours=8,
        trainees=["甲村党支部学员"],
    )
    unlock = activity_services.grant_unlock(
        actor, branch, earliest=today - timedelta(days=90), valid_until=today, reason="甲村党支部补录"
    )
    return {
        meeting.pk,
        plan.pk,
        training.pk,
        unlock.pk,
        *meeting.attendance.values_list("pk", flat=True),
        *meeting.attachments.values_list("pk", flat=True),
        *training.trainees.values_list("pk", flat=True),
    }


def hidden_dues_records(tree, actor) -> set[int]:
    """A member of 甲村党支部 with a base, bills, payments (voluntary too), and money remitted, allocated
    and spent inside 甲县委's subtree."""
    from datetime import date

    from dangjian.dues import services as dues_services
    from dangjian.members import services as member_services

    member = member_services.create_member(
        actor,
        org=tree["branch_a"],
        name="甲村交费党员",
        id_number="440524188001010014",
        category="full",
        joined_on=date(1990, 7, 1),
        converted_on=date(1991, 7, 1),
    )
    base = dues_services.declare_base(
        actor, member, member_type="in_service", effective_month=date(2024, 1, 1), base="12000"
    )
    dues_services.bill_month(actor, tree["county_a"], date(2024, 1, 1))
    payment = dues_services.record_payment(
        actor, member, paid_on=date(2024, 2, 1), first_month=date(2024, 1, 1), note="甲村党支部收"
    )
    voluntary = dues_services.record_payment(actor, member, paid_on=date(2024, 2, 2), voluntary_amount="1000")
    remittance = dues_services.remit(actor, tree["branch_a"], amount="1000", remitted_on=date(2024, 3, 1))
    allocation = dues_services.allocate(
        actor,
        tree["town_a"],
        tree["branch_a"],
        amount="500",
        purpose="甲村党支部阵地",
        allocated_on=date(2024, 4, 1),
    )
    expense = dues_services.spend(
        actor, tree["branch_a"], amount="100", description="甲村党支部修缮", allocation=allocation
    )
    return {member.pk, base.pk, payment.pk, voluntary.pk, remittance.pk, allocation.pk, expense.pk} | set(
        member.dues_bills.values_list("pk", flat=True)
    )


def hidden_reports_records(tree, actor) -> set[int]:
    """The per-org roll-up rows of 甲县委's subtree (built after its member exists): no route shows them."""
    from dangjian.core.access import subtree_q
    from dangjian.reports import rollups
    from dangjian.reports.models import MemberRollup, RollupYear

    rollups.rebuild(actor)
    rows = MemberRollup.objects.filter(subtree_q("org__path", tree["county_a"].path))
    return set(rows.values_list("pk", flat=True)) | set(RollupYear.objects.values_list("pk", flat=True))


def hidden_org_module_records(tree, actor) -> set[int]:
    """A unit, a committee with its secretary, a group with a member, a pairing with an activity, a place
    and a weak-and-lax flag with a step, all inside 甲县委's subtree and named after its orgs."""
    from datetime import date

    from dangjian.orgs import services as org_services

    town, branch = tree["town_a"], tree["branch_a"]
    unit = org_services.create_unit(actor, responsible_org=town, org=branch, name="甲村党支部所在村委会")
    committee = org_services.elect_committee(
        actor, branch, elected_on=date(2024, 1, 1), members=[{"post": "secretary", "name": "甲村党支部书记"}]
    )
    group = org_services.create_group(actor, branch, name="甲村党支部第一党小组")
    group_member = org_services.add_group_member(actor, group, name="甲村党支部党员")
    pairing = org_services.create_pairing(
        actor, scheme="甲镇党委结对", orgs=[town, branch], started_on=date(2024, 1, 1)
    )
    activity = org_services.add_pairing_activity(
        actor, pairing, held_on=date(2024, 2, 1), title="甲镇党委共建"
    )
    place = org_services.create_place(actor, town, kind="service_center", name="甲镇党委党群服务中心")
    flag = org_services.flag_weak(actor, branch, reason="甲村党支部问题", flagged_on=date(2024, 3, 1))
    step = org_services.add_weak_step(actor, flag, taken_on=date(2024, 4, 1), description="甲村党支部整顿")
    return {
        unit.pk,
        committee.pk,
        *committee.members.values_list("pk", flat=True),
        group.pk,
        group_member.pk,
        pairing.pk,
        *pairing.parties.values_list("pk", flat=True),
        activity.pk,
        place.pk,
        flag.pk,
        step.pk,
    }


def hidden_recruitment_records(tree, actor) -> set[int]:
    """A development case of 甲村党支部 taken to the admission vote (steps, mentors, sponsors, an assessment,
    a failed vote and the vote that passed) with an attachment, and 甲镇党委's annual plan."""
    from datetime import date

    from dangjian.members import services as member_services
    from dangjian.members.tests.conftest import id_number
    from dangjian.recruitment import rules
    from dangjian.recruitment import services as recruitment_services
    from dangjian.recruitment.tests.conftest import GOOD_DATES, step_kwargs

    branch = tree["branch_a"]
    sponsors = [
        member_services.create_member(
            actor,
            org=branch,
            name=f"甲村党支部介绍人{n}",
            id_number=id_number(date(1970, 1, 1), 600 + n),
            category="full",
            joined_on=date(2000, 7, 1),
            converted_on=date(2001, 7, 1),
        )
        for n in (1, 3)
    ]
    applicant = member_services.create_member(
        actor,
        org=branch,
        name="甲村党支部申请人",
        id_number=id_number(date(1995, 1, 1), 611),
        category="applicant",
        applied_on=GOOD_DATES[1],
    )
    case = recruitment_services.open_case(
        actor,
        applicant,
        applied_on=GOOD_DATES[1],
        attachment=recruitment_services.Attachment(
            "甲村党支部申请书.txt", "text/plain", "甲村党支部".encode()
        ),
    )
    for number in range(2, 16):
        if number == 15:
            # A meeting whose vote failed (kept without a step), before the one that passed.
            recruitment_services.record_vote(
                actor,
                case,
                15,
                occurred_on=GOOD_DATES[14],
                vote=rules.VoteCount(10, 5, 5, 0, 0),
                note="甲村党支部未通过的表决",
            )
        recruitment_services.record_step(
            actor, case, number, **step_kwargs(number, GOOD_DATES[number], sponsors)
        )
        if number == 3:
            recruitment_services.add_assessment(
                actor, case, assessed_on=GOOD_DATES[3], conclusion="甲村党支部考察"
            )
    plan = recruitment_services.set_plan(actor, tree["town_a"], year=2024, quota=3, note="甲镇党委计划")
    return (
        {case.pk, plan.pk, applicant.pk, *(s.pk for s in sponsors)}
        | set(case.steps.values_list("pk", flat=True))
        | set(case.votes.values_list("pk", flat=True))
        | set(case.sponsorships.values_list("pk", flat=True))
        | set(case.assessments.values_list("pk", flat=True))
    )


def assert_hidden(response, where):
    body = text_of(response)
    for name in HIDDEN_NAMES:
        assert name not in body, f"{where} answered {response.status_code} and showed {name}"


def test_the_outsider_sees_nothing_on_any_page(tree, outsider, hidden_ids, client):
    before = state()
    last_audit_pk = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    walked = 0
    for route, _name in page_routes():
        values = hidden_ids if PARAM.search(route) else [None]
        for value in values:
            url = "/" + fill(route, value)
            for query in (
                "",
                *(f"?parent={v}&within={v}&org={v}" for v in (tree["county_a"].pk, tree["branch_a"].pk)),
            ):
                client.force_login(outsider)  # again each time: the walk also meets the logout URL
                response = client.get(url + query)
                assert_hidden(response, f"GET {url}{query}")
                if value is not None:
                    assert response.status_code in (403, 404, 405), (
                        f"GET {url} answered {response.status_code}"
                    )
            client.force_login(outsider)
            response = client.post(url, {"parent": tree["county_a"].pk, "org": tree["branch_a"].pk})
            assert_hidden(response, f"POST {url}")
            walked += 1
    assert walked > 20, "the walk found too few URLs: is the resolver empty?"
    assert state() == before
    # The outsider may have written to their own account (a token, say), never into 甲县委's subtree.
    assert not AuditEntry.objects.filter(
        pk__gt=last_audit_pk, org_path__startswith=tree["county_a"].path
    ).exists()


def test_the_outsider_sees_nothing_through_the_api(tree, outsider, hidden_ids, client, actor_for):
    own_token, raw = account_services.issue_token(actor_for(outsider, "api"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    schema = api.get_openapi_schema()
    before = state()
    walked = 0
    for route, operations in schema["paths"].items():
        values = hidden_ids if OPENAPI_PARAM.search(route) else [None]
        if "/tokens/" in route:
            # The outsider's own token may share an id with a hidden record; revoking it is their right.
            values = [v for v in values if v != own_token.pk]
        for value in values:
            url = OPENAPI_PARAM.sub(str(value), route)
            for method in operations:
                lists_orgs = method == "get" and route.rstrip("/").endswith("/orgs")
                query = f"?within={tree['county_a'].pk}" if lists_orgs else ""
                body = {
                    "parent_id": tree["county_a"].pk,
                    "name": "渗透支部",
                    "kind": "branch",
                    "code": "HACK1",
                }
                response = getattr(client, method)(
                    url + query,
                    data=body if method in ("post", "patch", "put") else None,
                    content_type="application/json",
                    **headers,
                )
                assert_hidden(response, f"{method.upper()} {url}{query}")
                if value is not None or query:
                    assert response.status_code in (403, 404), (
                        f"{method.upper()} {url}{query}: {response.status_code}"
                    )
                walked += 1
    assert walked > 8, "the walk found too few API routes"
    assert state() == before
    assert not Org.objects.filter(code="HACK1").exists()


def test_the_outsider_sees_no_figure_of_another_subtree(tree, outsider, hidden_ids, client, actor_for):
    """Every indicator of the registry (those of activities, recruitment and dues too) behind the
    records page and the API: 甲县委 answers 404, and the outsider's own figures name nothing of it."""
    from dangjian.reports import registry

    _, raw = account_services.issue_token(actor_for(outsider, "api"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    wide = {"from": "2000-01-01"}
    client.force_login(outsider)
    keys = [indicator.key for indicator in registry.all_indicators()]
    assert any(key.startswith("activities.") for key in keys) and any(key.startswith("dues.") for key in keys)
    for key in keys:
        hidden = {"org": tree["county_a"].pk, **wide}
        assert client.get(f"/reports/indicators/{key}/", hidden).status_code == 404, key
        assert client.get(f"/api/v1/indicators/{key}", hidden, **headers).status_code == 404, key
        for url, extra in (
            (f"/reports/indicators/{key}/", {}),
            (f"/api/v1/indicators/{key}/records", headers),
        ):
            response = client.get(url, wide, **extra)
            assert response.status_code == 200, url
            assert_hidden(response, f"GET {url}")
