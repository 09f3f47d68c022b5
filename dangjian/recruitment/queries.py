"""Reading member development: case lists, the review of a recorded case, the to-do list, plan fulfilment
and the yearly archive audit. Every function takes the user and filters through their scope first.

Each loads what it needs in a fixed number of queries, however many cases there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Max
from django.utils import timezone

from dangjian.core.access import subtree_q
from dangjian.core.rules import Finding, Level
from dangjian.members.models import Education, Member, MemberEvent, MemberEventKind, Occupation
from dangjian.orgs.models import Org
from dangjian.recruitment import rules
from dangjian.recruitment.models import (
    STAGES,
    AnnualPlan,
    Assessment,
    Recruitment,
    Sponsorship,
    Step,
    StepKind,
    Vote,
)
from dangjian.recruitment.services import current_switches, person_facts, probation_checks
from dangjian.reports import registry
from dangjian.reports.registry import Figure, Period

COLLEGE_OR_ABOVE = frozenset({Education.POSTGRADUATE, Education.BACHELOR, Education.COLLEGE})
# 生产、工作一线 as counted here: workers, farmers and professionals [L — local practice differs].
FRONTLINE = frozenset({Occupation.WORKER, Occupation.FARMER, Occupation.PROFESSIONAL})
YOUNG_AGE = 35
# 突击发展: admissions in the last weeks of the year [L]. Flagged when the December share is this high.
CRASH_FROM_MONTH_DAY = (12, 1)
CRASH_SHARE = Decimal("30")
CRASH_MIN_ADMISSIONS = 5


def cases_in(user, within: Org):
    return Recruitment.objects.visible_to(user).filter(subtree_q("org__path", within.path))


# --- the review of a recorded case (retrospective) ------------------------------------------------------


def review(case: Recruitment) -> list[tuple[int, Finding]]:
    """Every finding of the steps as recorded: each step checked against the steps before it, with the
    rule sets stored on it. Steps that went through the services show only their warnings; records that
    came from elsewhere (old files, imports) show every rule they break."""
    steps = list(case.steps.order_by("number"))
    votes = {v.step_id: v for v in Vote.objects.filter(recruitment=case, step__isnull=False)}
    people = defaultdict(list)
    for s in Sponsorship.objects.filter(recruitment=case).select_related("person"):
        people[s.step_id].append(s.person)
    return review_steps(case.member, steps, votes, people)


def review_steps(
    member: Member, steps: list[Step], votes: dict, people: dict, probation: dict | None = None
) -> list[tuple[int, Finding]]:
    """The findings of recorded steps; ``probation`` (from ``services.probation_checks``) saves a query a person."""
    found = []
    facts = rules.CaseFacts(birth_date=member.birth_date, extension_months=member.probation_extended_months)
    for step in steps:
        details = {
            k: date.fromisoformat(v) if k.startswith("publicity_") and isinstance(v, str) else v
            for k, v in (step.details or {}).items()
        }
        vote = votes.get(step.pk)
        count = (
            rules.VoteCount(vote.should_attend, vote.present, vote.yes, vote.no, vote.abstain)
            if vote
            else None
        )
        checks = rules.step_findings(
            facts, step.number, step.occurred_on, details, step.rule_sets or ["2014"], count
        )
        if step.number in (StepKind.MENTORS_ASSIGNED, StepKind.SPONSORS_CONFIRMED):
            role = "sponsor" if step.number == StepKind.SPONSORS_CONFIRMED else "mentor"
            chosen = [
                person_facts(
                    p, member.pk, step.occurred_on, probation.get(p.pk) if probation is not None else None
                )
                for p in people.get(step.pk, [])
            ]
            checks += rules.people_findings(role, chosen, step.org_id, step.occurred_on)
        found += [(step.number, f) for f in checks if f.level != Level.REMIND]
        facts.dates[step.number] = step.occurred_on
        facts.details[step.number] = details
    return found


# --- the to-do list -------------------------------------------------------------------------------------


@dataclass
class TodoItem:
    case: Recruitment
    finding: Finding
    due_on: date


def facts_of_cases(cases: list[Recruitment]) -> dict[int, rules.CaseFacts]:
    """The facts of many cases in two queries (steps, last assessments)."""
    facts = {
        c.pk: rules.CaseFacts(
            birth_date=c.member.birth_date, extension_months=c.member.probation_extended_months
        )
        for c in cases
    }
    ids = list(facts)
    for case_id, number, day in Step.objects.filter(recruitment_id__in=ids).values_list(
        "recruitment_id", "number", "occurred_on"
    ):
        facts[case_id].dates[number] = day
    last = (
        Assessment.objects.filter(recruitment_id__in=ids)
        .order_by()
        .values_list("recruitment_id")
        .annotate(last=Max("assessed_on"))
    )
    for case_id, day in last:
        facts[case_id].last_assessment_on = day
    return facts


def todo(user, within: Org, today: date, rule_id: str = "") -> list[TodoItem]:
    """Every reminder of the open cases in the subtree, the most urgent (earliest due) first."""
    cases = list(cases_in(user, within).open().select_related("member", "org"))
    facts = facts_of_cases(cases)
    sets = rules.sets_in_force(today, current_switches())
    items = [
        TodoItem(case, reminder.finding, reminder.due_on)
        for case in cases
        for reminder in rules.case_reminders(facts[case.pk], today, sets)
        if not rule_id or reminder.finding.rule_id == rule_id
    ]
    items.sort(key=lambda item: (item.due_on, item.case.org.path, item.case.member.name))
    return items


# --- annual plans ---------------------------------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# The admission figures of a plan row: the attribute of ``Fulfilment`` and its indicator (reports registry).
ADMISSION_KEYS = {
    "admitted": "flows.admitted",
    "under_35": "recruitment.admitted_young",
    "college": "recruitment.admitted_college",
    "frontline": "recruitment.admitted_frontline",
}


@dataclass
class Fulfilment:
    org: Org
    year: int
    planned: int | None
    admitted: int = 0
    under_35: int = 0
    college: int = 0
    frontline: int = 0
    late: int = 0  # admitted from 1 December
    plans: list[AnnualPlan] = field(default_factory=list)
    # The records page behind each figure, by attribute name ("admitted", "under_35", …, "late").
    links: dict[str, str] = field(default_factory=dict)

    @property
    def share_of_plan(self) -> Decimal | None:
        return percent(self.admitted, self.planned or 0)

    @property
    def under_35_share(self) -> Decimal | None:
        return percent(self.under_35, self.admitted)

    @property
    def college_share(self) -> Decimal | None:
        return percent(self.college, self.admitted)

    @property
    def frontline_share(self) -> Decimal | None:
        return percent(self.frontline, self.admitted)

    @property
    def late_share(self) -> Decimal | None:
        return percent(self.late, self.admitted)

    @property
    def crash_recruitment(self) -> bool:
        """突击发展: many of the year's admissions fall in its last weeks."""
        share = self.late_share
        return self.admitted >= CRASH_MIN_ADMISSIONS and share is not None and share >= CRASH_SHARE

    def target(self, name: str) -> Decimal | None:
        """A structure target of a single plan (a sum of plans has no single target)."""
        return getattr(self.plans[0], name) if len(self.plans) == 1 else None

    def take(self, figures: dict[str, Figure], late: Figure) -> None:
        for name, key in ADMISSION_KEYS.items():
            setattr(self, name, figures[key].value)
            self.links[name] = figures[key].url
        self.late, self.links["late"] = late.value, late.url


