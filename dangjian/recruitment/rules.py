"""The checks of member development (RULES.md §1) as versioned rule sets.

Every rule has a key, a level (block / warn / remind), its source and the rule set it belongs to. Two
sets exist: the 2014 细则, always on, and the possible 2026 revision, off until an administrator switches
it on from a date (``RuleSetSwitch``). The sets in force on the date of the step being checked apply,
so a step dated before the switch is checked as before.

All functions here are pure: they read ``CaseFacts`` (the dates and details of the steps already
recorded) and answer ``Finding``s whose messages say exactly which date or condition is missing.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from dangjian.core.rules import Finding, Level
from dangjian.members.rules import add_months, age_on
from dangjian.recruitment.models import StepKind

RULES_2014 = "2014"
RULES_2026 = "2026"
SOURCE_2014 = "《中国共产党发展党员工作细则》(2014)"
SOURCE_CONSTITUTION = "《中国共产党章程》"
SOURCE_2026 = "发展党员工作细则修订稿(2026,待核实)"


@dataclass(frozen=True)
class RuleSet:
    key: str
    label: str
    effective_from: date
    active_by_default: bool
    note: str


RULE_SETS = {
    RULES_2014: RuleSet(
        RULES_2014,
        "《中国共产党发展党员工作细则》(2014年)",
        date(2014, 6, 10),
        True,
        "现行规则,始终启用;也适用于2014年以前的历史记录。",
    ),
    RULES_2026: RuleSet(
        RULES_2026,
        "发展党员工作细则可能的2026年修订(未经核实)",
        date(2026, 1, 1),
        False,
        "发展对象公示不少于5个工作日;预审通过后1个月内召开支部党员大会;审批后1个月内入党宣誓。"
        "默认不启用,由管理员确认后自某日起启用。",
    ),
}


@dataclass(frozen=True)
class Rule:
    key: str
    rule_set: str
    level: Level
    label: str
    source: str


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.key: rule for rule in rules}


B, W, R = Level.BLOCK, Level.WARN, Level.REMIND
RULES = _rules(
    Rule(
        "recruitment.temporary_branch",
        RULES_2014,
        B,
        "临时党支部不能发展党员",
        "《中国共产党支部工作条例(试行)》",
    ),
    Rule("recruitment.step_order", RULES_2014, B, "按步骤顺序办理", f"{SOURCE_2014}第二章至第六章"),
    Rule("recruitment.date_order", RULES_2014, B, "日期不早于上一步骤", f"{SOURCE_2014}第二章至第六章"),
    Rule("recruitment.date_in_future", RULES_2014, B, "日期不晚于今天", SOURCE_2014),
    Rule("recruitment.applicant_age", RULES_2014, B, "申请人年满18周岁", f"{SOURCE_2014}第五条"),
    Rule("recruitment.talk_within_month", RULES_2014, W, "收到申请1个月内谈话", f"{SOURCE_2014}第七条"),
    Rule(
        "recruitment.assessment_half_year", RULES_2014, R, "每半年考察一次积极分子", f"{SOURCE_2014}第十一条"
    ),
    Rule("recruitment.mentors", RULES_2014, B, "培养联系人为1至2名正式党员", f"{SOURCE_2014}第十条"),
    Rule("recruitment.activist_one_year", RULES_2014, B, "积极分子培养考察满1年", f"{SOURCE_2014}第十三条"),
    Rule("recruitment.sponsors", RULES_2014, B, "2名正式党员作入党介绍人", f"{SOURCE_2014}第十四条"),
    Rule(
        "recruitment.review_conclusion",
        RULES_2014,
        B,
        "政治审查形成结论性材料",
        f"{SOURCE_2014}第十五、十六条",
    ),
    Rule(
        "recruitment.review_stale", RULES_2014, W, "政治审查结论超过1年", f"{SOURCE_2014}第十六条(地方做法)"
    ),
    Rule("recruitment.training_length", RULES_2014, B, "集中培训不少于3天或24学时", f"{SOURCE_2014}第十七条"),
    Rule(
        "recruitment.vote_quorum", RULES_2014, B, "到会有表决权党员超过应到会半数", f"{SOURCE_2014}第二十条"
    ),
    Rule(
        "recruitment.vote_majority",
        RULES_2014,
        B,
        "赞成票超过应到会有表决权党员半数",
        f"{SOURCE_2014}第二十一条",
    ),
    Rule("recruitment.upper_talk", RULES_2014, B, "上级党委审批前派人谈话", f"{SOURCE_CONSTITUTION}第五条"),
    Rule("recruitment.approval_window", RULES_2014, W, "3个月内审批(最长6个月)", f"{SOURCE_2014}第二十四条"),
    Rule(
        "recruitment.probation_length",
        RULES_2014,
        B,
        "预备期1年,期满讨论转正",
        f"{SOURCE_CONSTITUTION}第七条",
    ),
    Rule("recruitment.conversion_due", RULES_2014, R, "预备期满前1个月提醒", f"{SOURCE_2014}第三十条"),
    Rule("recruitment.oath_pending", RULES_2014, R, "审批后及时入党宣誓", f"{SOURCE_2014}第二十七条"),
    Rule(
        "recruitment.candidate_eligible",
        RULES_2014,
        R,
        "积极分子满1年可确定为发展对象",
        f"{SOURCE_2014}第十三条",
    ),
    Rule("recruitment.publicity", RULES_2026, B, "发展对象公示不少于5个工作日", SOURCE_2026),
    Rule("recruitment.meeting_within_month", RULES_2026, B, "预审通过后1个月内召开支部党员大会", SOURCE_2026),
    Rule("recruitment.oath_within_month", RULES_2026, W, "审批后1个月内入党宣誓", SOURCE_2026),
)

MIN_AGE = 18
MIN_TRAINING_DAYS = 3
MIN_TRAINING_HOURS = 24
MIN_PUBLICITY_WORKING_DAYS = 5
ASSESSMENT_MONTHS = 6
NOTICE_DAYS = 30


def finding(key: str, message: str) -> Finding:
    rule = RULES[key]
    return Finding(rule.level, key, message, rule.source)


def cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def label(number: int) -> str:
    return f"第{number}步“{StepKind(number).label}”"


# --- which rule sets apply on a day ---------------------------------------------------------------------


@dataclass(frozen=True)
class Switch:
    active: bool
    effective_from: date | None


def sets_in_force(day: date, switches: dict[str, Switch]) -> list[str]:
    """The keys of the rule sets that apply to a fact dated ``day``.

    The 2014 set is the base and always applies; another set applies when its latest switch is on and
    its effective date is on or before ``day``.
    """
    keys = [RULES_2014]
    for key, rule_set in RULE_SETS.items():
        if key == RULES_2014:
            continue
        switch = switches.get(key, Switch(rule_set.active_by_default, rule_set.effective_from))
        if switch.active and switch.effective_from is not None and switch.effective_from <= day:
            keys.append(key)
    return keys


# --- the facts of a case --------------------------------------------------------------------------------


@dataclass
class CaseFacts:
    """What the rules read about one case: the person's birth date and the recorded steps."""

    birth_date: date
    dates: dict[int, date] = field(default_factory=dict)
    details: dict[int, dict] = field(default_factory=dict)
    extension_months: int = 0
    last_assessment_on: date | None = None

    @property
    def last_step(self) -> int:
        return max(self.dates, default=0)

    def probation_end(self) -> date | None:
        joined = self.dates.get(StepKind.ADMISSION_MEETING)
        return add_months(joined, 12 + self.extension_months) if joined else None


