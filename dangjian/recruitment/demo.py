"""Demo development cases for ``manage.py seed_demo``: every person on the path in the demo members gets
the case their category implies, and recently admitted members get their complete 25-step record.

Applicants have step 1 (some step 2, a few talked late); activists steps 1–3…6 with mentors; candidates
up to steps 7…14 with sponsors, review and training; probationary members up to steps 17…22 with the
admission vote on their 入党日期; full members admitted since two and a half years before the demo's
"today" (``members.demo.LATEST``) all 25 steps. Dates are laid backwards from the dates the member demo
gave each person, so they keep every rule — except about one case in fifty of candidates (confirmed 11
months after becoming an activist) and of admissions (a vote without quorum), so the checks have
something to show. Annual plans are set for each county-level org for the last two years.

Like the member demo, this is demo data written with bulk inserts (the services would take minutes at
city scale), with one audit entry naming the command; real cases go through the services.
"""

import random
from collections import defaultdict
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.audit import Actor
from dangjian.core.importing import allocate_ids, insert_rows
from dangjian.members.demo import LATEST
from dangjian.members.models import Category, Member, MemberEvent, MemberEventKind, Status
from dangjian.members.rules import add_months, age_on
from dangjian.orgs.models import Org, OrgKind, OrgStatus
from dangjian.recruitment.models import (
    AnnualPlan,
    CaseStatus,
    Recruitment,
    Role,
    Sponsorship,
    Step,
    Vote,
    VoteKind,
)

BATCH = 2_000
LATE_TALK = {
    "level": "warn",
    "rule_id": "recruitment.talk_within_month",
    "message": "谈话晚于收到申请后1个月。",
    "source": "《中国共产党发展党员工作细则》(2014)第七条",
}
VIOLATION_RATE = 0.02
COMPLETED_SINCE = LATEST - timedelta(days=910)


def laid_out(joined: date, rng: random.Random) -> dict[int, date]:
    """Dates of steps 1–25 around an admission on ``joined`` that keep every rule of the 2014 set."""
    activist = joined - timedelta(days=60 + 366 + rng.randrange(0, 200))
    days = {1: -90, 2: -75, 3: 0, 4: 5, 5: 7, 6: 10}
    dates = {n: activist + timedelta(days=d) for n, d in days.items()}
    for n, d in {7: -60, 8: -55, 9: -50, 10: -40, 11: -30, 12: -20, 13: -15, 14: -5, 15: 0}.items():
        dates[n] = joined + timedelta(days=d)
    for n, d in {16: 10, 17: 30 + rng.randrange(0, 40), 18: 75, 19: 80, 20: 85, 21: 90}.items():
        dates[n] = joined + timedelta(days=d)
    end = add_months(joined, 12)
    for n, d in {22: -30, 23: 0, 24: 20 + rng.randrange(0, 30), 25: 60}.items():
        dates[n] = end + timedelta(days=d)
    # A member converted shortly before the demo's "today" has the last two steps done by then.
    for n in (24, 25):
        dates[n] = max(end, min(dates[n], LATEST)) if end <= LATEST else dates[n]
    return dates


