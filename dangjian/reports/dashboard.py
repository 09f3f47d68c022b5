"""The figures of the dashboard (数据大屏): headline numbers, member structure, trends, orgs, reminders.

Every number is an indicator of the registry, computed in one query per source, and carries the link to
its records; the trend reads the same definitions (``on_roll_on``, ``flows.admitted``) year by year in
one query each. The page renders this dict into ECharts options; a click on any element opens its link.
"""

from collections.abc import Callable
from datetime import date

from django.db.models import Count
from django.urls import reverse

from dangjian.core.access import subtree_q
from dangjian.core.templatetags.cn import wan
from dangjian.members import queries as member_queries
from dangjian.members.models import Member
from dangjian.members.rules import AGE_BANDS
from dangjian.orgs.models import Org
from dangjian.reports import registry, rollups
from dangjian.reports.indicators import ADMISSION_BANDS, on_roll_on
from dangjian.reports.registry import Period

TREND_YEARS = 10
REMINDER_LIMIT = 20_000  # members in the subtree up to which the dashboard lists the reminders itself
HEADLINE = (
    "members.total",
    "members.category.probationary",
    "orgs.total",
    "orgs.kind.branch",
    "flows.admitted",
    "flows.converted",
)
SERIES = {
    "age": [f"members.age.{band}" for band in range(len(AGE_BANDS))],
    "education": [
        "members.education.postgraduate",
        "members.education.bachelor",
        "members.education.college",
        "members.education.secondary_vocational",
        "members.education.high_school",
        "members.education.junior_or_below",
        "members.education.unknown",
    ],
    "sex": ["members.sex.male", "members.sex.female"],
    "occupation": [
        "members.occupation.worker",
        "members.occupation.farmer",
        "members.occupation.professional",
        "members.occupation.manager",
        "members.occupation.official",
        "members.occupation.student",
        "members.occupation.other",
        "members.occupation.retired",
        "members.occupation.unknown",
    ],
    "admission": [f"members.admission.{code}" for code, _, _ in ADMISSION_BANDS],
    "org_kind": [
        "orgs.kind.committee",
        "orgs.kind.working_committee",
        "orgs.kind.general_branch",
        "orgs.kind.branch",
        "orgs.kind.joint_branch",
        "orgs.kind.temporary_branch",
    ],
}


# Headline figures of the other apps' indicators (development, organizational life, dues), this year;
# a key whose app is not installed is left out.
WORK_HEADLINE = (
    "recruitment.activists",
    "recruitment.candidates",
    "activities.held",
    # 人次 from the attendance roll-ups (activities.AttendanceRollup): counting a city's year of attendance
    # rows live (478,580 in the demo) took 300-440 ms of the dashboard's 200 ms.
    "activities.present",
    "dues.paid_amount",
    "dues.unpaid_amount",
)

# Panels other apps add to the dashboard. Reports cannot import them (they import reports for their
# indicators), so an app registers a function in its AppConfig.ready(), as with core.workbench:
#     register_panel(fn)   fn(user, org, today, full=False) answers None (nothing to show) or a dict with
#                          ``key``, ``title`` and ``items`` [{"label", "value", "url", "colour"}], drawn as a
#                          pie whose slices open their ``url``; ``note`` and ``url`` (the whole list)
#                          optional. A panel too slow to count with the page answers ``later`` true (values
#                          None): the page then asks ``panel(key, ..., full=True)`` by its own request.
Panel = Callable[..., dict | None]
_panels: list[Panel] = []


def register_panel(panel: Panel) -> Panel:
    if panel not in _panels:
        _panels.append(panel)
    return panel


def unregister_panel(panel: Panel) -> None:
    """For tests: take a registered panel away again."""
    if panel in _panels:
        _panels.remove(panel)


def panels_for(user, org: Org, today: date) -> list[dict]:
    return [found for found in (panel(user, org, today) for panel in _panels) if found]


def panel(key: str, user, org: Org, today: date) -> dict | None:
    """The panel ``key`` with all its figures, however long they take (the page's second request)."""
    for make in _panels:
        found = make(user, org, today, full=True)
        if found and found["key"] == key:
            return found
    return None


