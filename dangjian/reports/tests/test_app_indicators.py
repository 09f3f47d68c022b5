"""The indicators of recruitment, activities and dues against a small hand-built tree with known answers.

Period: the year 2025. Every kind of record has one instance on 1 January and one on 31 December (in the
period) and one on 31 December 2024 and 1 January 2026 (outside it). Today is 1 March 2026.

甲县委 ─ 甲镇党委 ─ 甲村党支部 (A1, A2 full members; candidates admitted at the boundaries)
乙县委 ─ 乙社区党支部 (B1)
"""

from datetime import date
from decimal import Decimal
from itertools import count

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.activities import services as activity_services
from dangjian.activities.models import (
    Activity,
    ActivityKind,
    ActivityOrg,
    Attendance,
    Trainee,
    TrainingClass,
)
from dangjian.dues import services as dues_services
from dangjian.dues.models import DuesBill, DuesPayment, DuesStandard
from dangjian.members import services as member_services
from dangjian.members.tests.conftest import id_number
from dangjian.recruitment import services as recruitment_services
from dangjian.recruitment.models import Recruitment, Step, Vote
from dangjian.reports import registry
from dangjian.reports.registry import Period

YEAR = Period.year(2025)
D = Decimal


def member(actor, org, name, birth=date(1980, 5, 6), *, sequence, **fields):
    data = {
        "name": name,
        "id_number": id_number(birth, sequence),
        "birth_date": birth,
        "category": "full",
        "joined_on": date(2010, 7, 1),
        "converted_on": date(2011, 7, 1),
        "education": "bachelor",
        "occupation": "professional",
        "sex": "male",
    }
    data.update(fields)
    return member_services.create_member(actor, org=org, **data)


def activity(
    org, kind, held_on, *, partners=(), status="held", hours="2", secretary=False, present=(), absent=()
):
    """An activity row as the demo writes it: the host and partners as taking part, attendance by member,
    and then its attendance roll-ups (the demo rebuilds them after its rows)."""
    row = Activity.objects.create(
        org=org,
        kind=ActivityKind.objects.get(code=kind),
        status=status,
        held_on=held_on,
        topic=f"{org.name}{kind}{held_on}",
        study_hours=D(hours),
        lecturer_is_secretary=secretary,
    )
    for party in (org, *partners):
        ActivityOrg.objects.create(activity=row, org=party)
    for person in present:
        Attendance.objects.create(activity=row, member=person, org=person.org, status="present")
    for person in absent:
        Attendance.objects.create(activity=row, member=person, org=person.org, status="absent")
    # Written directly: keep the roll-ups as the services do.
    activity_services.recount_attendance([row.pk])
    activity_services.count_held({}, activity_services.held_of(row))
    return row


def training(org, started_on, names):
    session = TrainingClass.objects.create(
        org=org, title=f"{org.name}培训班", started_on=started_on, ended_on=started_on, hours=D("8")
    )
    for name in names:
        Trainee.objects.create(training_class=session, name=name, hours=D("8"))
    return session


def bill(person, month, amount, paid_on=None):
    row = DuesBill.objects.create(
        member=person,
        org=person.org,
        month=month,
        member_type="in_service",
        amount=D(amount),
        standard=DuesStandard.objects.order_by("effective_from").first(),
        paid_on=paid_on,
    )
    dues_services.recount_dues(dues_services.bill_keys([row]))
    return row


def payment(person, paid_on, dues, voluntary="0", kind="monthly"):
    row = DuesPayment.objects.create(
        member=person,
        org=person.org,
        kind=kind,
        method="cash",
        paid_on=paid_on,
        dues_amount=D(dues),
        voluntary_amount=D(voluntary),
        amount=D(dues) + D(voluntary),
    )
    dues_services.recount_dues([dues_services.payment_key(row)])
    return row


def case(person, last_step, status="open"):
    return Recruitment.objects.create(member=person, org=person.org, status=status, last_step=last_step)


