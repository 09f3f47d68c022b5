"""The indicators of members and orgs: the categories of the annual party statistics (RULES.md §6).

Stocks are taken on the period's end (统计时点, by default 31 December): a member is on the roll on that
day when admitted by then (``joined_on``), not yet off the roll (``left_on`` after it, or still on it)
and not under 停止党籍 since before it; full or probationary on that day by ``converted_on``. Members are
counted under their org of record (RULES.md §5), so a member in transit counts for the sending org until
the receiving org accepts. The records keep dates, not a history of orgs: a member who moved inside the
platform is counted under the org they are in now (or left from) for every date.

Flows count dated events by ``occurred_on`` in the period, under the org the event was recorded at: the
admitting or approving org for admissions and conversions, the deciding org for exits, each side of a
transfer for 转入 and 转出.
"""

from datetime import date

from django.db.models import Q
from django.urls import reverse

from dangjian.members import rules as member_rules
from dangjian.members.models import (
    Category,
    Education,
    ExitReason,
    Member,
    MemberEvent,
    MemberEventKind,
    Occupation,
    Sex,
    Status,
)
from dangjian.orgs.figures import EVENT_INDICATORS
from dangjian.orgs.models import Org, OrgEvent, OrgKind, Sector, Unit
from dangjian.reports.registry import Indicator, Period, Source, register