def planned_in(plans: list[AnnualPlan], org: Org) -> tuple[int | None, list[AnnualPlan]]:
    """The quota of a subtree: the plan set on the org itself, else the sum of the topmost plans below it."""
    inside = sorted((p for p in plans if p.org.path.startswith(org.path)), key=lambda p: p.org.path)
    topmost = []
    for plan in inside:
        if not any(plan.org.path.startswith(top.org.path) for top in topmost):
            topmost.append(plan)
    if not topmost:
        return None, []
    return sum(p.quota for p in topmost), topmost


def fulfilment(user, within: Org, year: int) -> tuple[Fulfilment, list[Fulfilment]]:
    """Admitted vs planned for the subtree and for each of its direct subordinates.

    Admitted = 接收为预备党员 member events dated in the year (``flows.admitted`` of the registry, the
    figure the statistics tables show), with its structure (``recruitment.admitted_*``) and the
    admissions from 1 December (the same indicator over December), each with its records link."""
    children = list(
        Org.objects.visible_to(user)
        .filter(path__startswith=within.path, depth=within.depth + 1)
        .order_by("path")
    )
    plans = list(
        AnnualPlan.objects.visible_to(user)
        .filter(subtree_q("org__path", within.path), year=year)
        .select_related("org")
    )
    rows = {}
    for org in [within, *children]:
        planned, used = planned_in(plans, org)
        rows[org.pk] = Fulfilment(org, year, planned, plans=used)
    period, december = Period.year(year), Period(date(year, *CRASH_FROM_MONTH_DAY), date(year, 12, 31))
    keys = list(ADMISSION_KEYS.values())
    late_key = ADMISSION_KEYS["admitted"]
    rows[within.pk].take(
        registry.figures(user, within, period, keys),
        registry.figures(user, within, december, [late_key])[late_key],
    )
    by_child = registry.figures_by_child(user, within, children, period, keys)
    late_by_child = registry.figures_by_child(user, within, children, december, [late_key])
    for child in children:
        rows[child.pk].take(by_child[child.pk], late_by_child[child.pk][late_key])
    return rows[within.pk], [rows[c.pk] for c in children]