@pytest.fixture
def work(tree, system_actor, frozen_today):
    a, b, town = tree["branch_a"], tree["branch_b"], tree["town_a"]
    odd = count(101, 2)  # odd sequence numbers: men (GB 11643-1999)

    def make(org, name, birth=date(1980, 5, 6), **fields):
        return member(system_actor, org, name, birth, sequence=next(odd), **fields)

    a1, a2, b1 = make(a, "甲一"), make(a, "甲二"), make(b, "乙一")
    # Activities (hosted by 甲村 unless said): two in the period at its ends, two just outside it.
    activity(a, "general_meeting", date(2025, 1, 1), present=[a1], absent=[a2])
    activity(a, "theme_day", date(2025, 12, 31), partners=[town], present=[a1, a2])
    activity(a, "general_meeting", date(2024, 12, 31), present=[a1])
    activity(a, "party_lecture", date(2026, 1, 1), present=[a1])
    activity(town, "party_lecture", date(2025, 6, 1), hours="1.5", secretary=True)
    activity(b, "general_meeting", date(2025, 3, 1), status="planned", present=[b1])
    activity(b, "theme_day", date(2025, 3, 2), status="cancelled")
    activity(b, "study_session", date(2025, 4, 1), present=[b1])
    training(town, date(2025, 12, 31), ["学员一", "学员二"])
    training(b, date(2026, 1, 1), ["学员三"])
    training(b, date(2024, 12, 31), ["学员四"])
    # Dues: bills by month, payments by day.
    bill(a1, date(2025, 1, 1), "10.00", paid_on=date(2025, 1, 15))
    bill(a1, date(2025, 12, 1), "10.50")
    bill(a1, date(2024, 12, 1), "10.00")
    bill(a1, date(2026, 1, 1), "10.00")
    bill(a2, date(2025, 6, 1), "0.00")
    bill(b1, date(2025, 3, 1), "20.25", paid_on=date(2025, 12, 31))
    payment(a1, date(2025, 1, 1), "10.00")
    payment(b1, date(2025, 12, 31), "20.25", voluntary="50.00", kind="back_payment")
    payment(a1, date(2026, 1, 1), "0", voluntary="100.00", kind="voluntary")
    payment(a2, date(2024, 12, 31), "10.00")
    # Admissions at the boundaries of the period and of the age of 35 (on the day of admission).
    admitted = {}
    for name, birth, day, fields in (
        (
            "满三十五",
            date(1989, 1, 2),
            date(2025, 1, 1),
            {"education": "junior_or_below", "occupation": "worker"},
        ),
        ("满三十六", date(1989, 1, 1), date(2025, 1, 1), {"education": "college", "occupation": "official"}),
        ("年末三十六", date(1989, 12, 31), date(2025, 12, 31), {"occupation": "farmer"}),
        (
            "年末三十五",
            date(1990, 1, 1),
            date(2025, 12, 31),
            {"education": "high_school", "occupation": "other"},
        ),
        ("去年接收", date(1995, 1, 1), date(2024, 12, 31), {}),
        ("明年接收", date(1995, 1, 1), date(2026, 1, 1), {}),
    ):
        person = make(a, name, birth, category="candidate", joined_on=None, converted_on=None, **fields)
        member_services.record_event(system_actor, person, "admitted", occurred_on=day)
        admitted[name] = person
    # Confirmed as activist, then as candidate, each once at a boundary inside and once outside the period.
    for org, name, days in (
        (a, "先积极后对象", (date(2024, 12, 31), date(2025, 12, 31))),
        (b, "年初积极", (date(2025, 1, 1), date(2026, 1, 1))),
    ):
        person = make(org, name, category="applicant", joined_on=None, converted_on=None)
        member_services.record_event(system_actor, person, "activist_confirmed", occurred_on=days[0])
        member_services.record_event(system_actor, person, "candidate_confirmed", occurred_on=days[1])
    # People on the path now, and their cases by stage.
    applicant = make(a, "申请人", category="applicant", joined_on=None, converted_on=None)
    activist = make(a, "积极分子", category="activist", joined_on=None, converted_on=None)
    candidate = make(b, "发展对象", category="candidate", joined_on=None, converted_on=None)
    first = case(applicant, 0)
    second = case(activist, 4)
    third = case(candidate, 11)
    completed = case(admitted["去年接收"], 25, status="completed")
    for number, day, findings in (
        (1, date(2025, 1, 1), []),
        (2, date(2025, 12, 31), [{"level": "warn", "rule_id": "x", "message": "警示", "source": "s"}]),
        (3, date(2024, 12, 31), []),
        (4, date(2026, 1, 1), []),
    ):
        Step.objects.create(recruitment=second, org=a, number=number, occurred_on=day, findings=findings)
    Step.objects.create(recruitment=first, org=a, number=1, occurred_on=date(2024, 12, 31))
    for day, passed in ((date(2025, 1, 1), False), (date(2025, 12, 31), True), (date(2026, 1, 1), True)):
        Vote.objects.create(
            recruitment=third,
            org=b,
            kind="admission",
            held_on=day,
            should_attend=5,
            present=4 if passed else 2,
            yes=4 if passed else 2,
            no=0,
            abstain=0,
            passed=passed,
            failure_reason="" if passed else "quorum",
        )
    # Written directly above: their kept figures as the recruitment services would add them.
    written = [first.pk, second.pk, third.pk, completed.pk]
    recruitment_services.count_case(recruitment_services.NOTHING, recruitment_services.figures_of(written))
    return {"a1": a1, "a2": a2, "b1": b1}


