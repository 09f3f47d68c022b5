"""Demo members for ``manage.py seed_demo``: realistic records and histories in every branch of the demo tree.

A city-scale demo has about 60,000 members. Creating them one by one through ``services.create_member``
(each with its event and audit entry) would take minutes, so this generator builds the same rows the
services build — the same checks of ID numbers, the same sealing, masks and blind index — and writes
them with bulk inserts, one audit entry per batch naming the command. It is demo data, not a user path:
real members arrive through the pages, the API and the import, which all go through the services.

Distributions follow the shape of the annual statistics (roughly): three in ten women; ages from 18 to
95 with most between 30 and 70; education rising with each younger cohort; occupations by the branch's
sector (farmers in villages, officials in organs, retired members in communities …); 93% full members,
the rest probationary members and people on the way; a few hundred mobile members, a few dozen lost
contact, some abroad or suspended; histories over several years (admission, conversion, commendations,
moving away, losing contact, deaths).
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from faker import Faker

from dangjian.core import audit
from dangjian.core.audit import Actor
from dangjian.members import protected, rules
from dangjian.members.models import (
    Category,
    Education,
    ExitReason,
    Member,
    MemberEvent,
    MemberEventKind,
    MemberTag,
    Mobility,
    Occupation,
    Status,
)
from dangjian.members.services import name_initials
from dangjian.orgs.models import BRANCH_KINDS, Org, OrgStatus, Sector

# Every date stays on or before this day, so the same seed gives the same members whatever today is.
LATEST = date(2025, 6, 30)
TARGET = {"county": 3_000, "city": 60_000}
BATCH = 2_000
AREAS = ("440524", "440306", "110105", "320102", "330106", "420106", "510107", "610113")
OCCUPATION_BY_SECTOR = {
    Sector.VILLAGE: (
        (Occupation.FARMER, 70),
        (Occupation.RETIRED, 10),
        (Occupation.OTHER, 12),
        (Occupation.MANAGER, 8),
    ),
    Sector.COMMUNITY: (
        (Occupation.RETIRED, 55),
        (Occupation.OTHER, 25),
        (Occupation.WORKER, 10),
        (Occupation.MANAGER, 10),
    ),
    Sector.ORGAN: ((Occupation.OFFICIAL, 85), (Occupation.RETIRED, 15)),
    Sector.INSTITUTION: ((Occupation.PROFESSIONAL, 60), (Occupation.MANAGER, 25), (Occupation.RETIRED, 15)),
    Sector.SCHOOL: (
        (Occupation.PROFESSIONAL, 70),
        (Occupation.STUDENT, 15),
        (Occupation.MANAGER, 10),
        (Occupation.RETIRED, 5),
    ),
    Sector.HOSPITAL: ((Occupation.PROFESSIONAL, 75), (Occupation.MANAGER, 15), (Occupation.RETIRED, 10)),
    Sector.SOE: (
        (Occupation.WORKER, 40),
        (Occupation.PROFESSIONAL, 25),
        (Occupation.MANAGER, 25),
        (Occupation.RETIRED, 10),
    ),
    Sector.PRIVATE_ENTERPRISE: (
        (Occupation.WORKER, 45),
        (Occupation.MANAGER, 30),
        (Occupation.PROFESSIONAL, 25),
    ),
    Sector.SOCIAL_ORG: ((Occupation.PROFESSIONAL, 50), (Occupation.MANAGER, 30), (Occupation.OTHER, 20)),
}
# Relative size of a branch by sector: village and community branches are the big ones.
WEIGHT_BY_SECTOR = {Sector.VILLAGE: 3.0, Sector.COMMUNITY: 2.5, Sector.SOE: 1.5, Sector.SCHOOL: 1.3}
WORK_UNITS = {
    Sector.VILLAGE: "村民委员会",
    Sector.COMMUNITY: "社区居民委员会",
    Sector.ORGAN: "机关",
    Sector.SCHOOL: "学校",
    Sector.HOSPITAL: "医院",
}


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def education_for(rng: random.Random, birth_year: int, occupation: str) -> str:
    if occupation in (Occupation.OFFICIAL, Occupation.PROFESSIONAL):
        return weighted(
            rng, ((Education.POSTGRADUATE, 20), (Education.BACHELOR, 60), (Education.COLLEGE, 20))
        )
    if birth_year < 1960:
        pairs = (
            (Education.JUNIOR_OR_BELOW, 55),
            (Education.HIGH_SCHOOL, 30),
            (Education.SECONDARY_VOCATIONAL, 10),
            (Education.COLLEGE, 5),
        )
    elif birth_year < 1980:
        pairs = (
            (Education.JUNIOR_OR_BELOW, 30),
            (Education.HIGH_SCHOOL, 30),
            (Education.COLLEGE, 25),
            (Education.BACHELOR, 15),
        )
    else:
        pairs = (
            (Education.HIGH_SCHOOL, 15),
            (Education.COLLEGE, 35),
            (Education.BACHELOR, 40),
            (Education.POSTGRADUATE, 10),
        )
    return weighted(rng, pairs)


@dataclass
class Seeded:
    members: int
    events: int
    mobile: int
    lost_contact: int
    seconds: float = 0.0


class DemoMembers:
    """Generates the members of one demo tree; ``build()`` writes them and returns the counts."""

    def __init__(self, actor: Actor, root: Org, scale: str, seed: int):
        self.actor = actor
        self.root = root
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.target = TARGET.get(scale, TARGET["county"])
        self.used_ids: set[str] = set(Member.objects.values_list("id_number_index", flat=True))
        self.tags = {t.code: t for t in MemberTag.objects.all()}

    def branches(self) -> list[tuple[Org, int]]:
        """Each active branch with its number of members, summing to the target."""
        branches = list(
            Org.objects.filter(
                path__startswith=self.root.path, kind__in=BRANCH_KINDS, status=OrgStatus.ACTIVE
            ).order_by("path")
        )
        weights = [WEIGHT_BY_SECTOR.get(b.sector, 1.0) * self.rng.uniform(0.5, 1.5) for b in branches]
        total = sum(weights) or 1
        return [(b, max(3, round(self.target * w / total))) for b, w in zip(branches, weights, strict=True)]

    def id_number(self, birth: date, male: bool) -> str:
        while True:
            sequence = self.rng.randrange(1 if male else 0, 1000, 2)
            first17 = f"{self.rng.choice(AREAS)}{birth:%Y%m%d}{sequence:03d}"
            value = first17 + rules.check_character(first17)
            index = protected.id_index(value)
            if index not in self.used_ids:
                self.used_ids.add(index)
                return value

    def person(self, org: Org) -> tuple[Member, list[tuple], list[str], Mobility | None]:
        """One member with the events of their history (kind, date, details) and their ledger tags."""
        rng = self.rng
        male = rng.random() < 0.7
        age = min(95, max(19, int(rng.triangular(19, 95, 52))))
        birth = LATEST - timedelta(days=age * 365 + rng.randrange(365))
        occupation = weighted(rng, OCCUPATION_BY_SECTOR.get(org.sector, ((Occupation.OTHER, 1),)))
        if age >= 62 and rng.random() < 0.7:
            occupation = Occupation.RETIRED
        roll = rng.random()
        category = (
            Category.FULL
            if roll < 0.93
            else Category.PROBATIONARY
            if roll < 0.96
            else Category.CANDIDATE
            if roll < 0.975
            else Category.ACTIVIST
            if roll < 0.99
            else Category.APPLICANT
        )
        history: list[tuple] = []
        joined = converted = applied = None
        if category in (Category.FULL, Category.PROBATIONARY):
            earliest = (
                birth.replace(year=birth.year + 19)
                if birth.month != 2 or birth.day != 29
                else date(birth.year + 19, 3, 1)
            )
            span = (LATEST - timedelta(days=400) - earliest).days
            joined = earliest + timedelta(days=rng.randrange(max(span, 1)))
            if category == Category.PROBATIONARY:
                joined = LATEST - timedelta(days=rng.randrange(30, 360))
            applied = joined - timedelta(days=rng.randrange(400, 1200))
            if applied < earliest:
                applied = None
            history.append((MemberEventKind.ADMITTED, joined, {}))
            if category == Category.FULL:
                converted = rules.probation_end(joined)
                history.append((MemberEventKind.CONVERTED, converted, {}))
        else:
            applied = LATEST - timedelta(days=rng.randrange(30, 900))
            if rules.age_on(birth, applied) < 18:
                applied = LATEST - timedelta(days=30)
        member = Member(
            org=org,
            name=self.fake.name_male() if male else self.fake.name_female(),
            sex="male" if male else "female",
            ethnicity="汉族"
            if rng.random() < 0.93
            else rng.choice(("回族", "壮族", "满族", "苗族", "土家族", "彝族")),
            birth_date=birth,
            native_place=self.fake.province() + self.fake.city_name(),
            education=education_for(rng, birth.year, occupation),
            occupation=occupation,
            work_unit=self.work_unit(org),
            post=""
            if occupation in (Occupation.RETIRED, Occupation.FARMER)
            else rng.choice(("职员", "科员", "教师", "技术员", "主任", "经理", "")),
            category=category,
            applied_on=applied,
            joined_on=joined,
            converted_on=converted,
            status_since=None,
        )
        member.name_initials = name_initials(member.name)
        for column, value in (
            ("id_number", self.id_number(birth, male)),
            ("phone", self.fake.phone_number()),
            ("address", self.fake.address().split(" ")[0]),
        ):
            protected.protect(member, column, value)
        tags = self.tags_for(member, rng)
        mobility = self.life_events(member, history, rng)
        return member, history, tags, mobility

    def work_unit(self, org: Org) -> str:
        base = org.short_name or org.name
        return base.removesuffix("党支部").removesuffix("支部") + WORK_UNITS.get(org.sector, "")

    def tags_for(self, member: Member, rng: random.Random) -> list[str]:
        tags = []
        if member.converted_on and rules.age_on(member.converted_on, LATEST) >= 50:
            tags.append("veteran")
        if rng.random() < 0.02:
            tags.append("hardship")
        if rng.random() < 0.003:
            tags.append("martyr_family")
        if rng.random() < 0.001:
            tags.append("died_on_duty")
        return [code for code in tags if code in self.tags]

    def life_events(self, member: Member, history: list, rng: random.Random) -> Mobility | None:
        """Commendations, and for a few: moving away, losing contact, going abroad, suspension, death."""
        if member.converted_on and rng.random() < 0.08:
            day = member.converted_on + timedelta(
                days=rng.randrange(max((LATEST - member.converted_on).days, 1))
            )
            title = rng.choice(("优秀共产党员", "优秀党务工作者", "光荣在党50年纪念章"))
            history.append(
                (
                    MemberEventKind.COMMENDED,
                    day,
                    {"title": title, "level": rng.choice(("县级", "市级", "乡镇级"))},
                )
            )
        if member.category not in (Category.FULL, Category.PROBATIONARY):
            return None
        fate = rng.random()
        since = LATEST - timedelta(days=rng.randrange(20, 900))
        if since < (member.joined_on or since):
            return None
        if fate < 0.008:  # about 480 mobile members in 60,000
            member.status, member.status_since = Status.MOBILE, since
            destination = rng.choice(
                ("广东省深圳市", "广东省东莞市", "浙江省杭州市", "上海市", "江苏省苏州市", "北京市")
            )
            history.append((MemberEventKind.MOVED_AWAY, since, {"destination": destination}))
            return Mobility(
                org=member.org,
                started_on=since,
                destination=destination,
                fixed_place=rng.random() < 0.6,
                contact_person=self.fake.name(),
                mobility_card_number=f"LD{rng.randrange(10**7):07d}",
            )
        if fate < 0.009:
            member.status, member.status_since = Status.LOST_CONTACT, since
            history.append((MemberEventKind.LOST_CONTACT, since, {}))
        elif fate < 0.0095:
            member.status, member.status_since = Status.ABROAD, since
            history.append((MemberEventKind.WENT_ABROAD, since, {}))
        elif fate < 0.0097:
            member.status, member.status_since = Status.SUSPENDED, since
            history.append((MemberEventKind.LOST_CONTACT, since - timedelta(days=400), {}))
            history.append((MemberEventKind.SUSPENDED, since, {}))
        elif fate < 0.015 and rules.age_on(member.birth_date, LATEST) > 70:
            member.status, member.status_since, member.on_roll, member.left_on = (
                Status.EXITED,
                since,
                False,
                since,
            )
            member.exit_reason = ExitReason.DECEASED
            history.append((MemberEventKind.DECEASED, since, {}))
        return None

    @transaction.atomic
    def write(self, batch: list) -> int:
        members = [item[0] for item in batch]
        Member.objects.bulk_create(members, batch_size=BATCH)
        events, links, mobilities = [], [], []
        Through = Member.tags.through
        for member, history, tags, mobility in batch:
            first = MemberEventKind.CREATED
            created_on = member.applied_on or member.joined_on or LATEST
            events.append(MemberEvent(member=member, org=member.org, kind=first, occurred_on=created_on))
            events += [
                MemberEvent(member=member, org=member.org, kind=kind, occurred_on=day, details=details)
                for kind, day, details in history
            ]
            links += [Through(member_id=member.pk, membertag_id=self.tags[code].pk) for code in tags]
            if mobility is not None:
                mobility.member = member
                mobilities.append(mobility)
        MemberEvent.objects.bulk_create(events, batch_size=BATCH)
        Through.objects.bulk_create(links, batch_size=BATCH)
        Mobility.objects.bulk_create(mobilities, batch_size=BATCH)
        audit.record(
            self.actor,
            "member.demo_seed",
            members[0],
            org=self.root,
            after={
                "members": len(members),
                "events": len(events),
                "first_id": members[0].pk,
                "last_id": members[-1].pk,
            },
        )
        return len(events)

    def build(self) -> Seeded:
        result = Seeded(0, 0, 0, 0)
        batch = []
        for org, count in self.branches():
            for _ in range(count):
                batch.append(self.person(org))
                if len(batch) == BATCH:
                    result.events += self.write(batch)
                    self.count(result, batch)
                    batch = []
        if batch:
            result.events += self.write(batch)
            self.count(result, batch)
        return result

    @staticmethod
    def count(result: Seeded, batch: list) -> None:
        result.members += len(batch)
        result.mobile += sum(1 for m, *_ in batch if m.status == Status.MOBILE)
        result.lost_contact += sum(1 for m, *_ in batch if m.status == Status.LOST_CONTACT)


def build_demo_members(actor: Actor, root: Org, scale: str, seed: int) -> Seeded:
    """Members for every branch under ``root``; the same seed gives the same people."""
    return DemoMembers(actor, root, scale, seed).build()