def work_headline(user, org: Org, period: Period) -> list[dict]:
    """The headline figures of development, organizational life and dues (one query per source, each
    answered from its app's roll-ups for a viewer of the whole subtree: milliseconds at a province's
    root, bench/README.md)."""
    indicators = registry.lookup(key for key in WORK_HEADLINE if registry.get(key) is not None)
    values = registry.compute(user, org, period, indicators)
    return [
        {
            "key": indicator.key,
            "label": indicator.name + ("(当前)" if indicator.source.current else "(今年)"),
            "value": values[indicator.key],
            "text": wan(values[indicator.key]),
            "unit": indicator.unit,
            "url": registry.records_url(indicator.key, org, period),
        }
        for indicator in indicators
    ]


def trend(user, org: Org, today: date, link: Callable[[str, Period], str]) -> dict:
    """Members on the roll on 31 December of each year (from the roll-ups when kept) and admissions."""
    years = list(range(today.year - TREND_YEARS + 1, today.year + 1))
    periods = {year: Period.year(year) for year in years}
    # The kept years from the subtree rows; only the years not kept (if any) scan the members.
    stock = {f"y{year}": n for year, n in rollups.trend(user, org, years).items()}
    missing = {year: period for year, period in periods.items() if f"y{year}" not in stock}
    if missing:
        members = Member.objects.visible_to(user).filter(subtree_q("org__path", org.path)).order_by()
        stock |= members.aggregate(
            **{f"y{year}": Count("pk", filter=on_roll_on(period)) for year, period in missing.items()}
        )
    # Admissions per year: the same records as flows.admitted for each year, counted year by year in one query.
    admitted = registry.get("flows.admitted")
    span = Period(periods[years[0]].start, periods[years[-1]].end)
    flows = (
        admitted.records(user, org, span)
        .order_by()
        .aggregate(**{f"y{year}": Count("pk", filter=p.q("occurred_on")) for year, p in periods.items()})
    )
    return {
        "years": [str(year) for year in years],
        "members": [stock[f"y{year}"] for year in years],
        "admitted": [flows[f"y{year}"] or 0 for year in years],
        "member_links": [link("members.total", periods[year]) for year in years],
        "admitted_links": [link("flows.admitted", periods[year]) for year in years],
    }


def build(user, org: Org, today: date, records_url: Callable[[str], str]) -> dict:
    """The year-end view of this year: stocks on 31 December (today's roll, ages on 31 December), flows
    from 1 January — the same figures as this year's statistics tables."""
    period = Period.year(today.year)

    def link(key: str, when: Period = period) -> str:
        return f"{records_url(key)}?{registry.records_query(org, when)}"

    keys = list(HEADLINE) + [key for keys in SERIES.values() for key in keys]
    indicators = [registry.get(key) for key in dict.fromkeys(keys)]
    values = registry.compute(user, org, period, indicators)

    def series(name: str) -> dict:
        keys = SERIES[name]
        return {
            "labels": [registry.get(key).name for key in keys],
            "values": [values[key] for key in keys],
            "links": [link(key) for key in keys],
        }

    # The reminders list walks the members it names: computed for a subtree of a county's size, only linked
    # above that (at a city's root it names thousands of people, at a province's hundreds of thousands).
    members = values["members.total"]
    reminders = member_queries.reminders(user, org, today) if members <= REMINDER_LIMIT else None
    return {
        "org": org.name,
        "date": today.isoformat(),
        "headline": [
            {
                "key": key,
                "label": registry.get(key).name + ("(今年)" if key.startswith("flows.") else ""),
                "value": values[key],
                "unit": registry.get(key).unit,
                "url": link(key),
            }
            for key in HEADLINE
        ],
        "charts": {name: series(name) for name in SERIES},
        "work_headline": work_headline(user, org, period),
        "panels": panels_for(user, org, today),
        "trend": trend(user, org, today, link),
        "reminders": {
            "count": None if reminders is None else len(reminders),
            "url": f"{reverse('members:reminders')}?within={org.pk}",
            "items": [
                {
                    "name": r.member.name,
                    "message": r.finding.message,
                    "url": reverse("members:detail", args=[r.member.pk]),
                }
                for r in (reminders or [])[:8]
            ],
        },
    }