# (key, city, 甲县委, 乙县委) for 2025.
EXPECTED = [
    ("activities.held", 4, 3, 1),
    ("activities.kind.general_meeting", 1, 1, 0),
    ("activities.kind.theme_day", 1, 1, 0),
    ("activities.kind.party_lecture", 1, 1, 0),
    ("activities.kind.study_session", 1, 0, 1),
    ("activities.category.three_meetings", 2, 2, 0),
    ("activities.category.org_life", 1, 1, 0),
    ("activities.category.education", 1, 0, 1),
    ("activities.category.other", 0, 0, 0),
    ("activities.secretary_lectures", 1, 1, 0),
    ("activities.present", 4, 3, 1),
    ("activities.present.general_meeting", 1, 1, 0),
    ("activities.present.theme_day", 2, 2, 0),
    ("activities.expected", 5, 4, 1),
    ("activities.study_hours", D("8.0"), D("6.0"), D("2.0")),
    ("activities.training_classes", 1, 1, 0),
    ("activities.trainees", 2, 2, 0),
    ("activities.trainee_hours", D("16.0"), D("16.0"), D("0.0")),
    ("dues.bills", 4, 3, 1),
    ("dues.billed_amount", D("40.75"), D("20.50"), D("20.25")),
    ("dues.settled_bills", 3, 2, 1),
    ("dues.paid_amount", D("30.25"), D("10.00"), D("20.25")),
    ("dues.unpaid_bills", 1, 1, 0),
    ("dues.unpaid_amount", D("10.50"), D("10.50"), D("0.00")),
    ("dues.payments", 2, 1, 1),
    ("dues.received_amount", D("80.25"), D("10.00"), D("70.25")),
    ("dues.voluntary_amount", D("50.00"), D("0.00"), D("50.00")),
    ("dues.back_payments", 1, 0, 1),
    ("flows.admitted", 4, 4, 0),
    ("recruitment.admitted_young", 2, 2, 0),
    ("recruitment.admitted_college", 2, 2, 0),
    ("recruitment.admitted_frontline", 2, 2, 0),
    ("recruitment.applicants", 1, 1, 0),
    ("recruitment.activists", 1, 1, 0),
    ("recruitment.candidates", 3, 1, 2),
    ("recruitment.activists_confirmed", 1, 0, 1),
    ("recruitment.candidates_confirmed", 1, 1, 0),
    ("recruitment.open_cases", 3, 2, 1),
    ("recruitment.stage_1", 1, 1, 0),
    ("recruitment.stage_2", 1, 1, 0),
    ("recruitment.stage_3", 1, 0, 1),
    ("recruitment.stage_4", 0, 0, 0),
    ("recruitment.stage_5", 0, 0, 0),
    ("recruitment.applications", 1, 1, 0),
    ("recruitment.steps", 2, 2, 0),
    ("recruitment.steps_warned", 1, 1, 0),
    ("recruitment.votes", 2, 0, 2),
    ("recruitment.votes_failed", 1, 0, 1),
]
KEYS = [key for key, *_ in EXPECTED]


def new_indicators():
    return [
        ind
        for ind in registry.all_indicators()
        if ind.key.split(".")[0] in ("activities", "dues", "recruitment")
    ]


def test_every_new_indicator_has_a_known_answer():
    """Apart from the per-kind indicators (tested for the kinds used here), each is in EXPECTED."""
    untested = {ind.key for ind in new_indicators()} - set(KEYS)
    assert untested and all(key.startswith(("activities.kind.", "activities.present.")) for key in untested)


@pytest.mark.parametrize("key,city,county_a,county_b", EXPECTED, ids=KEYS)
def test_it_counts_what_the_description_says(work, tree, dept_admin, key, city, county_a, county_b):
    indicator = registry.get(key)
    got = [indicator.value(dept_admin, tree[org], YEAR) for org in ("city", "county_a", "county_b")]
    assert got == [city, county_a, county_b]
    assert all(type(value) is type(city) for value in got), "amounts are Decimals, counts ints"