class DemoCases:
    def __init__(self, actor: Actor, root: Org, seed: int):
        self.actor, self.root = actor, root
        self.rng = random.Random(seed + 5)
        self.full_by_org: dict[int, list[tuple[int, date]]] = defaultdict(list)
        self.full_count: dict[int, int] = {}
        self.now = timezone.now()
        self.cases: list[tuple] = []
        self.updates: list[tuple] = []
        self.counts = (0, 0)

    def load(self):
        temporary = set(
            Org.objects.filter(path__startswith=self.root.path, kind=OrgKind.TEMPORARY_BRANCH).values_list(
                "pk", flat=True
            )
        )
        members = (
            Member.objects.on_roll()
            .filter(org__path__startswith=self.root.path, org__status=OrgStatus.ACTIVE)
            .exclude(org_id__in=temporary)
            .order_by("pk")
        )
        candidates = []
        for member in members.only(
            "pk",
            "org_id",
            "category",
            "status",
            "birth_date",
            "applied_on",
            "joined_on",
            "converted_on",
            "name",
        ).iterator(chunk_size=BATCH):
            if member.category == Category.FULL and member.status == Status.NORMAL:
                self.full_by_org[member.org_id].append((member.pk, member.converted_on))
            if member.category != Category.FULL or (member.joined_on and member.joined_on >= COMPLETED_SINCE):
                candidates.append(member)
        self.full_count = {org_id: len(rows) for org_id, rows in self.full_by_org.items()}
        return candidates

    def chosen(self, member: Member, on: date, how_many: int, draw: bool = True) -> list[int]:
        """Full members of the person's branch, converted by ``on``: drawn at random, or all of them."""
        eligible = [
            pk
            for pk, converted in self.full_by_org.get(member.org_id, [])
            if converted and converted <= on and pk != member.pk
        ]
        if not draw or len(eligible) < how_many:
            return eligible
        return self.rng.sample(eligible, how_many)

    def plan(self, member: Member) -> tuple[dict[int, date], int, str]:
        """The step dates to record, the last step, and the deliberate violation (if any)."""
        rng = self.rng
        violation = ""
        if member.category in (Category.FULL, Category.PROBATIONARY):
            dates = laid_out(member.joined_on, rng)
            if member.category == Category.PROBATIONARY:
                last = max(n for n in range(17, 23) if dates[n] <= LATEST) if dates[17] <= LATEST else 16
                last = min(last, 16 + rng.randrange(1, 7))
            else:
                last = 25 if dates[25] <= LATEST else max(n for n, d in dates.items() if d <= LATEST)
            if rng.random() < VIOLATION_RATE:
                violation = "no_quorum"
            return dates, last, violation
        applied = member.applied_on or LATEST - timedelta(days=200)
        if member.category == Category.APPLICANT:
            talk = applied + timedelta(days=rng.choice((7, 14, 20, 28, 45)))
            dates = {1: applied, 2: talk}
            return dates, 2 if talk <= LATEST and rng.random() < 0.6 else 1, ""
        if member.category == Category.ACTIVIST:
            applied = min(applied, LATEST - timedelta(days=60))
            activist = applied + timedelta(days=30 + rng.randrange(0, 20))
            dates = {1: applied, 2: applied + timedelta(days=14), 3: activist}
            dates.update(
                {
                    4: activist + timedelta(days=5),
                    5: activist + timedelta(days=7),
                    6: activist + timedelta(days=10),
                }
            )
            return dates, 3 + rng.randrange(0, 4), ""
        # Candidates: a year as activist before step 7, then up to step 14.
        candidate_on = LATEST - timedelta(days=rng.randrange(20, 200))
        months = 11 if rng.random() < VIOLATION_RATE else 12
        activist = add_months(candidate_on, -months) - timedelta(
            days=0 if months == 11 else rng.randrange(0, 60)
        )
        dates = {1: activist - timedelta(days=90), 2: activist - timedelta(days=75), 3: activist}
        dates.update(
            {
                4: activist + timedelta(days=5),
                5: activist + timedelta(days=7),
                6: activist + timedelta(days=10),
            }
        )
        offsets = {7: 0, 8: 5, 9: 10, 10: 20, 11: 30, 12: 40, 13: 45, 14: 50}
        dates.update({n: candidate_on + timedelta(days=d) for n, d in offsets.items()})
        last = max(n for n in range(7, 7 + rng.randrange(1, 9)) if dates[n] <= LATEST)
        return dates, last, "activist_11_months" if months == 11 else ""

    def add(self, member: Member):
        dates, last, violation = self.plan(member)
        if age_on(member.birth_date, dates[1]) < 18:
            return  # too young for the laid-out dates: such a person gets no demo case
        for number, needed in ((5, 1), (9, 2)):
            if last >= number and len(self.chosen(member, dates[number], needed, draw=False)) < needed:
                return  # a branch too small to give mentors or sponsors: its people get no demo case
        case = {
            "member_id": member.pk,
            "org_id": member.org_id,
            "status": CaseStatus.COMPLETED if last == 25 else CaseStatus.OPEN,
            "last_step": last,
            "last_step_on": dates[last],
            "warning_count": 1 if violation or (last >= 2 and dates[2] > add_months(dates[1], 1)) else 0,
            "ended_on": None,
            "end_reason": "",
            "created_at": self.now,
            "updated_at": self.now,
        }
        self.cases.append((case, member, dates, violation))
        if member.applied_on != dates[1]:
            self.updates.append((dates[1], member.pk))

    def step_row(self, case: dict, number: int, on: date, step_id: int) -> dict:
        details = {}
        if number == 10:
            details = {"conclusion": "经函调和外调,政治审查合格。"}
        if number == 11:
            details = {"training_days": 3, "training_hours": 24}
        upper = number in (4, 8, 13, 16, 17, 18, 24)
        return {
            "id": step_id,
            "recruitment_id": case["id"],
            "org_id": case["org_id"],
            "number": number,
            "occurred_on": on,
            "done_by": "上级党委" if upper else "党支部",
            "document_number": f"发展〔{on.year}〕{case['member_id'] % 1000}-{number}号" if upper else "",
            "attachment_name": "",
            "attachment_type": "",
            "note": "",
            "details": details,
            "rule_sets": ["2014"],
            "findings": [],
            "recorded_at": self.now,
        }

    def write(self):
        """Plain rows through ``core.importing.insert_rows`` (COPY on PostgreSQL): model instances would
        cost most of the time at city scale."""
        case_ids = allocate_ids(Recruitment, len(self.cases))
        for (case, *_), pk in zip(self.cases, case_ids, strict=True):
            case["id"] = pk
        insert_rows(Recruitment, [case for case, *_ in self.cases])
        step_ids = iter(allocate_ids(Step, sum(case["last_step"] for case, *_ in self.cases)))
        steps, people, votes, events = [], [], [], []
        for case, member, dates, violation in self.cases:
            for number in range(1, case["last_step"] + 1):
                step = self.step_row(case, number, dates[number], next(step_ids))
                if number == 2 and dates[2] > add_months(dates[1], 1):
                    step["findings"] = [LATE_TALK]
                steps.append(step)
                if number in (5, 9):
                    role = Role.SPONSOR if number == 9 else Role.MENTOR
                    people += [
                        {
                            "recruitment_id": case["id"],
                            "step_id": step["id"],
                            "org_id": case["org_id"],
                            "person_id": pk,
                            "role": role,
                            "chosen_on": dates[number],
                        }
                        for pk in self.chosen(member, dates[number], 2 if number == 9 else 1)
                    ]
                if number in (15, 23):
                    should = max(3, self.full_count.get(case["org_id"], 3))
                    quorum_missing = violation == "no_quorum" and number == 15
                    present = should // 2 if quorum_missing else should - should // 5
                    votes.append(
                        {
                            "recruitment_id": case["id"],
                            "step_id": step["id"],
                            "org_id": case["org_id"],
                            "kind": VoteKind.ADMISSION if number == 15 else VoteKind.CONVERSION,
                            "held_on": dates[number],
                            "should_attend": should,
                            "present": present,
                            "yes": present,
                            "no": 0,
                            "abstain": 0,
                            "passed": present * 2 > should,
                            "failure_reason": "" if present * 2 > should else "quorum",
                        }
                    )
            kinds = {Category.ACTIVIST: (3,), Category.CANDIDATE: (3, 7)}.get(member.category, ())
            for number in kinds:
                kind = (
                    MemberEventKind.ACTIVIST_CONFIRMED if number == 3 else MemberEventKind.CANDIDATE_CONFIRMED
                )
                events.append(
                    {
                        "member_id": member.pk,
                        "org_id": member.org_id,
                        "kind": kind,
                        "occurred_on": dates[number],
                        "recorded_at": self.now,
                        "details": {"recruitment_step": number},
                    }
                )
        for start in range(0, len(steps), 20_000):
            insert_rows(Step, steps[start : start + 20_000])
        insert_rows(Sponsorship, people)
        insert_rows(Vote, votes)
        insert_rows(MemberEvent, events)
        table = connection.ops.quote_name(Member._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET applied_on = %s WHERE id = %s", self.updates)
        self.counts = (len(steps), len(votes))

    def plans(self) -> int:
        """A quota for each org right below the root and each org below the demo county, for two years."""
        admitted = dict(
            MemberEvent.objects.filter(org__path__startswith=self.root.path, kind=MemberEventKind.ADMITTED)
            .filter(occurred_on__year=LATEST.year - 1)
            .values_list("org__path")
            .annotate(n=Count("pk"))
        )
        orgs = Org.objects.filter(
            path__startswith=self.root.path, depth__in=(self.root.depth + 1, self.root.depth + 2)
        )
        orgs = orgs.exclude(kind=OrgKind.TEMPORARY_BRANCH).filter(status=OrgStatus.ACTIVE)
        rows = []
        for org in orgs:
            done = sum(n for path, n in admitted.items() if path.startswith(org.path))
            if not done:
                continue
            for year in (LATEST.year - 1, LATEST.year):
                quota = max(1, round(done * self.rng.uniform(0.95, 1.2)))
                rows.append(AnnualPlan(org=org, year=year, quota=quota, under_35_share=40, college_share=60))
        AnnualPlan.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    def build(self) -> str:
        for member in self.load():
            self.add(member)
        if not self.cases:
            return "发展党员纪实 0 件(演示树中没有发展对象)"
        self.write()
        plans = self.plans()
        violations = sum(1 for *_, v in self.cases if v)
        by_category = defaultdict(int)
        for _, member, *_ in self.cases:
            by_category[member.category] += 1
        steps, votes = self.counts
        audit.record(
            self.actor,
            "recruitment.demo_seed",
            Recruitment.objects.get(pk=self.cases[0][0]["id"]),
            org=self.root,
            after={"cases": len(self.cases), "steps": steps, "votes": votes, "plans": plans},
        )
        parts = "、".join(f"{Category(c).label} {n}" for c, n in sorted(by_category.items()))
        return (
            f"发展党员纪实 {len(self.cases)} 件({parts}),步骤 {steps} 条,表决 {votes} 次,"
            f"年度计划 {plans} 个,故意违规 {violations} 件"
        )


def seed_demo(actor: Actor, tree, scale: str, seed: int) -> str:
    return DemoCases(actor, tree.root, seed).build()
