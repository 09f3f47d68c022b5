"""The rules of organizational life (RULES.md §3), as pure functions of dates and counts.

- Periods: a month, a quarter or a year; a meeting on 30 September counts for Q3, on 1 October for Q4.
- Compliance (warn): expected vs held per rule and period, coloured red / amber / green.
- Quorum: 支部党员大会 needs more than half of the voting (full) members expected (《中国共产党支部工作条例
  (试行)》; probationary members have no vote, 党章第七条).
- No back-filling (block, [L] a setting): a record dated more than N days before today needs an unlock.
- Heart talks (warn): 谈心谈话 is owed per pair, once a year — every two committee members, and every
  committee member with every other member of the org (RULES.md §3; 《中国共产党支部工作条例(试行)》
  第十八条). A branch without committee members on record is judged by the count of talks instead.
- Study hours (warn): ≥32 a year, ≥56 for secretaries and committee members (中组部《2019—2023年全国党员
  教育培训工作规划》).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dangjian.core.rules import Finding, Level

SOURCE_BRANCH_RULES = "《中国共产党支部工作条例(试行)》(2018)“三会一课”制度"
SOURCE_QUORUM = "党章第七条(预备党员没有表决权);支部党员大会表决须有表决权的到会党员超过应到会人数的半数"
SOURCE_BACKFILL = "本地规定:组织生活记录须在活动后规定天数内录入(设置项 ACTIVITY_BACKFILL_DAYS)"
SOURCE_HEART_TALK = "《中国共产党支部工作条例(试行)》(2018)第十八条:党支部委员之间、党支部委员和党员之间每年谈心谈话一般不少于1次"
HEART_TALK = "heart_talk"
SOURCE_STUDY_HOURS = "《2019—2023年全国党员教育培训工作规划》:党员每年集中学习培训不少于32学时,基层党组织书记和班子成员不少于56学时"

STUDY_HOURS_MINIMUM = Decimal(32)
STUDY_HOURS_MINIMUM_LEADERS = Decimal(56)

GREEN, AMBER, RED = "green", "amber", "red"
COLOUR_LABELS = {GREEN: "已落实", AMBER: "待落实", RED: "未落实"}


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period: ``start`` and ``end`` both included."""

    start: date
    end: date
    frequency: str

    @property
    def label(self) -> str:
        if self.frequency == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.frequency == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def period_of(day: date, frequency: str) -> Period:
    """The period of the given frequency that ``day`` falls in."""
    if frequency == "month":
        return Period(day.replace(day=1), _month_end(day.year, day.month), frequency)
    if frequency == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        return Period(date(day.year, first, 1), _month_end(day.year, first + 2), frequency)
    if frequency == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31), frequency)
    raise ValueError(f"unknown frequency {frequency}")


def quarter(year: int, number: int) -> Period:
    return period_of(date(year, (number - 1) * 3 + 1, 1), "quarter")


def periods_within(outer: Period, frequency: str) -> list[Period]:
    """The periods of ``frequency`` touching ``outer``: three months of a quarter, the quarter itself, or
    the year the quarter lies in."""
    periods, day = [], outer.start
    while day <= outer.end:
        period = period_of(day, frequency)
        periods.append(period)
        day = period.end + timedelta(days=1)
    return periods


@dataclass(frozen=True)
class Requirement:
    """What one rule expects of one org (or one of its groups) in one period, and what was held."""

    rule_id: int
    label: str
    kind_code: str
    kind_name: str
    period: Period
    expected: int
    held: int
    planned: int
    source: str
    group_name: str = ""
    # Heart talks are owed per pair: ``expected``/``held`` then count pairs, and these are the pairs
    # still owed ("张三—李四"), the first few by name.
    per_pair: bool = False
    missing_pairs: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return self.held >= self.expected

    def colour(self, today: date) -> str:
        if self.met:
            return GREEN
        return RED if self.period.end < today else AMBER

    @property
    def missing_text(self) -> str:
        who = f"{self.group_name}" if self.group_name else ""
        if self.per_pair:
            names = "、".join(self.missing_pairs[:PAIRS_NAMED])
            more = "等" if self.expected - self.held > PAIRS_NAMED else ""
            return (
                f"{self.period.label}{self.label}应谈{self.expected}对,已谈{self.held}对,"
                f"尚有{self.expected - self.held}对未谈:{names}{more}"
            )
        if self.held == 0:
            return (
                f"{self.period.label}{who}未召开{self.kind_name}"
                if self.kind_code.endswith("meeting")
                else (f"{self.period.label}{who}未开展{self.label}")
            )
        return f"{self.period.label}{who}{self.label}{self.held}次,少于要求的{self.expected}次"


