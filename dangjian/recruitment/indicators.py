"""The figures of member development (发展党员) in the indicator registry (reports).

Three kinds of records are counted:

- people on the path (入党申请人、入党积极分子、发展对象): member records by their CURRENT category, under
  their org of record. The records keep no dated history of these categories, so these are today's
  figures whatever the period (the descriptions say so);
- dated facts in the period: the member events the category changes write (``MemberEvent`` by
  ``occurred_on``, the same source as ``flows.admitted``), the steps of the 25 (``Step`` by its date,
  under the org that recorded it) and the general meetings' votes (``Vote`` by meeting date);
- open development cases (``Recruitment``) by the stage of their last step, now, under the developing
  branch — the counts of the case list.

The admissions of the plan page are ``flows.admitted`` (reports); its structure shares are the
``recruitment.admitted_*`` indicators below, over the same events.
"""

from datetime import date

from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear, TruncMonth
from django.db.models.lookups import Exact, LessThan, LessThanOrEqual
from django.urls import reverse

from dangjian.members.models import Category, Member, MemberEventKind
from dangjian.recruitment.models import (
    STAGES,
    CaseStageRollup,
    CaseStatus,
    OnPathSubtreeRollup,
    Recruitment,
    RecruitmentMonthRollup,
    Step,
    StepKind,
    Vote,
)
from dangjian.recruitment.queries import COLLEGE_OR_ABOVE, FRONTLINE, YOUNG_AGE
from dangjian.reports.indicators import MEMBER_EVENTS, fixed, member_detail
from dangjian.reports.registry import Indicator, Period, Source, register
from dangjian.reports.registry import get as registry_get
from dangjian.reports.subtrees import SubtreeCounts, in_months

PEOPLE = Source(
    key="recruitment_people",
    name="入党申请人、积极分子和发展对象",
    model=Member,
    path_lookup="org__path",
    base=lambda period: Q(
        on_roll=True, category__in=(Category.APPLICANT, Category.ACTIVIST, Category.CANDIDATE)
    ),
    select_related=("org",),
    order_by=("org__path", "name_initials", "pk"),
    columns=(
        ("姓名", lambda m: m.name),
        ("性别", lambda m: m.get_sex_display()),
        ("出生日期", lambda m: m.birth_date),
        ("人员类别", lambda m: m.get_category_display()),
        ("申请入党日期", lambda m: m.applied_on),
        ("所在党组织", lambda m: m.org.name),
    ),
    detail_url=member_detail,
    current=True,
)

CASES = Source(
    key="recruitment_cases",
    name="发展党员纪实(进行中)",
    model=Recruitment,
    path_lookup="org__path",
    base=lambda period: Q(status=CaseStatus.OPEN),
    select_related=("member", "org"),
    order_by=("org__path", "-last_step_on", "pk"),
    columns=(
        ("姓名", lambda c: c.member.name),
        ("已完成步骤", lambda c: c.last_step),
        ("最近步骤日期", lambda c: c.last_step_on),
        ("警示数", lambda c: c.warning_count),
        ("党组织", lambda c: c.org.name),
    ),
    detail_url=lambda c: reverse("recruitment:detail", args=[c.pk]),
    current=True,
)

STEPS = Source(
    key="recruitment_steps",
    name="发展党员步骤",
    model=Step,
    path_lookup="org__path",
    base=lambda period: period.q("occurred_on"),
    select_related=("recruitment__member", "org"),
    order_by=("-occurred_on", "-pk"),
    columns=(
        ("姓名", lambda s: s.recruitment.member.name),
        ("步骤", lambda s: f"第{s.number}步 {s.get_number_display()}"),
        ("日期", lambda s: s.occurred_on),
        ("文号", lambda s: s.document_number),
        ("登记党组织", lambda s: s.org.name),
    ),
    detail_url=lambda s: reverse("recruitment:detail", args=[s.recruitment_id]),
)