@dataclass(frozen=True)
class VoteCount:
    should_attend: int
    present: int
    yes: int
    no: int
    abstain: int


@dataclass(frozen=True)
class Person:
    """A mentor or sponsor as the eligibility rule sees them on the step's date."""

    name: str
    org_id: int
    on_roll: bool
    converted_on: date | None
    status: str
    status_since: date | None
    probation_checked_until: date | None = None  # last day of a 留党察看, if any
    is_self: bool = False


# --- the checks of one step -----------------------------------------------------------------------------


def working_days(start: date, end: date) -> int:
    """Monday to Friday from ``start`` to ``end`` inclusive (public holidays are not known here)."""
    if end < start:
        return 0
    return sum(1 for n in range((end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5)


def order_findings(facts: CaseFacts, number: int, on: date) -> list[Finding]:
    if number in facts.dates:
        return [finding("recruitment.step_order", f"{label(number)}已登记,不能重复登记。")]
    previous = number - 1
    if previous >= 1 and previous not in facts.dates:
        if number == StepKind.ADMISSION_APPROVED:
            return [
                finding(
                    "recruitment.upper_talk",
                    "上级党委审批前须派人与发展对象谈话:请先登记第16步“上级党委派人谈话”。",
                )
            ]
        return [finding("recruitment.step_order", f"请先登记{label(previous)}。")]
    if previous >= 1 and on < facts.dates[previous]:
        return [
            finding(
                "recruitment.date_order",
                f"{label(number)}的日期不能早于{label(previous)}的日期 {cn(facts.dates[previous])}。",
            )
        ]
    return []


def vote_form_findings(vote: VoteCount | None) -> list[Finding]:
    """What makes the counts themselves impossible (not a vote that was held and failed)."""
    if vote is None:
        return [finding("recruitment.vote_quorum", "请填写表决情况(应到、实到、赞成、反对、弃权人数)。")]
    if min(vote.should_attend, vote.present, vote.yes, vote.no, vote.abstain) < 0:
        return [finding("recruitment.vote_quorum", "表决人数不能为负数。")]
    if vote.should_attend <= 0:
        return [finding("recruitment.vote_quorum", "应到会有表决权的正式党员人数须大于0。")]
    if vote.present > vote.should_attend:
        return [finding("recruitment.vote_quorum", f"实到{vote.present}人,多于应到{vote.should_attend}人。")]
    if vote.yes + vote.no + vote.abstain > vote.present:
        return [
            finding(
                "recruitment.vote_quorum",
                f"赞成、反对、弃权共{vote.yes + vote.no + vote.abstain}票,多于实到{vote.present}人。",
            )
        ]
    return []


# Why a well-formed vote did not pass: the first rule it failed (细则第二十条).
VOTE_QUORUM = "quorum"
VOTE_MAJORITY = "majority"


def vote_failure(vote: VoteCount) -> str:
    """``""`` when the resolution passes; else ``VOTE_QUORUM`` (present not more than half of those who
    should attend) or ``VOTE_MAJORITY`` (yes not more than half of those who should attend)."""
    if vote.present * 2 <= vote.should_attend:
        return VOTE_QUORUM
    if vote.yes * 2 <= vote.should_attend:
        return VOTE_MAJORITY
    return ""


def vote_findings(vote: VoteCount | None) -> list[Finding]:
    """Quorum: present > half of those who should attend; pass: yes > half of those who should attend."""
    form = vote_form_findings(vote)
    if form:
        return form
    findings = []
    if vote.present * 2 <= vote.should_attend:
        findings.append(
            finding(
                "recruitment.vote_quorum",
                f"应到{vote.should_attend}人,实到{vote.present}人,未超过半数,会议不能讨论接收或转正"
                f"(至少须到会{vote.should_attend // 2 + 1}人)。",
            )
        )
    if vote.yes * 2 <= vote.should_attend:
        findings.append(
            finding(
                "recruitment.vote_majority",
                f"赞成{vote.yes}票,未超过应到会有表决权党员{vote.should_attend}人的半数"
                f"(至少须{vote.should_attend // 2 + 1}票),决议不能通过。",
            )
        )
    return findings


def vote_passes(vote: VoteCount) -> bool:
    return not vote_findings(vote)


def people_findings(role: str, people: list[Person], org_id: int, on: date) -> list[Finding]:
    """Mentors (1–2) and sponsors (exactly 2) are full members of the org on the step's date, not
    probationary, not with rights suspended (停止党籍, 留党察看), and not the person themself."""
    key = "recruitment.sponsors" if role == "sponsor" else "recruitment.mentors"
    title = "入党介绍人" if role == "sponsor" else "培养联系人"
    if role == "sponsor" and len(people) != 2:
        return [finding(key, f"入党介绍人应为2名正式党员,现选了{len(people)}名。")]
    if role == "mentor" and not 1 <= len(people) <= 2:
        return [finding(key, f"培养联系人应为1至2名正式党员,现选了{len(people)}名。")]
    if len({(p.name, p.org_id, p.converted_on) for p in people}) < len(people):
        return [finding(key, f"{title}不能重复选同一人。")]
    findings = []
    for person in people:
        reason = ineligible_reason(person, org_id, on)
        if reason:
            findings.append(finding(key, f"{person.name}不能作{title}:{reason}"))
    return findings


def ineligible_reason(person: Person, org_id: int, on: date) -> str:
    if person.is_self:
        return "不能是本人。"
    if not person.on_roll:
        return "已不在册。"
    if person.org_id != org_id:
        return "不是本党组织的党员。"
    if person.converted_on is None or person.converted_on > on:
        return f"{cn(on)}时还不是正式党员(预备党员不能作介绍人或联系人)。"
    if person.status == "suspended" and (person.status_since is None or person.status_since <= on):
        return "已停止党籍。"
    if person.probation_checked_until is not None and person.probation_checked_until >= on:
        return f"正在留党察看期内(至{cn(person.probation_checked_until)}),权利受限。"
    return ""


def step_findings(
    facts: CaseFacts,
    number: int,
    on: date,
    details: dict,
    sets: list[str],
    vote: VoteCount | None = None,
    today: date | None = None,
) -> list[Finding]:
    """Every finding of recording step ``number`` on ``on`` (sponsors are checked by ``people_findings``)."""
    findings = []
    if today is not None and on > today:
        findings.append(finding("recruitment.date_in_future", f"{label(number)}的日期不能晚于今天。"))
    findings += order_findings(facts, number, on)
    if any(f.blocks for f in findings):
        return findings
    dates = facts.dates
    if number == StepKind.APPLICATION and age_on(facts.birth_date, on) < MIN_AGE:
        earliest = add_months(facts.birth_date, 12 * MIN_AGE)
        findings.append(
            finding(
                "recruitment.applicant_age",
                f"申请入党时未满18周岁:出生于{cn(facts.birth_date)},最早可于{cn(earliest)}申请。",
            )
        )
    if number == StepKind.TALK:
        due = add_months(dates[StepKind.APPLICATION], 1)
        if on > due:
            findings.append(
                finding(
                    "recruitment.talk_within_month",
                    f"应在收到申请后1个月内(至{cn(due)})谈话,实际谈话日期{cn(on)}。",
                )
            )
    if number == StepKind.CANDIDATE_CONFIRMED:
        activist_on = dates[StepKind.ACTIVIST_RECOMMENDED]
        earliest = add_months(activist_on, 12)
        if on < earliest:
            findings.append(
                finding(
                    "recruitment.activist_one_year",
                    f"确定为入党积极分子({cn(activist_on)})后须经1年以上培养考察,"
                    f"最早于{cn(earliest)}确定为发展对象。",
                )
            )
    if number == StepKind.POLITICAL_REVIEW and not str(details.get("conclusion") or "").strip():
        findings.append(finding("recruitment.review_conclusion", "政治审查须形成结论性材料:请填写审查结论。"))
    if number == StepKind.CENTRALIZED_TRAINING:
        days, hours = int(details.get("training_days") or 0), int(details.get("training_hours") or 0)
        if days < MIN_TRAINING_DAYS and hours < MIN_TRAINING_HOURS:
            findings.append(
                finding(
                    "recruitment.training_length",
                    f"集中培训{days}天、{hours}学时:须不少于{MIN_TRAINING_DAYS}天或不少于{MIN_TRAINING_HOURS}学时。",
                )
            )
    if number == StepKind.ADMISSION_MEETING:
        review_on = dates[StepKind.POLITICAL_REVIEW]
        if review_on < add_months(on, -12):
            findings.append(
                finding(
                    "recruitment.review_stale",
                    f"政治审查结论形成于{cn(review_on)},距支部党员大会已超过1年,建议重新审查。",
                )
            )
        if age_on(facts.birth_date, on) < MIN_AGE:
            findings.append(finding("recruitment.applicant_age", "接收为预备党员时未满18周岁。"))
    if number in (StepKind.ADMISSION_MEETING, StepKind.CONVERSION_MEETING):
        findings += vote_findings(vote)
    if number in (StepKind.ADMISSION_APPROVED, StepKind.CONVERSION_APPROVED):
        meeting = (
            StepKind.ADMISSION_MEETING
            if number == StepKind.ADMISSION_APPROVED
            else StepKind.CONVERSION_MEETING
        )
        findings += approval_window_findings(dates[meeting], on)
    if number == StepKind.CONVERSION_MEETING:
        end = facts.probation_end()
        if end is not None and on < end:
            findings.append(
                finding(
                    "recruitment.probation_length",
                    f"预备期自支部党员大会通过接收之日({cn(dates[StepKind.ADMISSION_MEETING])})起算,"
                    f"至{cn(end)}届满,讨论转正不能早于该日。",
                )
            )
    if RULES_2026 in sets:
        findings += revision_findings(facts, number, on, details)
    return findings


def approval_window_findings(meeting_on: date, approved_on: date) -> list[Finding]:
    if approved_on > add_months(meeting_on, 6):
        return [
            finding(
                "recruitment.approval_window",
                f"支部党员大会于{cn(meeting_on)}通过,上级党委审批最长不超过6个月(至{cn(add_months(meeting_on, 6))}),"
                f"实际审批于{cn(approved_on)}。",
            )
        ]
    if approved_on > add_months(meeting_on, 3):
        return [
            finding(
                "recruitment.approval_window",
                f"上级党委应在3个月内(至{cn(add_months(meeting_on, 3))})审批,实际审批于{cn(approved_on)}"
                "(特殊情况可延长,最长6个月)。",
            )
        ]
    return []


def revision_findings(facts: CaseFacts, number: int, on: date, details: dict) -> list[Finding]:
    """The possible 2026 revision, applied only where that set is in force on the step's date."""
    findings = []
    dates = facts.dates
    if number == StepKind.PRE_REVIEW:
        start, end = details.get("publicity_from"), details.get("publicity_to")
        if not isinstance(start, date) or not isinstance(end, date):
            findings.append(finding("recruitment.publicity", "发展对象须经公示:请填写公示开始和结束日期。"))
        elif end > on:
            findings.append(finding("recruitment.publicity", f"公示至{cn(end)}结束,预审不能早于公示结束。"))
        else:
            days = working_days(start, end)
            if days < MIN_PUBLICITY_WORKING_DAYS:
                findings.append(
                    finding(
                        "recruitment.publicity",
                        f"公示自{cn(start)}至{cn(end)}共{days}个工作日,不少于{MIN_PUBLICITY_WORKING_DAYS}个工作日。",
                    )
                )
    if number == StepKind.ADMISSION_MEETING:
        latest = add_months(dates[StepKind.PRE_REVIEW], 1)
        if on > latest:
            findings.append(
                finding(
                    "recruitment.meeting_within_month",
                    f"上级党委预审于{cn(dates[StepKind.PRE_REVIEW])}通过,支部党员大会应在1个月内(至{cn(latest)})召开。",
                )
            )
    if number == StepKind.OATH:
        latest = add_months(dates[StepKind.ADMISSION_APPROVED], 1)
        if on > latest:
            findings.append(
                finding(
                    "recruitment.oath_within_month",
                    f"审批后应在1个月内(至{cn(latest)})入党宣誓,实际于{cn(on)}。",
                )
            )
    return findings


# --- reminders (the to-do list) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    finding: Finding
    due_on: date


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def case_reminders(facts: CaseFacts, today: date, sets: list[str]) -> list[Reminder]:
    """What an open case needs next, from the same dates the step checks read."""
    dates, last = facts.dates, facts.last_step
    found: list[Reminder] = []

    def add(key: str, message: str, due: date, level: Level | None = None):
        base = finding(key, message)
        found.append(Reminder(Finding(level or base.level, key, message, base.source), due))

    if last == StepKind.APPLICATION:
        due = add_months(dates[StepKind.APPLICATION], 1)
        overdue = today > due
        add(
            "recruitment.talk_within_month",
            f"收到入党申请({cn(dates[1])})后应在1个月内谈话,{'已超期' if overdue else '截止'}{cn(due)}。",
            due,
            Level.WARN if overdue else Level.REMIND,
        )
    if StepKind.ACTIVIST_RECOMMENDED <= last < StepKind.CANDIDATE_CONFIRMED:
        activist_on = dates[StepKind.ACTIVIST_RECOMMENDED]
        since = max(filter(None, (activist_on, facts.last_assessment_on)))
        due = add_months(since, ASSESSMENT_MONTHS)
        if due - timedelta(days=NOTICE_DAYS) <= today:
            add(
                "recruitment.assessment_half_year",
                f"入党积极分子每半年考察一次:上次{'考察' if since != activist_on else '确定'}于{cn(since)},"
                f"应于{cn(due)}前考察。",
                due,
            )
        eligible = add_months(activist_on, 12)
        if eligible <= month_end(today):
            add(
                "recruitment.candidate_eligible",
                f"确定为入党积极分子已满1年({cn(eligible)}起),可研究确定为发展对象。",
                eligible,
            )
    for meeting, approval, what in (
        (StepKind.ADMISSION_MEETING, StepKind.ADMISSION_APPROVED, "接收预备党员"),
        (StepKind.CONVERSION_MEETING, StepKind.CONVERSION_APPROVED, "转正"),
    ):
        if meeting <= last < approval:
            due = add_months(dates[meeting], 3)
            if today > due:
                add(
                    "recruitment.approval_window",
                    f"支部党员大会{cn(dates[meeting])}通过{what},上级党委已超过3个月(应于{cn(due)}前)未审批。",
                    due,
                )
    if StepKind.ADMISSION_APPROVED <= last < StepKind.OATH:
        due = add_months(dates[StepKind.ADMISSION_APPROVED], 1)
        key = "recruitment.oath_within_month" if RULES_2026 in sets else "recruitment.oath_pending"
        add(
            key,
            f"上级党委已于{cn(dates[StepKind.ADMISSION_APPROVED])}审批,尚未入党宣誓。",
            due,
            Level.WARN if RULES_2026 in sets and today > due else Level.REMIND,
        )
    end = facts.probation_end()
    if end is not None and StepKind.ADMISSION_APPROVED <= last < StepKind.CONVERSION_MEETING:
        if today > end:
            add(
                "recruitment.conversion_due",
                f"预备期已于{cn(end)}届满,应及时讨论转正。",
                end,
                Level.WARN,
            )
        elif end <= add_months(today, 1):
            add("recruitment.conversion_due", f"预备期将于{cn(end)}届满,请准备讨论转正。", end)
    return found
