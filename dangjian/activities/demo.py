"""Demo organizational life for ``manage.py seed_demo``: meetings, lectures, education and classes with
attendance in every branch, over the previous quarter and the current one up to today, plus plans for the
rest of the current quarter, so the compliance page shows a realistic mix of green, amber and red.

Dates follow today (the compliance of "this quarter" is what the demo is for); everything else follows the
seed. Like the member demo, the rows are built the way the services build them and written in bulk, with
one audit entry per batch naming the command: it is demo data, not a user path.
"""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.activities import rules
from dangjian.activities.models import (
    Activity,
    ActivityKind,
    ActivityOrg,
    ActivityStatus,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
    Trainee,
    TrainingClass,
)
from dangjian.activities.queries import COMMITTEE_LIKE
from dangjian.core import audit
from dangjian.core.access import subtree_q
from dangjian.core.audit import Actor
from dangjian.core.importing import allocate_ids, insert_rows
from dangjian.members import services as member_services
from dangjian.members.models import PARTY_MEMBER_CATEGORIES, Category, Member, MemberLogin
from dangjian.orgs.models import BRANCH_KINDS, Committee, Group, GroupMember, Org, OrgStatus

TOPICS = {
    "general_meeting": [
        "学习贯彻党的二十届四中全会精神",
        "讨论确定发展对象",
        "预备党员转正讨论",
        "审议支部年度工作计划",
    ],
    "committee_meeting": ["研究本月党建工作", "研究发展党员工作", "研究党费收缴使用", "研究主题党日安排"],
    "group_meeting": ["学习党章党规", "交流学习体会", "讨论党员积分评定"],
    "party_lecture": ["牢记初心使命 争做合格党员", "学习党的创新理论", "弘扬伟大建党精神"],
    "theme_day": ["重温入党誓词", "志愿服务进社区", "参观红色教育基地", "环境整治义务劳动"],
    "life_meeting": ["年度组织生活会"],
    "member_appraisal": ["年度民主评议党员"],
    "heart_talk": ["支委与党员谈心谈话"],
    "study_session": ["集中学习研讨", "专题学习研讨"],
    "tradition_education": ["参观革命纪念馆"],
    "policy_education": ["形势政策报告会"],
    "exemplar_education": ["学习先进典型事迹"],
    "warning_education": ["观看警示教育片"],
    "law_education": ["学习宪法和法律法规"],
    "forum": ["双周讲坛"],
    "lecture_tour": ["党的创新理论宣讲"],
    "village_talk": ["屋场恳谈会"],
}
FIRST_TOPIC = "学习习近平总书记最新重要讲话和重要指示批示精神"
PLACES = ["党员活动室", "党群服务中心", "会议室", "村委会议室"]
EDUCATION_KINDS = [
    "study_session",
    "tradition_education",
    "policy_education",
    "exemplar_education",
    "warning_education",
    "law_education",
    "forum",
    "lecture_tour",
    "village_talk",
]
BATCH = 20_000