VOTES = Source(
    key="recruitment_votes",
    name="支部党员大会表决",
    model=Vote,
    path_lookup="org__path",
    base=lambda period: period.q("held_on"),
    select_related=("recruitment__member", "org"),
    order_by=("-held_on", "-pk"),
    columns=(
        ("姓名", lambda v: v.recruitment.member.name),
        ("表决事项", lambda v: v.get_kind_display()),
        ("会议日期", lambda v: v.held_on),
        ("应到", lambda v: v.should_attend),
        ("实到", lambda v: v.present),
        ("赞成", lambda v: v.yes),
        ("通过", lambda v: v.passed),
        ("未通过原因", lambda v: v.get_failure_reason_display()),
        ("党组织", lambda v: v.org.name),
    ),
    detail_url=lambda v: reverse("recruitment:detail", args=[v.recruitment_id]),
)

NOW = "(当前状态,不随统计期间回溯)"
PEOPLE_CATEGORIES: dict[str, str] = {}  # people indicator key → the category it counts
for category, key in (
    (Category.APPLICANT, "applicants"),
    (Category.ACTIVIST, "activists"),
    (Category.CANDIDATE, "candidates"),
):
    PEOPLE_CATEGORIES[f"recruitment.{key}"] = category.value
    register(
        Indicator(
            f"recruitment.{key}",
            category.label,
            f"人员类别为“{category.label}”的在册人员,按其所在党组织统计{NOW}。",
            "人",
            PEOPLE,
            fixed(Q(category=category)),
            group="recruitment_people",
        )
    )

ADMITTED = Q(kind=MemberEventKind.ADMITTED)


def admitted_young(period: Period) -> Q:
    """Admitted at 35 or younger on the day of admission (``members.rules.age_on`` in SQL): the birthday
    of the admission year not yet reached counts one year less."""
    day, birth = F("occurred_on"), F("member__birth_date")
    years = ExtractYear(day) - ExtractYear(birth)
    before_birthday = Q(LessThan(ExtractMonth(day), ExtractMonth(birth))) | (
        Q(Exact(ExtractMonth(day), ExtractMonth(birth))) & Q(LessThan(ExtractDay(day), ExtractDay(birth)))
    )
    return ADMITTED & (
        Q(LessThanOrEqual(years, YOUNG_AGE)) | (Q(Exact(years, YOUNG_AGE + 1)) & before_birthday)
    )


for key, name, description, q in (
    (
        "activists_confirmed",
        "确定入党积极分子",
        "期间被确定为入党积极分子的人数(“确定为入党积极分子”事项,按登记事项的党组织)。",
        fixed(Q(kind=MemberEventKind.ACTIVIST_CONFIRMED)),
    ),
    (
        "candidates_confirmed",
        "确定发展对象",
        "期间被确定为发展对象的人数(“确定为发展对象”事项,按登记事项的党组织)。",
        fixed(Q(kind=MemberEventKind.CANDIDATE_CONFIRMED)),
    ),
    (
        "admitted_young",
        "发展35岁及以下党员",
        f"期间接收为预备党员的人中,接收之日年龄为{YOUNG_AGE}周岁及以下的人数(按作出接收决定的党组织)。",
        admitted_young,
    ),
    (
        "admitted_college",
        "发展大专及以上学历党员",
        "期间接收为预备党员的人中,学历为研究生、大学本科或大学专科的人数(按作出接收决定的党组织)。",
        fixed(ADMITTED & Q(member__education__in=sorted(COLLEGE_OR_ABOVE))),
    ),
    (
        "admitted_frontline",
        "发展生产工作一线党员",
        "期间接收为预备党员的人中,职业为工人、农牧渔民或专业技术人员(本地口径的生产、工作一线)的人数。",
        fixed(ADMITTED & Q(member__occupation__in=sorted(FRONTLINE))),
    ),
):
    register(Indicator(f"recruitment.{key}", name, description, "人", MEMBER_EVENTS, q, group="recruitment"))