@dataclass
class OrgCompliance:
    """An org's requirements for one reporting period and their overall colour."""

    org_id: int
    requirements: list[Requirement] = field(default_factory=list)

    def due(self, today: date) -> list[Requirement]:
        """The requirements of periods that have begun: a month still ahead is not yet owed."""
        return [r for r in self.requirements if r.period.start <= today]

    def colour(self, today: date) -> str:
        colours = {r.colour(today) for r in self.due(today)}
        if RED in colours:
            return RED
        if AMBER in colours:
            return AMBER
        return GREEN

    def missing(self, today: date) -> list[Requirement]:
        return [r for r in self.due(today) if not r.met]

    def findings(self, today: date) -> list[Finding]:
        return [
            Finding(
                Level.WARN if r.period.end < today else Level.REMIND,
                f"activities.{r.kind_code}",
                r.missing_text,
                r.source,
            )
            for r in self.missing(today)
        ]

    def unplanned(self, today: date) -> list[Requirement]:
        """Requirements of periods not yet over, with too few activities held or planned: the reminder."""
        return [r for r in self.requirements if r.period.end >= today and r.held + r.planned < r.expected]


PAIRS_NAMED = 5


def heart_talk_pairs(
    committee: Iterable[int], members: Iterable[int], talks: Iterable[Iterable[int]]
) -> tuple[set[frozenset], set[frozenset]]:
    """The pairs owed a talk this year and those among them that talked.

    Owed: every two committee members, and every committee member with every member who is not on the
    committee. A talk (the people present at one 谈心谈话) covers every pair of its participants.
    """
    committee, members = set(committee), set(members) - set(committee)
    owed = {frozenset((a, b)) for a in committee for b in committee if a < b}
    owed |= {frozenset((c, m)) for c in committee for m in members}
    talked = set()
    for talk in talks:
        people = sorted(set(talk))
        talked |= {frozenset((a, b)) for i, a in enumerate(people) for b in people[i + 1 :]}
    return owed, owed & talked


def rule_in_force(effective_from: date, effective_until: date | None, on: date) -> bool:
    return effective_from <= on and (effective_until is None or effective_until > on)


def has_quorum(voting_expected: int, voting_present: int) -> bool:
    """More than half of the voting members expected are present (a meeting of nobody has none)."""
    return voting_expected > 0 and voting_present * 2 > voting_expected


def backfill_findings(
    held_on: date, today: date, window_days: int, unlocked_from: date | None
) -> list[Finding]:
    """Block a record dated before ``today - window_days`` unless an unlock reaches back to its date."""
    earliest = today - timedelta(days=window_days)
    if held_on >= earliest or (unlocked_from is not None and held_on >= unlocked_from):
        return []
    return [
        Finding(
            Level.BLOCK,
            "activities.no_backfill",
            f"活动日期{held_on.year}年{held_on.month}月{held_on.day}日已超过{window_days}天的录入期限"
            f"(最早可录入{earliest.year}年{earliest.month}月{earliest.day}日),须由上级党组织解锁后补录。",
            SOURCE_BACKFILL,
        )
    ]


def study_hours_minimum(is_leader: bool) -> Decimal:
    return STUDY_HOURS_MINIMUM_LEADERS if is_leader else STUDY_HOURS_MINIMUM


def study_hours_findings(hours: Decimal, is_leader: bool, year: int) -> list[Finding]:
    minimum = study_hours_minimum(is_leader)
    if hours >= minimum:
        return []
    who = "书记和班子成员" if is_leader else "党员"
    return [
        Finding(
            Level.WARN,
            "activities.study_hours",
            f"{year}年学时{hours}学时,低于{who}每年{minimum}学时的要求。",
            SOURCE_STUDY_HOURS,
        )
    ]


def count_by_colour(compliances: Iterable[OrgCompliance], today: date) -> dict[str, int]:
    counts = {GREEN: 0, AMBER: 0, RED: 0}
    for item in compliances:
        counts[item.colour(today)] += 1
    return counts