class DemoActivities:
    def __init__(self, actor: Actor, tree, scale: str, seed: int):
        self.actor, self.tree, self.scale = actor, tree, scale
        self.random = random.Random(seed * 7 + 11)
        self.today = timezone.localdate()
        current = rules.period_of(self.today, "quarter")
        # A city is twenty times a county: there, the current quarter alone keeps the seed within seconds.
        previous = rules.period_of(current.start - timedelta(days=1), "quarter").start
        self.start = previous if scale == "county" else current.start
        self.end = current.end
        self.kinds = {k.code: k for k in ActivityKind.objects.all()}
        self.activities, self.parties, self.agenda, self.attendance = [], [], [], []
        self.written = self.attendance_count = 0

    def day_in(self, first: date, last: date) -> date:
        return first + timedelta(days=self.random.randrange((last - first).days + 1))

    def build(self) -> str:
        root = self.tree.root
        branches = list(
            Org.objects.filter(subtree_q("path", root.path))
            .filter(status=OrgStatus.ACTIVE, kind__in=sorted(BRANCH_KINDS))
            .order_by("path")
        )
        members = defaultdict(list)
        for pk, org_id, category in (
            Member.objects.filter(org__in=branches, on_roll=True, category__in=PARTY_MEMBER_CATEGORIES)
            .order_by("pk")
            .values_list("pk", "org_id", "category")
        ):
            members[org_id].append((pk, category == Category.FULL))
        with_committee = set(
            Committee.objects.current().filter(org__in=branches).values_list("org_id", flat=True)
        )
        groups = defaultdict(list)
        for group in Group.objects.filter(org__in=branches, dissolved_on__isnull=True):
            groups[group.org_id].append(group.pk)
        group_members = defaultdict(list)
        for group_id, member_id in GroupMember.objects.filter(
            group__org__in=branches, member__isnull=False, left_on__isnull=True
        ).values_list("group_id", "member_id"):
            group_members[group_id].append(member_id)

        committees = list(
            Org.objects.filter(subtree_q("path", root.path))
            .filter(status=OrgStatus.ACTIVE, kind__in=sorted(COMMITTEE_LIKE))
            .order_by("path")
        )
        ids = iter(allocate_ids(Activity, self.estimate(branches, with_committee, groups) + len(committees)))
        for committee in committees:
            # 党委书记讲党课: most committees' secretaries have lectured this year already.
            if self.random.random() < 0.8:
                day = self.day_in(self.start, max(self.start, self.today - timedelta(days=1)))
                self.add(ids, committee, "party_lecture", day, [], lecturer="党委书记", by_secretary=True)
        for branch in branches:
            # One branch in eight is lax (misses meetings), most are diligent.
            diligence = 0.55 if self.random.random() < 0.125 else 0.97
            self.branch_year(
                branch, members[branch.pk], with_committee, groups[branch.pk], group_members, diligence, ids
            )
        # A theme day planned in the demo village branch three days ahead: the demo member's phone page shows it.
        village = self.tree.village_branch
        self.add(ids, village, "theme_day", self.today + timedelta(days=3), members[village.pk])
        self.flush()
        classes, trainees = self.training(root, members)
        self.link_demo_member()
        return (
            f"组织生活 {self.written:,} 次(含计划)、出勤 {self.attendance_count:,} 人次,"
            f"培训班 {classes} 期 {trainees:,} 人"
        )

    def estimate(self, branches, with_committee, groups) -> int:
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        per_branch = months * 2 + 4 + 4 + 3
        extra = sum(months for b in branches if b.pk in with_committee) + sum(
            months * len(g) for g in groups.values()
        )
        return len(branches) * per_branch + extra + 1

    def add(self, ids, branch, kind_code, day, members, *, group_id=None, lecturer="", by_secretary=False):
        kind = self.kinds[kind_code]
        planned = day > self.today
        pk = next(ids)
        starts = time(self.random.choice([9, 14, 15, 19]), self.random.choice([0, 30]))
        ends = (datetime.combine(day, starts) + timedelta(hours=2)).time()
        present_rate = self.random.uniform(0.7, 0.98)
        rows = []
        voting_expected = voting_present = 0
        for member_id, voting in members:
            if planned:
                status = AttendanceStatus.EXPECTED
            else:
                roll = self.random.random()
                status = (
                    AttendanceStatus.PRESENT
                    if roll < present_rate
                    else AttendanceStatus.ON_LEAVE
                    if roll < present_rate + 0.6 * (1 - present_rate)
                    else AttendanceStatus.ABSENT
                )
            if voting:
                voting_expected += 1
                voting_present += status == AttendanceStatus.PRESENT
            present = status == AttendanceStatus.PRESENT
            rows.append(
                {
                    "activity_id": pk,
                    "member_id": member_id,
                    "org_id": branch.pk,
                    "status": status,
                    "reason": "外出务工" if status == AttendanceStatus.ON_LEAVE else "",
                    "voting": voting,
                    "checked_in_at": datetime.combine(day, starts, tzinfo=timezone.get_current_timezone())
                    if present
                    else None,
                    "method": self.random.choice([CheckInMethod.QR, CheckInMethod.MARKED]) if present else "",
                }
            )
        quorum = None
        if kind.needs_quorum and not planned:
            quorum = rules.has_quorum(voting_expected, voting_present)
        self.activities.append(
            {
                "id": pk,
                "org_id": branch.pk,
                "group_id": group_id,
                "kind_id": kind.pk,
                "status": ActivityStatus.PLANNED if planned else ActivityStatus.HELD,
                "held_on": day,
                "starts_at": starts,
                "ends_at": ends,
                "place": self.random.choice(PLACES),
                "topic": self.random.choice(TOPICS[kind_code]),
                "host": "",
                "recorder": "",
                "lecturer": lecturer,
                "lecturer_is_secretary": by_secretary,
                "minutes": "" if planned else "会议按议程进行,与会党员结合实际作了发言。",
                "resolutions": "",
                "study_hours": kind.default_study_hours,
                "quorum": quorum,
                "recorded_at": timezone.now(),
                "recorded_by_id": None,
            }
        )
        self.parties.append({"activity_id": pk, "org_id": branch.pk})
        if kind.category == "three_meetings" and kind_code != "party_lecture":
            self.agenda.append({"activity_id": pk, "position": 1, "title": FIRST_TOPIC, "first_topic": True})
        self.attendance.extend(rows)
        if len(self.attendance) >= BATCH:
            self.flush()

    def branch_year(self, branch, members, with_committee, group_ids, group_members, diligence, ids):
        held = lambda: self.random.random() < diligence  # noqa: E731
        month = self.start
        while month <= self.end:
            period = rules.period_of(month, "month")
            if held():
                self.add(
                    ids,
                    branch,
                    "theme_day",
                    self.day_in(period.start, min(period.end, period.start + timedelta(days=14))),
                    members,
                )
            if branch.pk in with_committee and held():
                self.add(ids, branch, "committee_meeting", self.day_in(period.start, period.end), [])
            for group_id in group_ids:
                if held():
                    members_of = set(group_members.get(group_id, []))
                    self.add(
                        ids,
                        branch,
                        "group_meeting",
                        self.day_in(period.start, period.end),
                        [m for m in members if m[0] in members_of],
                        group_id=group_id,
                    )
            month = period.end + timedelta(days=1)
        for quarter_start in sorted({self.start, rules.period_of(self.today, "quarter").start}):
            quarter = rules.period_of(quarter_start, "quarter")
            if held():
                self.add(ids, branch, "general_meeting", self.day_in(quarter.start, quarter.end), members)
            if held():
                self.add(
                    ids,
                    branch,
                    "party_lecture",
                    self.day_in(quarter.start, quarter.end),
                    members,
                    lecturer="支部书记",
                    by_secretary=True,
                )
            for _ in range(self.random.randint(0, 2)):
                self.add(
                    ids,
                    branch,
                    self.random.choice(EDUCATION_KINDS),
                    self.day_in(quarter.start, quarter.end),
                    members,
                )
        # The yearly ones, once in the demo's months, before today.
        for kind in ("life_meeting", "member_appraisal", "heart_talk"):
            if held():
                self.add(
                    ids,
                    branch,
                    kind,
                    self.day_in(self.start, max(self.start, self.today - timedelta(days=1))),
                    members,
                )

    def flush(self):
        if not self.activities:
            return
        insert_rows(Activity, self.activities)
        insert_rows(ActivityOrg, self.parties)
        insert_rows(AgendaItem, self.agenda)
        insert_rows(Attendance, self.attendance)
        audit.record(
            self.actor,
            "activities.demo_seed",
            Activity.objects.select_related("kind").get(pk=self.activities[0]["id"]),
            after={"activities": len(self.activities), "attendance": len(self.attendance)},
        )
        self.written += len(self.activities)
        self.attendance_count += len(self.attendance)
        self.activities, self.parties, self.agenda, self.attendance = [], [], [], []

    def training(self, root, members) -> tuple[int, int]:
        """The county runs three sessions of a class for village secretaries in the previous quarter."""
        county = self.tree.county
        branch_members = [pk for rows in members.values() for pk, _ in rows]
        sessions, total = 3 if self.scale == "county" else 6, 0
        # Held and finished before today, within the demo's months.
        latest = max(
            self.start, min(rules.period_of(self.start, "quarter").end, self.today) - timedelta(days=3)
        )
        for session in range(1, sessions + 1):
            started = self.day_in(self.start, latest)
            training = TrainingClass.objects.create(
                org=county,
                title="村党组织书记能力素质提升培训班",
                session=session,
                started_on=started,
                ended_on=started + timedelta(days=2),
                hours=Decimal("24"),
                place="县委党校",
            )
            chosen = self.random.sample(
                branch_members, min(len(branch_members), self.random.randint(90, 120))
            )
            names = dict(Member.objects.filter(pk__in=chosen).values_list("pk", "name"))
            Trainee.objects.bulk_create(
                Trainee(training_class=training, member_id=pk, name=names[pk], hours=training.hours)
                for pk in chosen
            )
            total += len(chosen)
        return sessions, total

    def link_demo_member(self):
        """The demo member account gets a member record of the demo village branch, with a meeting soon."""
        user = User.objects.filter(username="demo_member").first()
        if user is None or MemberLogin.objects.current().filter(user=user).exists():
            return
        member = (
            Member.objects.filter(
                org=self.tree.village_branch, on_roll=True, category__in=PARTY_MEMBER_CATEGORIES
            )
            .exclude(pk__in=MemberLogin.objects.current().values("member_id"))
            .order_by("pk")
            .first()
        )
        if member is None:
            return
        member_services.link_login(self.actor, user, member)


def seed_demo(actor: Actor, tree, scale: str, seed: int) -> str:
    return DemoActivities(actor, tree, scale, seed).build()