PARTY = (Category.PROBATIONARY, Category.FULL)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` years earlier (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def on_roll_on(period: Period) -> Q:
    """Party members on the roll on the period's end."""
    day = period.end
    return (
        Q(category__in=PARTY)
        & (Q(joined_on__lte=day) | Q(joined_on__isnull=True))
        & (Q(on_roll=True) | Q(left_on__gt=day))
        & ~Q(status=Status.SUSPENDED, status_since__lte=day)
    )


def full_on(period: Period) -> Q:
    return Q(category=Category.FULL) & (Q(converted_on__lte=period.end) | Q(converted_on__isnull=True))


def age_q(low: int, high: int):
    """Age on the period's end between ``low`` and ``high`` years, both included."""

    def q(period: Period) -> Q:
        condition = Q(birth_date__lte=years_before(period.end, low))
        if high < 200:
            condition &= Q(birth_date__gt=years_before(period.end, high + 1))
        return condition

    return q


def fixed(condition: Q):
    return lambda period: condition


def member_detail(member) -> str:
    return reverse("members:detail", args=[member.pk])


MEMBERS = Source(
    key="members",
    name="党员",
    model=Member,
    path_lookup="org__path",
    base=on_roll_on,
    select_related=("org",),
    order_by=("org__path", "name_initials", "pk"),
    columns=(
        ("姓名", lambda m: m.name),
        ("性别", lambda m: m.get_sex_display()),
        ("民族", lambda m: m.ethnicity),
        ("出生日期", lambda m: m.birth_date),
        ("学历", lambda m: m.get_education_display()),
        ("职业", lambda m: m.get_occupation_display()),
        ("人员类别", lambda m: m.get_category_display()),
        ("入党日期", lambda m: m.joined_on),
        ("转正日期", lambda m: m.converted_on),
        ("所在党组织", lambda m: m.org.name),
    ),
    detail_url=member_detail,
)

MEMBER_EVENTS = Source(
    key="member_events",
    name="党员事项",
    model=MemberEvent,
    path_lookup="org__path",
    base=lambda period: period.q("occurred_on"),
    select_related=("member", "org"),
    order_by=("-occurred_on", "-pk"),
    columns=(
        ("姓名", lambda e: e.member.name),
        ("事项", lambda e: e.get_kind_display()),
        ("发生日期", lambda e: e.occurred_on),
        ("文号", lambda e: e.document_number),
        ("登记党组织", lambda e: e.org.name),
    ),
    detail_url=lambda e: reverse("members:detail", args=[e.member_id]),
)


def org_exists_on(period: Period) -> Q:
    day = period.end
    return (Q(founded_on__lte=day) | Q(founded_on__isnull=True)) & (
        Q(dissolved_on__gt=day) | Q(dissolved_on__isnull=True)
    )


ORGS = Source(
    key="orgs",
    name="党组织",
    model=Org,
    path_lookup="path",
    base=org_exists_on,
    order_by=("path",),
    columns=(
        ("名称", lambda o: o.name),
        ("组织编码", lambda o: o.code),
        ("类别", lambda o: o.get_kind_display()),
        ("领域", lambda o: o.get_sector_display()),
        ("成立日期", lambda o: o.founded_on),
    ),
    detail_url=lambda o: reverse("orgs:detail", args=[o.pk]),
    org_of=lambda o: o,
)

ORG_EVENTS = Source(
    key="org_events",
    name="党组织事项",
    model=OrgEvent,
    path_lookup="org__path",
    base=lambda period: period.q("occurred_on"),
    select_related=("org",),
    order_by=("-occurred_on", "-pk"),
    columns=(
        ("党组织", lambda e: e.org.name),
        ("事项", lambda e: e.get_kind_display()),
        ("发生日期", lambda e: e.occurred_on),
        ("文号", lambda e: e.document_number),
    ),
    detail_url=lambda e: reverse("orgs:detail", args=[e.org_id]),
)


def unit_open_on(period: Period) -> Q:
    return Q(closed_on__isnull=True) | Q(closed_on__gt=period.end)


UNITS = Source(
    key="units",
    name="单位",
    model=Unit,
    path_lookup="responsible_org__path",
    base=unit_open_on,
    select_related=("responsible_org", "org"),
    order_by=("responsible_org__path", "name", "pk"),
    columns=(
        ("单位名称", lambda u: u.name),
        ("领域", lambda u: u.get_sector_display()),
        ("两新组织", lambda u: u.is_new_sector),
        ("主管党组织", lambda u: u.responsible_org.name),
        ("所建党组织", lambda u: u.org.name if u.org_id else ""),
    ),
    detail_url=lambda u: reverse("orgs:unit_detail", args=[u.pk]),
    org_of=lambda u: u.responsible_org,
)

# --- members on the roll --------------------------------------------------------------------------------

register(
    Indicator(
        "members.total",
        "党员总数",
        "统计时点在册的党员(正式党员和预备党员):入党日期不晚于统计时点,统计时点仍在册,"
        "且未在统计时点前停止党籍;按组织关系所在党组织统计,组织关系在途的按转出党组织统计。",
        "人",
        MEMBERS,
        group="category",
    )
)
register(
    Indicator(
        "members.category.full",
        "正式党员",
        "党员总数中统计时点已转正的党员。",
        "人",
        MEMBERS,
        full_on,
        group="category",
    )
)
register(
    Indicator(
        "members.category.probationary",
        "预备党员",
        "党员总数中统计时点尚未转正的党员。",
        "人",
        MEMBERS,
        lambda period: ~full_on(period),
        group="category",
    )
)
for sex in Sex:
    register(
        Indicator(
            f"members.sex.{sex.value}",
            f"{sex.label}党员",
            f"党员总数中性别为{sex.label}的党员。",
            "人",
            MEMBERS,
            fixed(Q(sex=sex.value)),
            group="sex",
        )
    )
register(
    Indicator(
        "members.ethnicity.han",
        "汉族党员",
        "党员总数中民族为汉族的党员。",
        "人",
        MEMBERS,
        fixed(Q(ethnicity="汉族")),
        group="ethnicity",
    )
)
register(
    Indicator(
        "members.ethnicity.minority",
        "少数民族党员",
        "党员总数中民族不是汉族(且已填写)的党员。",
        "人",
        MEMBERS,
        fixed(~Q(ethnicity="汉族") & ~Q(ethnicity="")),
        group="ethnicity",
    )
)
for band, (label, low, high) in enumerate(member_rules.AGE_BANDS):
    register(
        Indicator(
            f"members.age.{band}",
            label,
            f"党员总数中统计时点(默认12月31日)年龄为{label}的党员,按出生日期计算周岁。",
            "人",
            MEMBERS,
            age_q(low, high),
            group="age",
        )
    )
for education in Education:
    register(
        Indicator(
            f"members.education.{education.value}",
            education.label,
            f"党员总数中学历为{education.label}的党员。",
            "人",
            MEMBERS,
            fixed(Q(education=education.value)),
            group="education",
        )
    )
register(
    Indicator(
        "members.education.unknown",
        "学历未填写",
        "党员总数中未填写学历的党员。",
        "人",
        MEMBERS,
        fixed(Q(education="")),
        group="education",
    )
)
for occupation in Occupation:
    register(
        Indicator(
            f"members.occupation.{occupation.value}",
            occupation.label,
            f"党员总数中职业为{occupation.label}的党员。",
            "人",
            MEMBERS,
            fixed(Q(occupation=occupation.value)),
            group="occupation",
        )
    )
register(
    Indicator(
        "members.occupation.unknown",
        "职业未填写",
        "党员总数中未填写职业的党员。",
        "人",
        MEMBERS,
        fixed(Q(occupation="")),
        group="occupation",
    )
)

# Admission-time bands of the annual communiqué (RULES.md §6).
FOUNDING = date(1949, 10, 1)
THIRD_PLENUM = date(1978, 12, 31)  # the 3rd Plenum of the 11th CC closed on 22 December 1978
EIGHTEENTH_CONGRESS = date(2012, 11, 8)
ADMISSION_BANDS = (
    ("before_1949", "新中国成立前入党", Q(joined_on__lt=FOUNDING)),
    (
        "to_1978",
        "新中国成立后至党的十一届三中全会前入党",
        Q(joined_on__gte=FOUNDING, joined_on__lte=THIRD_PLENUM),
    ),
    (
        "to_2012",
        "党的十一届三中全会后至党的十八大前入党",
        Q(joined_on__gt=THIRD_PLENUM, joined_on__lt=EIGHTEENTH_CONGRESS),
    ),
    ("since_2012", "党的十八大以来入党", Q(joined_on__gte=EIGHTEENTH_CONGRESS)),
    ("unknown", "入党日期未填写", Q(joined_on__isnull=True)),
)
for code, label, condition in ADMISSION_BANDS:
    register(
        Indicator(
            f"members.admission.{code}",
            label,
            f"党员总数中{label}的党员(按入党日期,即接收为预备党员之日)。",
            "人",
            MEMBERS,
            fixed(condition),
            group="admission",
        )
    )

# --- flows of members in the period ---------------------------------------------------------------------

FLOWS = (
    (
        "admitted",
        "发展党员",
        "期间接收为预备党员的人数(按作出接收决定的党组织)。",
        Q(kind=MemberEventKind.ADMITTED),
    ),
    (
        "converted",
        "预备党员转正",
        "期间转为正式党员的人数(按批准的党组织)。",
        Q(kind=MemberEventKind.CONVERTED),
    ),
    (
        "transferred_in",
        "转入组织关系",
        "期间组织关系转入的人次(系统内转接和从系统外转入,按接收党组织)。",
        Q(kind=MemberEventKind.TRANSFERRED_IN),
    ),
    (
        "transferred_out",
        "转出组织关系",
        "期间组织关系转出的人次(系统内转接和转出至系统外,按转出党组织)。",
        Q(kind=MemberEventKind.TRANSFERRED_OUT),
    ),
)
for code, label, description, condition in FLOWS:
    register(
        Indicator(f"flows.{code}", label, description, "人", MEMBER_EVENTS, fixed(condition), group="flows")
    )
for reason in ExitReason:
    if reason in (ExitReason.DECEASED, ExitReason.PROBATION_CANCELLED):
        continue
    register(
        Indicator(
            f"flows.exited.{reason.value}",
            f"出党:{reason.label}",
            f"期间以“{reason.label}”方式出党的人数(按作出决定的党组织)。",
            "人",
            MEMBER_EVENTS,
            fixed(Q(kind=MemberEventKind.EXITED, details__reason=reason.value)),
            group="exits",
        )
    )
register(
    Indicator(
        "flows.probation_cancelled",
        "取消预备党员资格",
        "期间被取消预备党员资格的人数。",
        "人",
        MEMBER_EVENTS,
        fixed(Q(kind=MemberEventKind.PROBATION_CANCELLED)),
        group="exits",
    )
)
register(
    Indicator(
        "flows.deceased",
        "党员去世",
        "期间去世的人数(按去世时组织关系所在党组织)。",
        "人",
        MEMBER_EVENTS,
        fixed(Q(kind=MemberEventKind.DECEASED)),
        group="exits",
    )
)

# --- orgs -----------------------------------------------------------------------------------------------

register(
    Indicator(
        "orgs.total",
        "党组织总数",
        "统计时点存在的党组织(成立日期不晚于统计时点,且未在统计时点前撤销),含本级。",
        "个",
        ORGS,
        group="org_kind",
    )
)
for kind in OrgKind:
    register(
        Indicator(
            f"orgs.kind.{kind.value}",
            kind.label,
            f"统计时点存在的{kind.label}。",
            "个",
            ORGS,
            fixed(Q(kind=kind.value)),
            group="org_kind",
        )
    )
for sector in Sector:
    register(
        Indicator(
            f"orgs.sector.{sector.value}",
            f"{sector.label}党组织",
            f"统计时点存在的、所在领域为{sector.label}的党组织。",
            "个",
            ORGS,
            fixed(Q(sector=sector.value)),
            group="org_sector",
        )
    )
COVERED = Q(org__isnull=False, org__status="active")
register(
    Indicator(
        "units.total",
        "单位总数",
        "统计时点未注销的单位,按主管党组织统计。",
        "个",
        UNITS,
        group="coverage",
    )
)
register(
    Indicator(
        "units.covered",
        "已建立党组织的单位",
        "单位总数中已建立党组织(所建党组织处于正常状态)的单位。",
        "个",
        UNITS,
        fixed(COVERED),
        group="coverage",
    )
)
register(
    Indicator(
        "units.new_sector",
        "两新组织",
        "单位总数中的非公有制企业和社会组织。",
        "个",
        UNITS,
        fixed(Q(is_new_sector=True)),
        group="coverage",
    )
)
register(
    Indicator(
        "units.new_sector_covered",
        "已建立党组织的两新组织",
        "两新组织中已建立党组织的单位。",
        "个",
        UNITS,
        fixed(Q(is_new_sector=True) & COVERED),
        group="coverage",
    )
)
for event_indicator in EVENT_INDICATORS:
    register(
        Indicator(
            f"org_events.{event_indicator.key}",
            event_indicator.label,
            f"期间登记的“{event_indicator.label}”事项数(orgs.figures 中的同名统计口径)。",
            "次",
            ORG_EVENTS,
            fixed(event_indicator.q),
            group="org_flows",
        )
    )