register(
    Indicator(
        "recruitment.open_cases",
        "进行中的发展党员纪实",
        f"状态为“进行中”的发展党员纪实,按发展的党支部统计{NOW}。",
        "人",
        CASES,
        group="recruitment_cases",
    )
)
STAGE_STEPS: dict[str, list[int]] = {}  # stage indicator key → the last steps it counts
for number, title, steps in STAGES:
    numbers = list(steps) + ([0] if number == 1 else [])
    STAGE_STEPS[f"recruitment.stage_{number}"] = numbers
    register(
        Indicator(
            f"recruitment.stage_{number}",
            f"第{number}阶段:{title}",
            f"进行中的发展党员纪实中,最近完成的步骤属于第{number}阶段“{title}”"
            f"(第{steps.start}至{steps.stop - 1}步{',含尚未登记步骤的' if number == 1 else ''})的人数{NOW}。",
            "人",
            CASES,
            fixed(Q(last_step__in=numbers)),
            group="recruitment_cases",
        )
    )

register(
    Indicator(
        "recruitment.steps",
        "登记发展党员步骤",
        "期间办理的发展党员步骤数(按步骤日期和登记步骤的党组织)。",
        "步",
        STEPS,
        group="recruitment_steps",
    )
)
register(
    Indicator(
        "recruitment.applications",
        "递交入党申请",
        "期间递交入党申请书的人数(发展党员纪实第1步“递交入党申请书”的日期在期间内,按登记步骤的党组织)。",
        "人",
        STEPS,
        fixed(Q(number=StepKind.APPLICATION)),
        group="recruitment_steps",
    )
)
register(
    Indicator(
        "recruitment.steps_warned",
        "带警示的发展党员步骤",
        "期间办理的发展党员步骤中,登记时有警示(不符合规定但未被禁止)的步骤数。",
        "步",
        STEPS,
        fixed(~Q(findings=[])),
        group="recruitment_steps",
    )
)
register(
    Indicator(
        "recruitment.votes",
        "支部党员大会表决",
        "期间召开的支部党员大会对发展党员、预备党员转正的表决次数(每人一次,含未通过的)。",
        "次",
        VOTES,
        group="recruitment_votes",
    )
)
register(
    Indicator(
        "recruitment.votes_failed",
        "未通过的表决",
        "期间支部党员大会表决中因到会人数或赞成票未过半而未通过的次数。",
        "次",
        VOTES,
        fixed(Q(passed=False)),
        group="recruitment_votes",
    )
)


# --- the kept figures ------------------------------------------------------------------------------------
#
# ``OnPathRollup`` and ``OnPathSubtreeRollup`` keep the people on the path per org (and org's subtree) and
# category (recruitment.services recounts an org at every change of its member records);
# ``CaseStageRollup`` keeps the open cases per org's subtree and last step, ``RecruitmentMonthRollup`` the
# steps and votes per org's subtree and month (recruitment.services adds each case's difference up the
# tree). Every indicator of the four sources above is one of their columns, so a province's root is
# answered from a few rows instead of counting hundreds of thousands of cases and steps.

CASE_NAMES = ["open_cases"]
PEOPLE_NAMES = ["people"]
PATH_CATEGORIES = sorted(PEOPLE_CATEGORIES.values())  # the categories the people rows are kept by
MONTH_NAMES = ["steps", "applications", "steps_warned", "votes", "votes_failed"]
STEP_NAMES, VOTE_NAMES = MONTH_NAMES[:3], MONTH_NAMES[3:]
EVERY = Period(date.min, date.max)

# The indicator each kept column counts (its own filter counts the rows when the roll-ups are rebuilt).
COUNTED_AS = {
    "steps": "recruitment.steps",
    "applications": "recruitment.applications",
    "steps_warned": "recruitment.steps_warned",
    "votes": "recruitment.votes",
    "votes_failed": "recruitment.votes_failed",
}


def _counts(names: list[str]) -> dict:
    indicators = {name: registry_get(COUNTED_AS[name]) for name in names}
    return {name: Count("pk", filter=indicator.q(EVERY)) for name, indicator in indicators.items()}


def people_counts(members: QuerySet) -> QuerySet:
    """The people on the path among these member records, one row per (org, category): org_id,
    org__path, category, people (the people source's own filter)."""
    return (
        members.filter(PEOPLE.base(EVERY))
        .order_by()
        .values("org_id", "org__path", "category")
        .annotate(people=Count("pk"))
    )