def test_the_period_includes_its_first_and_last_day_only(work, tree, dept_admin):
    first, last = Period(date(2025, 1, 1), date(2025, 1, 1)), Period(date(2025, 12, 31), date(2025, 12, 31))
    before, after = Period.year(2024), Period(date(2026, 1, 1), date(2026, 1, 1))
    city = tree["city"]

    def value(key, period):
        return registry.get(key).value(dept_admin, city, period)

    assert [value("activities.held", p) for p in (first, last, before, after)] == [1, 1, 1, 1]
    assert [value("flows.admitted", p) for p in (first, last, before, after)] == [2, 2, 1, 1]
    assert [value("recruitment.votes", p) for p in (first, last, before, after)] == [1, 1, 0, 1]
    assert [value("dues.payments", p) for p in (first, last, before, after)] == [1, 1, 1, 1]
    assert [value("activities.training_classes", p) for p in (first, last, before, after)] == [0, 1, 1, 1]


@pytest.mark.parametrize("key", KEYS)
def test_a_subtree_is_the_sum_of_its_subordinates_and_its_own(work, tree, dept_admin, key):
    indicator = registry.get(key)
    for org in (tree["city"], tree["county_a"], tree["town_a"]):
        total = registry.compute(dept_admin, org, YEAR, [indicator])[key]
        parts = registry.compute_by_child(dept_admin, org, YEAR, [indicator])
        assert sum((row.get(key, 0) for row in parts.values()), indicator.finish(None)) == total


@pytest.mark.parametrize("key", KEYS)
def test_the_records_behind_a_figure_add_up_to_it(work, tree, dept_admin, key):
    indicator = registry.get(key)
    records = indicator.records(dept_admin, tree["city"], YEAR)
    value = indicator.value(dept_admin, tree["city"], YEAR)
    if indicator.places is None:
        assert records.count() == value
    else:
        field = {"activities.study_hours": "activity__study_hours"}.get(key)
        field = field or ("voluntary_amount" if key == "dues.voluntary_amount" else "amount")
        field = "hours" if key == "activities.trainee_hours" else field
        assert sum(records.values_list(field, flat=True), D(0)) == value


def test_the_records_page_lists_the_same_records(work, tree, dept_admin, login):
    client = login(dept_admin)
    for key, city, *_ in EXPECTED:
        response = client.get(
            f"/reports/indicators/{key}/", {"org": tree["city"].pk, "from": "2025-01-01", "to": "2025-12-31"}
        )
        assert response.status_code == 200, key
        assert response.context["value"] == city
        if registry.get(key).places is None:
            assert response.context["page_obj"].paginator.count == city
    export = client.get(
        "/reports/indicators/dues.unpaid_amount/",
        {"org": tree["city"].pk, "from": "2025-01-01", "to": "2025-12-31", "format": "xlsx"},
    )
    assert export.status_code == 200


def test_a_kind_added_later_has_its_indicators_too(work, tree, dept_admin, login):
    ActivityKind.objects.create(code="river_patrol", name="巡河护河", category="other", sort_order=900)
    activity(tree["branch_a"], "river_patrol", date(2025, 5, 5), present=[work["a1"]])
    indicator = registry.get("activities.kind.river_patrol")
    assert indicator is registry.get("activities.kind.river_patrol")
    assert indicator.value(dept_admin, tree["city"], YEAR) == 1
    assert registry.get("activities.present.river_patrol").value(dept_admin, tree["city"], YEAR) == 1
    assert registry.get("activities.kind.no_such_kind") is None
    page = login(dept_admin).get(
        "/activities/figures/",
        {"within": tree["city"].pk, "date_from": "2025-01-01", "date_to": "2025-12-31"},
    )
    assert "巡河护河" in page.content.decode()
    assert login(dept_admin).get("/reports/indicators/activities.kind.river_patrol/").status_code == 200


# --- the apps' pages show the registry's figures, linked to their records ---------------------------------


def link(key, org, start="2025-01-01", end="2025-12-31"):
    return f"/reports/indicators/{key}/?org={org.pk}&amp;from={start}&amp;to={end}"