# --- the yearly archive audit ---------------------------------------------------------------------------


@dataclass
class AuditRow:
    member: Member
    admitted_on: date
    case: Recruitment | None
    findings: list[tuple[int, Finding]]


def archive_audit(user, within: Org, year: int) -> list[AuditRow]:
    """Everyone admitted in ``year`` in the subtree, with every finding of their recorded case
    (定量抽查 of the year's files). A person admitted without a case record is a finding in itself."""
    events = list(
        MemberEvent.objects.visible_to(user)
        .filter(subtree_q("org__path", within.path), kind=MemberEventKind.ADMITTED)
        .filter(occurred_on__gte=date(year, 1, 1), occurred_on__lte=date(year, 12, 31))
        .select_related("member", "member__org")
        .order_by("org__path", "occurred_on", "pk")
    )
    members = {e.member_id: e for e in events}
    cases = {
        c.member_id: c for c in Recruitment.objects.filter(member_id__in=list(members)).select_related("org")
    }
    steps = defaultdict(list)
    for step in Step.objects.filter(recruitment__member_id__in=list(members)).order_by("number"):
        steps[step.recruitment_id].append(step)
    votes = {
        v.step_id: v
        for v in Vote.objects.filter(recruitment__member_id__in=list(members), step__isnull=False)
    }
    people = defaultdict(list)
    for s in Sponsorship.objects.filter(recruitment__member_id__in=list(members)).select_related("person"):
        people[s.step_id].append(s.person)
    checks = probation_checks([p.pk for chosen in people.values() for p in chosen])
    rows = []
    for member_id, event in members.items():
        case = cases.get(member_id)
        if case is None:
            missing = Finding(
                Level.WARN, "recruitment.no_record", "没有发展党员全程纪实记录。", rules.SOURCE_2014
            )
            rows.append(AuditRow(event.member, event.occurred_on, None, [(0, missing)]))
            continue
        recorded = steps[case.pk]
        found = review_steps(event.member, recorded, votes, people, checks)
        numbers = {s.number for s in recorded}
        absent = [n for n in range(1, StepKind.ADMISSION_MEETING + 1) if n not in numbers]
        if absent:
            message = "缺少步骤:" + "、".join(f"第{n}步{StepKind(n).label}" for n in absent)
            found.insert(0, (absent[0], rules.finding("recruitment.step_order", message)))
        rows.append(AuditRow(event.member, event.occurred_on, case, found))
    return rows


def stage_counts(user, within: Org) -> dict[int, Figure]:
    """Open cases in the subtree by stage (1–5): the registry's ``recruitment.stage_<n>``, one query.
    The cases are counted as they stand now; the period only dates the records link."""
    keys = {number: f"recruitment.stage_{number}" for number, _, _ in STAGES}
    found = registry.figures(user, within, Period.year(timezone.localdate().year), keys.values())
    return {number: found[key] for number, key in keys.items()}