def people_rows(members: QuerySet) -> dict[str, dict[str, list[int]]]:
    """{category: {org path: [people]}} of these member records."""
    found: dict[str, dict[str, list[int]]] = {}
    for row in people_counts(members):
        found.setdefault(row["category"], {})[row["org__path"]] = [row["people"]]
    return found


def case_counts(cases: QuerySet) -> QuerySet:
    """The open cases of these, one row per (developing org, last step): org_id, org__path, last_step,
    open_cases (the case source's own filter)."""
    return (
        cases.filter(CASES.base(EVERY))
        .order_by()
        .values("org_id", "org__path", "last_step")
        .annotate(open_cases=Count("pk"))
    )


def step_counts(steps: QuerySet) -> QuerySet:
    """One row per (recording org, month) of these steps: org_id, org__path, month and ``STEP_NAMES``."""
    return (
        steps.order_by()
        .annotate(month=TruncMonth("occurred_on", output_field=DateField()))
        .values("org_id", "org__path", "month")
        .annotate(**_counts(STEP_NAMES))
    )


def vote_counts(votes: QuerySet) -> QuerySet:
    """One row per (org, month of the meeting) of these votes: org_id, org__path, month and ``VOTE_NAMES``."""
    return (
        votes.order_by()
        .annotate(month=TruncMonth("held_on", output_field=DateField()))
        .values("org_id", "org__path", "month")
        .annotate(**_counts(VOTE_NAMES))
    )


def _month(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def case_rows(cases: QuerySet) -> dict[int, dict[str, list[int]]]:
    """{last step: {org path: [open cases]}} of these cases."""
    found: dict[int, dict[str, list[int]]] = {}
    for row in case_counts(cases):
        found.setdefault(row["last_step"], {})[row["org__path"]] = [row["open_cases"]]
    return found


def month_rows(steps: QuerySet, votes: QuerySet) -> dict[date, dict[str, list[int]]]:
    """{month: {org path: one number per ``MONTH_NAMES``}} of these steps and votes."""
    found: dict[date, dict[str, list[int]]] = {}
    for counts, names in ((step_counts(steps), STEP_NAMES), (vote_counts(votes), VOTE_NAMES)):
        for row in counts:
            by_path = found.setdefault(_month(row["month"]), {})
            numbers = by_path.setdefault(row["org__path"], [0] * len(MONTH_NAMES))
            for name in names:
                numbers[MONTH_NAMES.index(name)] = row[name]
    return found


def _people_aggregate(indicator: Indicator):
    """The aggregate over ``OnPathSubtreeRollup`` rows answering a people indicator, or None."""
    category = PEOPLE_CATEGORIES.get(indicator.key)
    return None if category is None else Sum("people", filter=Q(category=category))


def _case_aggregate(indicator: Indicator):
    """The aggregate over ``CaseStageRollup`` rows answering a case indicator, or None."""
    if indicator.key == "recruitment.open_cases":
        return Sum("open_cases")
    numbers = STAGE_STEPS.get(indicator.key)
    return None if numbers is None else Sum("open_cases", filter=Q(last_step__in=numbers))


def _month_aggregate(indicator: Indicator):
    """The aggregate over ``RecruitmentMonthRollup`` rows answering a step or vote indicator, or None."""
    column = {key: name for name, key in COUNTED_AS.items()}.get(indicator.key)
    return None if column is None else Sum(column)


def _current(period: Period) -> Q:
    return Q()  # the open cases as they stand now, whatever the period (as the live count)


# The accelerators of the three sources (registry.accelerators, set in apps.py), for a viewer of the org's
# whole subtree: cases, steps and votes are seen by their org of record, so then the kept rows are exact.
PeopleCounts = SubtreeCounts(OnPathSubtreeRollup, _people_aggregate, _current)
CaseCounts = SubtreeCounts(CaseStageRollup, _case_aggregate, _current)
MonthCounts = SubtreeCounts(RecruitmentMonthRollup, _month_aggregate, in_months)  # steps and votes