def test_the_activities_figures_page_shows_registry_figures(work, tree, dept_admin, login, api):
    city = tree["city"]
    response = login(dept_admin).get(
        "/activities/figures/", {"within": city.pk, "date_from": "2025-01-01", "date_to": "2025-12-31"}
    )
    figures = response.context["figures"]
    page = response.content.decode()
    rows = {k.code: (k.activities.value, k.attendances.value) for k in figures["kinds"]}
    assert rows == {
        "general_meeting": (1, 1),
        "theme_day": (1, 2),
        "party_lecture": (1, 0),
        "study_session": (1, 1),
    }
    assert figures["secretary_lectures"].value == 1 and figures["trainees"].value == 2
    for key in ("activities.kind.theme_day", "activities.present.theme_day", "activities.trainees"):
        assert link(key, city) in page
    get = api(dept_admin)
    for key, figure in [
        (f"activities.kind.{code}", k.activities) for code, k in ((k.code, k) for k in figures["kinds"])
    ] + [("activities.held", figures["held"])]:
        answer = get(f"/indicators/{key}", org=city.pk, **{"from": "2025-01-01", "to": "2025-12-31"}).json()
        assert answer["value"] == figure.value


def test_the_dues_report_shows_registry_figures(work, tree, dept_admin, login, api):
    response = login(dept_admin).get("/dues/report/", {"within": tree["city"].pk, "year": 2025})
    rows = {r.org.pk: r for r in response.context["rows"]}
    total, county_b = rows[tree["city"].pk], rows[tree["county_b"].pk]
    assert (total.billed, total.paid, total.owed, total.bills, total.paid_bills) == (
        D("40.75"),
        D("30.25"),
        D("10.50"),
        4,
        3,
    )
    assert total.rate == D("75.0") and county_b.voluntary == D("50.00")
    page = response.content.decode()
    assert link("dues.paid_amount", tree["county_b"]) in page
    get = api(dept_admin)
    for key, value in (("dues.unpaid_amount", total.owed), ("dues.billed_amount", total.billed)):
        answer = get(f"/indicators/{key}", org=tree["city"].pk, **{"from": "2025-01-01", "to": "2025-12-31"})
        assert D(answer.json()["value"]) == value
    month = login(dept_admin).get("/dues/report/", {"within": tree["city"].pk, "year": 2025, "month": 12})
    assert month.context["rows"][0].billed == D("10.50")
    assert link("dues.billed_amount", tree["city"], "2025-12-01", "2025-12-31") in month.content.decode()


def test_the_recruitment_pages_show_registry_figures(work, tree, dept_admin, login, api):
    client = login(dept_admin)
    plans = client.get("/recruitment/plans/", {"within": tree["city"].pk, "year": 2025})
    total = plans.context["total"]
    assert (total.admitted, total.under_35, total.college, total.frontline, total.late) == (4, 2, 2, 2, 2)
    county_a = next(r for r in plans.context["rows"] if r.org == tree["county_a"])
    assert county_a.admitted == 4 and county_a.late == 2
    page = plans.content.decode()
    assert link("recruitment.admitted_young", tree["county_a"]) in page
    assert link("flows.admitted", tree["city"], "2025-12-01", "2025-12-31") in page
    answer = api(dept_admin)(
        "/indicators/flows.admitted", org=tree["city"].pk, **{"from": "2025-01-01", "to": "2025-12-31"}
    )
    assert answer.json()["value"] == total.admitted
    listing = client.get("/recruitment/", {"within": tree["city"].pk})
    counts = {number: figure.value for number, _, figure in listing.context["stages"]}
    assert counts == {1: 1, 2: 1, 3: 1, 4: 0, 5: 0}
    assert "/reports/indicators/recruitment.stage_3/?org=" in listing.content.decode()


# --- the dashboard ---------------------------------------------------------------------------------------


def test_the_dashboard_shows_compliance_colours_and_work_figures(work, tree, dept_admin, login):
    from dangjian.activities import queries, rules

    response = login(dept_admin).get("/reports/dashboard/", {"org": tree["city"].pk})
    data = response.context["data"]
    panel = next(p for p in data["panels"] if p["key"] == "compliance")
    quarter = rules.period_of(date(2026, 3, 1), "quarter")
    expected = rules.count_by_colour(
        (c for _, c in queries.subtree_compliance(dept_admin, tree["city"], quarter)), date(2026, 3, 1)
    )
    assert [item["value"] for item in panel["items"]] == [
        expected["red"],
        expected["amber"],
        expected["green"],
    ]
    assert sum(expected.values()) == 6 and expected["red"] == 2  # both branches missed January's theme day
    red = login(dept_admin).get(panel["items"][0]["url"])
    assert [row["org"] for row in red.context["page_obj"]] == [tree["branch_a"], tree["branch_b"]]
    work_figures = {item["key"]: item["value"] for item in data["work_headline"]}
    this_year = Period.year(2026)
    for key, value in work_figures.items():
        assert registry.get(key).value(dept_admin, tree["city"], this_year) == value
    assert work_figures["recruitment.activists"] == 1 and work_figures["activities.held"] == 1
    assert work_figures["activities.present"] == 1  # 甲一 at the party lecture of 1 January 2026


def test_a_panel_above_the_limit_only_links(work, tree, dept_admin):
    from dangjian.activities import queries

    panel = queries.dashboard_compliance(dept_admin, tree["city"], date(2026, 3, 1), limit=2)
    assert [item["value"] for item in panel["items"]] == [None, None, None]
    assert panel["note"] and "colour=red" in panel["items"][0]["url"]


def test_a_large_subtree_gets_its_panel_after_the_page(work, tree, dept_admin, outsider, login, monkeypatch):
    """Above the page's limit the dashboard comes at once and asks for the colours by a second request."""
    from dangjian.activities import queries

    with time_machine.travel(date(2026, 3, 1), tick=False):
        counted = queries.dashboard_compliance(dept_admin, tree["city"], date(2026, 3, 1))
        monkeypatch.setattr(queries, "DASHBOARD_ORG_LIMIT", 2)
        client = login(dept_admin)
        board = client.get("/reports/dashboard/", {"org": tree["city"].pk})
        panel = next(p for p in board.context["data"]["panels"] if p["key"] == "compliance")
        assert panel["later"] and [item["value"] for item in panel["items"]] == [None, None, None]
        assert "正在统计" in panel["note"]
        full = client.get(panel["later_url"]).json()
        assert full["note"] is None and full["items"] == counted["items"]
        assert sum(item["value"] for item in full["items"]) == 6
        monkeypatch.setattr(queries, "DASHBOARD_WIDE_LIMIT", 2)
        beyond = client.get(panel["later_url"]).json()
        assert [item["value"] for item in beyond["items"]] == [None, None, None]
        assert not beyond["later"] and "请点击" in beyond["note"]
        assert client.get("/reports/dashboard/panels/nothing/", {"org": tree["city"].pk}).status_code == 404
        assert login(outsider).get(panel["later_url"]).status_code == 404


def test_the_dashboard_work_figures_come_from_the_kept_rows(work, tree, dept_admin):
    """The page counts them with everything else at any size of subtree: every one is answered from its
    app's roll-ups, none from the records (a province's root has millions of them)."""
    from dangjian.reports import dashboard

    with CaptureQueriesContext(connection) as captured:
        items = dashboard.work_headline(dept_admin, tree["city"], Period.year(timezone.localdate().year))
    records = ['"dues_duesbill"', '"dues_duespayment"', '"activities_activity"', '"activities_attendance"']
    records += ['"members_member"', '"recruitment_recruitment"', '"recruitment_step"', '"recruitment_vote"']
    assert [q["sql"] for q in captured if any(table in q["sql"] for table in records)] == []
    assert {item["key"]: item["value"] for item in items}["activities.held"] == 1


# --- scope ------------------------------------------------------------------------------------------------


def test_the_outsider_sees_only_their_own_records(work, tree, outsider, login, api):
    client = login(outsider)
    get = api(outsider)
    for key in KEYS:
        hidden = {"org": tree["county_a"].pk, "from": "2025-01-01", "to": "2025-12-31"}
        assert client.get(f"/reports/indicators/{key}/", hidden).status_code == 404
        assert get(f"/indicators/{key}", **hidden).status_code == 404
        assert get(f"/indicators/{key}/records", **hidden).status_code == 404
    own = registry.get("dues.received_amount").value(outsider, tree["branch_b"], YEAR)
    assert own == D("70.25")
    assert registry.get("activities.held").value(outsider, tree["branch_b"], YEAR) == 1
    for path in ("/activities/figures/", "/dues/report/", "/recruitment/plans/", "/recruitment/"):
        assert client.get(path, {"within": tree["county_a"].pk}).status_code == 404
    board = client.get("/reports/dashboard/").content.decode()
    assert "甲村" not in board and "甲县委" not in board
