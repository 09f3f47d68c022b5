"""A realistic demo tree of party organizations, for ``manage.py seed_demo``.

Every org is founded, renamed, moved and dissolved through ``orgs.services`` with the command's
actor, so the demo tree carries the same dated events and audit entries as real data and obeys
the same rules (a 党总支 holds only branches, a branch holds nothing). Names come from Faker
(zh_CN) and small lists of place-name parts; the same seed gives the same tree.

The shape follows a prefecture-level city: the 市委 with its working committees (市直机关工委,
教育工委, 两新工委) and systems (国资, 卫健), then 县委 and 区委, each with their 县直机关工委,
education, health, state-owned and 两新 systems, 乡镇党委 with 村 branches and 街道党工委 with
社区 branches. Codes are hierarchical: the parent's code plus a three-digit number.
"""

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain

from faker import Faker

from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.orgs import services
from dangjian.orgs.models import Org, OrgKind, Sector

# Every date stays on or before this day, so the same seed gives the same tree whatever today is.
LATEST = date(2025, 6, 30)
NUMERALS = "一二三四五六七八九十"


def words(text: str) -> tuple[str, ...]:
    """A tuple from a space-separated list: long lists of place words stay readable."""
    return tuple(text.split())


# Government and party organs with an organ committee (机关党委) or branch of their own.
ORGAN_UNITS = (
    "委办公室",
    "委组织部",
    "委宣传部",
    "委统战部",
    "委政法委员会",
    "纪委监委机关",
    "人民政府办公室",
    "人民法院",
    "人民检察院",
    "发展和改革委员会",
    "教育局",
    "科学技术局",
    "工业和信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "卫生健康委员会",
    "退役军人事务局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "林业局",
    "信访局",
    "机关事务管理局",
    "数据资源管理局",
)
# Bureaus renamed in the 2019 institutional reform: founded under the old name, renamed in 2019.
REFORMED_UNITS = (
    ("国土资源局", "自然资源和规划局"),
    ("环境保护局", "生态环境局"),
    ("安全生产监督管理局", "应急管理局"),
    ("文化广电新闻出版局", "文化和旅游局"),
)
# Place names: a word or a family name, then a landform (石桥, 柳河, 王家庄 …).
PLACE_WORDS = "东西南北上下前后大小新高长青白黄红金石柳桃杏梨枣松柏竹梅兰龙凤马牛鹿"
SURNAMES = (
    "杨李王张刘陈赵周吴郑孙胡朱郭何罗宋谢唐韩冯董程曹袁邓许沈彭吕苏卢蒋蔡丁魏叶余潘杜夏钟汪田任姜范方姚谭廖邹熊"
    "陆郝孔崔康毛邱秦江史顾侯孟万段雷钱汤尹黎常武乔贺龚"
)
PLACE_HEADS = PLACE_WORDS + SURNAMES
PLACE_TAILS = "庄集店营河桥湾沟坪岭岗塘寨堡坝洼口屯铺湖山冲圩田林坡峪滩园"
COMMUNITY_WORDS = words(
    "和平 幸福 建设 解放 人民 光明 胜利 团结 文化 新华 东风 朝阳 长青 育才 滨河 翠苑 锦绣 阳光 金桥 春晖 "
    "泰和 康宁 安居 兴隆 富民 振兴 友谊 民主 复兴 花园 书香 青年 银杏 凤凰 丽景 怡和 嘉禾 华苑 明珠 新港"
)
COMMUNITY_TAILS = ("", "路", "街", "里", "苑", "园", "新村")
STREET_WORDS = words(
    "城关 东城 西城 南城 北城 城东 城西 城南 城北 新华 解放 人民 和平 建设 文化 长安 中山 胜利 朝阳 滨江 "
    "湖滨 新城 东关 西关 南关 北关 鼓楼 钟楼 站前 东湖 西湖 新桥 老街 柳园 桃园 梨园 南湖 北湖 东山 西山"
)
INDUSTRIES = words(
    "科技 电子 机械制造 新材料 建材 纺织 服装 食品 农业开发 物流 商贸 建筑工程 医药 化工 新能源 网络 信息 "
    "传媒 环保科技 汽车配件 家居 包装 精密仪器 生物科技"
)
JOINT_GROUPS = (
    "电子商务企业",
    "物流快递企业",
    "商务楼宇",
    "个体工商户",
    "建筑施工企业",
    "餐饮服务企业",
    "小微企业",
    "农民专业合作社",
)
LAW_FIRM_WORDS = words("正大 天衡 明德 公信 致远 华信 金盾 诚达 方圆 同创 信诺 君安")
SOCIAL_ORGS = (
    "律师协会",
    "慈善总会",
    "个体劳动者协会",
    "物流行业协会",
    "餐饮行业协会",
    "家政服务业协会",
    "红十字会志愿服务中心",
    "社会工作服务中心",
)
PROJECTS = (
    "人民医院新院区建设",
    "滨河公园建设",
    "老旧小区改造",
    "城东污水处理厂建设",
    "高铁站站前广场建设",
    "工业园区标准化厂房建设",
    "乡村振兴示范片区建设",
    "国道改扩建",
    "城区供水管网改造",
    "体育中心建设",
)
CITY_GROUPS = (
    "城市建设投资集团",
    "交通投资集团",
    "水务集团",
    "公共交通集团",
    "国有资本运营集团",
    "文化旅游投资集团",
    "产业投资集团",
    "粮食储备集团",
)
GROUP_UNITS = ("机关", "工程建设公司", "物业服务公司", "置业公司", "运营公司", "检测公司", "资产管理公司")
COLLEGES = ("职业技术学院", "师范高等专科学校", "开放大学", "卫生职业学院")
COLLEGE_SCHOOLS = ("机电工程学院", "经济管理学院", "信息工程学院", "护理学院", "艺术学院", "马克思主义学院")
HOSPITAL_DEPARTMENTS = ("内科", "外科", "医技", "护理", "门急诊", "行政后勤", "离退休")
SCHOOL_GRADES = ("高一年级", "高二年级", "高三年级", "行政后勤", "离退休教师")


@dataclass(frozen=True)
class CountyPlan:
    """One 县 (mostly towns and villages) or 区 (mostly streets and communities)."""

    suffix: str
    towns: int
    streets: int
    organ_units: int
    companies: int


@dataclass(frozen=True)
class Scale:
    """How many of each part the demo city has: its own organs, enterprises, schools … and its counties."""

    organ_units: int
    state_groups: int
    colleges: int
    high_schools: int
    hospitals: int
    companies: int
    counties: tuple[CountyPlan, ...]


SCALES = {
    # About 400 orgs: a city shell with one full county and one small district.
    "county": Scale(
        organ_units=3,
        state_groups=1,
        colleges=0,
        high_schools=0,
        hospitals=0,
        companies=2,
        counties=(
            CountyPlan("县", towns=9, streets=2, organ_units=12, companies=8),
            CountyPlan("区", towns=0, streets=2, organ_units=4, companies=3),
        ),
    ),
    # About 3,000 orgs: a prefecture-level city of six counties and three districts.
    "city": Scale(
        organ_units=26,
        state_groups=6,
        colleges=3,
        high_schools=3,
        hospitals=3,
        companies=10,
        counties=(CountyPlan("县", towns=12, streets=2, organ_units=18, companies=10),) * 6
        + (CountyPlan("区", towns=2, streets=7, organ_units=18, companies=14),) * 3,
    ),
}


@dataclass
class DemoTree:
    """What seed_demo needs to know about the tree it built: where the demo accounts sit."""

    root: Org
    county: Org
    village_branch: Org


@dataclass(frozen=True)
class _Dissolution:
    """An org to dissolve once the tree stands: some time after its founding, not before a given day."""

    org: Org
    reason: str
    min_days: int = 365
    spread_days: int = 2000
    not_before: date | None = None


@dataclass
class _Place:
    """The county or city being built: its name prefix and the office that signs its documents."""

    prefix: str
    office: str
    village_branches: list[Org] = field(default_factory=list)
    company_branches: list[Org] = field(default_factory=list)


class DemoTreeBuilder:
    """Builds the demo tree through the services. ``build()`` returns the orgs the demo accounts need."""

    def __init__(self, actor: Actor, scale: Scale, seed: int):
        self.actor = actor
        self.scale = scale
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.numbered = Counter()  # parent code -> children numbered so far
        self.used_names: set[str] = set()
        # History applied once the tree stands: (org, old name part, new name part, preferred window).
        self.renames: list[tuple[Org, str, str, tuple[date, date]]] = []
        self.moves: list[tuple[Org, Org]] = []
        self.dissolutions: list[_Dissolution] = []
        self.counties: list[tuple[Org, _Place]] = []

    # --- building blocks --------------------------------------------------------------------------------

    def add(
        self,
        parent: Org | None,
        name: str,
        kind: str,
        sector: str,
        years: tuple[int, int],
        place: _Place,
        short_name: str = "",
    ) -> Org:
        founded_on = self.founded_on(parent, *years)
        return services.create_org(
            self.actor,
            parent=parent,
            name=name,
            kind=kind,
            code=self.child_code(parent),
            short_name=short_name,
            sector=sector,
            founded_on=founded_on,
            document_number=self.document_number(place, founded_on.year),
        )

    def child_code(self, parent: Org | None) -> str:
        if parent is None:
            return self.root_code()
        self.numbered[parent.code] += 1
        return f"{parent.code}{self.numbered[parent.code]:03d}"

    def root_code(self) -> str:
        """A region-like four-digit code that no existing code starts with, so no child code can clash.

        A taken code is counted up rather than drawn again: the random sequence, and so the
        rest of the tree, stays the same beside an earlier demo tree.
        """
        start = self.rng.randint(1101, 6530)
        for code in map(str, chain(range(start, 10_000), range(1000, start))):
            if not Org.objects.filter(code__startswith=code).exists():
                return code
        raise ServiceError("四位组织编码已全部占用,无法再生成演示数据。")

    def founded_on(self, parent: Org | None, first_year: int, last_year: int) -> date:
        """A day in the given years, but never before the parent was founded nor after LATEST."""
        start, end = date(first_year, 1, 1), min(date(last_year, 12, 31), LATEST)
        if parent is not None and parent.founded_on and parent.founded_on >= start:
            start = parent.founded_on + timedelta(days=30)
        start = min(start, LATEST)
        end = max(end, min(start + timedelta(days=365), LATEST))
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def document_number(self, place: _Place, year: int) -> str:
        return f"{place.office}〔{year}〕{self.rng.randint(1, 120)}号"

    def unique(self, make: Callable[[], str]) -> str:
        """A name not used yet in this tree; after many clashes, a numbered variant of the last try."""
        for _ in range(50):
            name = make()
            if name not in self.used_names:
                break
        else:
            name = next(f"{name}{i}" for i in range(2, 10_000) if f"{name}{i}" not in self.used_names)
        self.used_names.add(name)
        return name

    def village_name(self) -> str:
        def make():
            tail = self.rng.choice(PLACE_TAILS)
            if self.rng.random() < 0.3:
                return f"{self.rng.choice(SURNAMES)}家{tail}村"
            return f"{self.rng.choice(PLACE_HEADS)}{tail}村"

        return self.unique(make)

    def town_name(self) -> str:
        return self.unique(lambda: f"{self.rng.choice(PLACE_HEADS)}{self.rng.choice(PLACE_TAILS)}")

    def community_name(self) -> str:
        return self.unique(
            lambda: f"{self.rng.choice(COMMUNITY_WORDS)}{self.rng.choice(COMMUNITY_TAILS)}社区"
        )

    def street_name(self) -> str:
        return self.unique(lambda: f"{self.rng.choice(STREET_WORDS)}街道")

    def company_name(self, place_word: str) -> str:
        return self.unique(lambda: f"{place_word}{self.brand()}{self.rng.choice(INDUSTRIES)}有限公司")

    def brand(self) -> str:
        """A two-character firm name from Faker (its longer ones already end in 电子, 国际 …)."""
        while True:
            brand = self.fake.company_prefix()
            if len(brand) == 2:
                return brand

    def branches(self, parent: Org, base: str, labels, sector: str, place: _Place, years=(1990, 2020)):
        for label in labels:
            self.add(parent, f"{base}{label}党支部", OrgKind.BRANCH, sector, years, place)

    def branch(self, parent: Org, unit: str, sector: str, place: _Place, years=(1990, 2020)) -> Org:
        return self.add(parent, f"{unit}党支部", OrgKind.BRANCH, sector, years, place)

    def numbered_labels(self, count: int, prefix: str = "") -> list[str]:
        return [f"{prefix}第{NUMERALS[i]}" for i in range(count)]

    # --- the whole tree ---------------------------------------------------------------------------------

    def build(self) -> DemoTree:
        city = self.unique(self.fake.city_name)
        place = _Place(prefix=f"{city}市", office=f"{city[0]}组")
        root = self.add(
            None,
            f"中共{city}市委员会",
            OrgKind.COMMITTEE,
            Sector.ORGAN,
            (1949, 1950),
            place,
            short_name=f"{city}市委",
        )
        self.city_organs(root, place)
        self.city_state_enterprises(root, place)
        self.city_education(root, place)
        self.city_health(root, place)
        self.city_new_sector(root, place)
        for plan in self.scale.counties:
            self.county(root, plan)
        self.apply_history()
        county, county_place = next((c, p) for c, p in self.counties if p.village_branches)
        return DemoTree(root=root, county=county, village_branch=county_place.village_branches[0])

    # --- organs (机关) ----------------------------------------------------------------------------------

    def organ_committee(self, parent: Org, place: _Place, count: int, years: tuple[int, int]):
        reformed = self.rng.sample(REFORMED_UNITS, k=min(2, count))
        current = self.rng.sample(ORGAN_UNITS, k=max(0, count - len(reformed)))
        for unit in current:
            self.organ_unit(parent, place, unit, years, branches_until=years[1] + 15)
        for old, new in reformed:
            # Everything under the old name was founded before the reform that renamed it.
            top = self.organ_unit(parent, place, old, (years[0], 2015), branches_until=2018)
            window = (date(2019, 1, 15), date(2019, 4, 30))
            self.renames.append((top, f"{place.prefix}{old}", f"{place.prefix}{new}", window))

    def organ_unit(
        self, parent: Org, place: _Place, unit: str, years: tuple[int, int], branches_until: int
    ) -> Org:
        """One organ's party org: an organ committee, a general branch or a single branch, as its size gives."""
        organ = f"{place.prefix}{unit}"
        base = organ if organ.endswith("机关") else f"{organ}机关"
        branch_years = (years[0], branches_until)
        roll = self.rng.random()
        if roll < 0.4:
            top = self.add(parent, f"{base}党委", OrgKind.COMMITTEE, Sector.ORGAN, years, place)
            labels = self.numbered_labels(self.rng.randint(2, 4))
            self.branches(top, base, labels, Sector.ORGAN, place, branch_years)
            if self.rng.random() < 0.6:
                self.branches(top, organ, ["离退休干部"], Sector.ORGAN, place, branch_years)
            if self.rng.random() < 0.4:
                self.branches(top, organ, ["所属事业单位"], Sector.INSTITUTION, place, branch_years)
        elif roll < 0.65:
            top = self.add(parent, f"{base}党总支", OrgKind.GENERAL_BRANCH, Sector.ORGAN, years, place)
            labels = self.numbered_labels(self.rng.randint(2, 3))
            self.branches(top, base, labels, Sector.ORGAN, place, branch_years)
        else:
            top = self.add(parent, f"{base}党支部", OrgKind.BRANCH, Sector.ORGAN, years, place)
        return top

    def training_branch(self, parent: Org, place: _Place, what: str) -> Org:
        year = self.rng.randint(2023, 2024)
        name = f"{place.prefix}{year}年{what}培训班临时党支部"
        org = self.add(parent, name, OrgKind.TEMPORARY_BRANCH, Sector.ORGAN, (year, year), place)
        self.dissolutions.append(
            _Dissolution(org, "培训班结业,临时党支部完成任务撤销", min_days=20, spread_days=30)
        )
        return org

    def project_branch(self, parent: Org, place: _Place, sector: str, finished: bool) -> Org:
        project = self.unique(lambda: f"{place.prefix}{self.rng.choice(PROJECTS)}项目")
        org = self.add(parent, f"{project}临时党支部", OrgKind.TEMPORARY_BRANCH, sector, (2022, 2024), place)
        if finished:
            self.dissolutions.append(
                _Dissolution(org, "项目建设完成,临时党支部撤销", min_days=180, spread_days=500)
            )
        return org

    # --- the city's own systems ---------------------------------------------------------------------------

    def city_organs(self, root: Org, place: _Place):
        organs = self.add(
            root, f"{place.prefix}直机关工委", OrgKind.WORKING_COMMITTEE, Sector.ORGAN, (1953, 1960), place
        )
        self.organ_committee(organs, place, self.scale.organ_units, (1955, 1995))
        self.training_branch(organs, place, "选派驻村第一书记")

    def city_state_enterprises(self, root: Org, place: _Place):
        system = self.add(
            root, f"{place.prefix}国资委党委", OrgKind.COMMITTEE, Sector.SOE, (2004, 2006), place
        )
        for group in self.rng.sample(CITY_GROUPS, k=self.scale.state_groups):
            self.state_group(system, place, f"{place.prefix}{group}有限公司", self.rng.randint(3, 6))
        self.project_branch(system, place, Sector.SOE, finished=False)

    def state_group(self, parent: Org, place: _Place, company: str, units: int):
        group = self.add(parent, f"{company}党委", OrgKind.COMMITTEE, Sector.SOE, (1995, 2012), place)
        self.branches(group, company, self.rng.sample(GROUP_UNITS, k=units), Sector.SOE, place)
        if self.rng.random() < 0.5:
            general = self.add(
                group, f"{company}分公司党总支", OrgKind.GENERAL_BRANCH, Sector.SOE, (2005, 2020), place
            )
            self.branches(general, f"{company}分公司", self.numbered_labels(2), Sector.SOE, place)

    def city_education(self, root: Org, place: _Place):
        if not (self.scale.colleges or self.scale.high_schools):
            return
        work = self.add(
            root, f"{place.prefix}委教育工委", OrgKind.WORKING_COMMITTEE, Sector.SCHOOL, (1985, 1995), place
        )
        for college in self.rng.sample(COLLEGES, k=self.scale.colleges):
            name = f"{place.prefix[:-1]}{college}"
            top = self.add(work, f"{name}党委", OrgKind.COMMITTEE, Sector.SCHOOL, (1978, 2005), place)
            self.branches(top, f"{name}机关", self.numbered_labels(2), Sector.SCHOOL, place)
            for school in self.rng.sample(COLLEGE_SCHOOLS, k=self.rng.randint(3, 5)):
                general = self.add(
                    top, f"{name}{school}党总支", OrgKind.GENERAL_BRANCH, Sector.SCHOOL, (1990, 2015), place
                )
                students = self.numbered_labels(self.rng.randint(1, 2), "学生")
                self.branches(general, f"{name}{school}", ["教工", *students], Sector.SCHOOL, place)
        for number in range(1, self.scale.high_schools + 1):
            self.high_school(work, place, f"{place.prefix}第{NUMERALS[number - 1]}中学")

    def high_school(self, parent: Org, place: _Place, school: str):
        general = self.add(
            parent, f"{school}党总支", OrgKind.GENERAL_BRANCH, Sector.SCHOOL, (1955, 1990), place
        )
        self.branches(general, school, SCHOOL_GRADES[: self.rng.randint(3, 5)], Sector.SCHOOL, place)

    def city_health(self, root: Org, place: _Place):
        if not self.scale.hospitals:
            return
        system = self.add(
            root, f"{place.prefix}卫生健康委员会党委", OrgKind.COMMITTEE, Sector.HOSPITAL, (1990, 2000), place
        )
        for number in range(1, self.scale.hospitals + 1):
            self.hospital(system, f"{place.prefix}第{NUMERALS[number - 1]}人民医院", place, big=True)
        self.branch(system, f"{place.prefix}中心血站", Sector.INSTITUTION, place)
        self.branch(system, f"{place.prefix}疾病预防控制中心", Sector.INSTITUTION, place)

    def hospital(self, parent: Org, name: str, place: _Place, big: bool):
        if big:
            top = self.add(parent, f"{name}党委", OrgKind.COMMITTEE, Sector.HOSPITAL, (1952, 1990), place)
            departments = HOSPITAL_DEPARTMENTS[: self.rng.randint(5, len(HOSPITAL_DEPARTMENTS))]
        else:
            top = self.add(
                parent, f"{name}党总支", OrgKind.GENERAL_BRANCH, Sector.HOSPITAL, (1960, 2000), place
            )
            departments = ("临床", "医技护理", "行政后勤")
        self.branches(top, name, departments, Sector.HOSPITAL, place)

    def city_new_sector(self, root: Org, place: _Place):
        work = self.add(
            root,
            f"{place.prefix}委两新工委",
            OrgKind.WORKING_COMMITTEE,
            Sector.PRIVATE_ENTERPRISE,
            (2005, 2012),
            place,
        )
        city_word = place.prefix[:-1]
        for _ in range(self.scale.companies):
            company = self.company_name(city_word)
            big = self.rng.random() < 0.4
            kind = OrgKind.COMMITTEE if big else OrgKind.BRANCH
            top = self.add(
                work, f"{company}{kind.label}", kind, Sector.PRIVATE_ENTERPRISE, (2000, 2020), place
            )
            if big:
                labels = ["生产", "研发", "销售", "行政"][: self.rng.randint(2, 4)]
                self.branches(top, company, labels, Sector.PRIVATE_ENTERPRISE, place)
        for group in self.rng.sample(JOINT_GROUPS, k=2):
            self.add(
                work,
                f"{place.prefix}{group}联合党支部",
                OrgKind.JOINT_BRANCH,
                Sector.PRIVATE_ENTERPRISE,
                (2012, 2022),
                place,
            )
        self.law_firms(work, place, city_word, count=2)

    def law_firms(self, parent: Org, place: _Place, place_word: str, count: int):
        for word in self.rng.sample(LAW_FIRM_WORDS, k=count):
            firm = self.unique(lambda w=word: f"{place_word}{w}律师事务所")
            self.add(parent, f"{firm}党支部", OrgKind.BRANCH, Sector.SOCIAL_ORG, (2008, 2022), place)

    # --- a county or district ---------------------------------------------------------------------------

    def county(self, root: Org, plan: CountyPlan):
        word = self.unique(self.fake.district)
        place = _Place(prefix=f"{word}{plan.suffix}", office=f"{word[0]}组")
        county = self.add(
            root,
            f"中共{place.prefix}委员会",
            OrgKind.COMMITTEE,
            Sector.ORGAN,
            (1949, 1958),
            place,
            short_name=f"{place.prefix}委",
        )
        self.counties.append((county, place))
        organs = self.add(
            county, f"{place.prefix}直机关工委", OrgKind.WORKING_COMMITTEE, Sector.ORGAN, (1980, 1995), place
        )
        self.organ_committee(organs, place, plan.organ_units, (1980, 2005))
        self.training_branch(organs, place, "新任村(社区)党组织书记")
        towns = [self.town_name() for _ in range(plan.towns)]
        education = self.county_education(county, place, towns)
        self.county_health(county, place, towns)
        self.county_state_enterprises(county, place)
        self.county_new_sector(county, place, word, plan.companies)
        for town in towns:
            self.town(county, place, town, education)
        for _ in range(plan.streets):
            self.street(county, place)
        self.county_history(place)

    def county_education(self, county: Org, place: _Place, towns: list[str]) -> Org:
        system = self.add(
            county, f"{place.prefix}教育系统党委", OrgKind.COMMITTEE, Sector.SCHOOL, (1990, 2005), place
        )
        self.high_school(system, place, f"{place.prefix}第一中学")
        if self.rng.random() < 0.6:
            self.high_school(system, place, f"{place.prefix}第二中学")
        vocational = f"{place.prefix}职业中等专业学校"
        general = self.add(
            system, f"{vocational}党总支", OrgKind.GENERAL_BRANCH, Sector.SCHOOL, (1985, 2000), place
        )
        self.branches(general, vocational, ["教工第一", "教工第二", "学生"], Sector.SCHOOL, place)
        for school in ("实验小学", "实验中学", "幼儿园"):
            self.branch(system, f"{place.prefix}{school}", Sector.SCHOOL, place)
        for town in towns[: len(towns) // 2]:
            self.branch(system, f"{town}初级中学", Sector.SCHOOL, place)
        return system

    def county_health(self, county: Org, place: _Place, towns: list[str]):
        system = self.add(
            county, f"{place.prefix}卫生健康系统党委", OrgKind.COMMITTEE, Sector.HOSPITAL, (1995, 2010), place
        )
        self.hospital(system, f"{place.prefix}人民医院", place, big=True)
        self.hospital(system, f"{place.prefix}中医院", place, big=False)
        self.branch(system, f"{place.prefix}妇幼保健院", Sector.HOSPITAL, place)
        self.branch(system, f"{place.prefix}疾病预防控制中心", Sector.INSTITUTION, place)
        for town in towns[::2]:
            self.branch(system, f"{town}卫生院", Sector.HOSPITAL, place)

    def county_state_enterprises(self, county: Org, place: _Place):
        system = self.add(
            county, f"{place.prefix}国有企业党委", OrgKind.COMMITTEE, Sector.SOE, (2000, 2010), place
        )
        self.state_group(system, place, f"{place.prefix}城市建设投资集团有限公司", 4)
        self.branch(system, f"{place.prefix}交通投资有限公司", Sector.SOE, place)
        water = f"{place.prefix}水务有限公司"
        general = self.add(system, f"{water}党总支", OrgKind.GENERAL_BRANCH, Sector.SOE, (2003, 2015), place)
        self.branches(general, water, ["供水", "污水处理", "机关"], Sector.SOE, place)
        self.project_branch(system, place, Sector.SOE, finished=False)

    def county_new_sector(self, county: Org, place: _Place, word: str, companies: int):
        nonpublic = self.add(
            county,
            f"{place.prefix}非公有制经济组织党委",
            OrgKind.COMMITTEE,
            Sector.PRIVATE_ENTERPRISE,
            (2003, 2012),
            place,
        )
        for _ in range(companies):
            self.company(nonpublic, place, word)
        for group in self.rng.sample(JOINT_GROUPS, k=2):
            self.add(
                nonpublic,
                f"{place.prefix}{group}联合党支部",
                OrgKind.JOINT_BRANCH,
                Sector.PRIVATE_ENTERPRISE,
                (2012, 2023),
                place,
            )
        social = self.add(
            county, f"{place.prefix}社会组织党委", OrgKind.COMMITTEE, Sector.SOCIAL_ORG, (2010, 2018), place
        )
        for org in self.rng.sample(SOCIAL_ORGS, k=3):
            self.branch(social, f"{place.prefix}{org}", Sector.SOCIAL_ORG, place, years=(2010, 2023))
        self.law_firms(social, place, word, count=2)
        self.add(
            social,
            f"{place.prefix}社会组织联合党支部",
            OrgKind.JOINT_BRANCH,
            Sector.SOCIAL_ORG,
            (2015, 2023),
            place,
        )

    def company(self, parent: Org, place: _Place, word: str) -> Org:
        company = self.company_name(word)
        if self.rng.random() < 0.15:
            general = self.add(
                parent,
                f"{company}党总支",
                OrgKind.GENERAL_BRANCH,
                Sector.PRIVATE_ENTERPRISE,
                (2005, 2020),
                place,
            )
            labels = ["生产车间", "研发", "营销"][: self.rng.randint(2, 3)]
            self.branches(general, company, labels, Sector.PRIVATE_ENTERPRISE, place, years=(2005, 2022))
            return general
        branch = self.add(
            parent, f"{company}党支部", OrgKind.BRANCH, Sector.PRIVATE_ENTERPRISE, (2005, 2023), place
        )
        place.company_branches.append(branch)
        return branch

    def town(self, county: Org, place: _Place, word: str, education: Org):
        """A 乡镇党委 with its organ branch, village branches, a school and some firms.

        About a third of the towns were 乡 and became 镇 later (撤乡设镇): founded under the
        old name and renamed with everything that carries it.
        """
        was_township = self.rng.random() < 0.35
        town = f"{word}{'乡' if was_township else '镇'}"
        committee = self.add(county, f"{town}党委", OrgKind.COMMITTEE, Sector.ORGAN, (1950, 1984), place)
        if was_township:
            self.renames.append((committee, town, f"{word}镇", (date(1995, 1, 1), date(2015, 12, 31))))
        self.branch(committee, f"{town}机关", Sector.ORGAN, place, years=(1984, 1995))
        for _ in range(self.rng.randint(6, 11)):
            self.village(committee, place)
        school = self.add(
            committee, f"{town}中心小学党支部", OrgKind.BRANCH, Sector.SCHOOL, (1985, 2015), place
        )
        if self.rng.random() < 0.5:
            self.moves.append((school, education))
        if self.rng.random() < 0.4:
            self.company(committee, place, word)
        if self.rng.random() < 0.4:
            self.add(
                committee,
                f"{town}非公企业联合党支部",
                OrgKind.JOINT_BRANCH,
                Sector.PRIVATE_ENTERPRISE,
                (2012, 2023),
                place,
            )
        if self.rng.random() < 0.15:
            self.project_branch(committee, place, Sector.OTHER, finished=self.rng.random() < 0.5)

    def village(self, town: Org, place: _Place):
        village = self.village_name()
        if self.rng.random() < 0.12:
            # A large village: a general branch over branches by hamlet (村民小组片区).
            general = self.add(
                town, f"{village}党总支", OrgKind.GENERAL_BRANCH, Sector.VILLAGE, (1955, 2000), place
            )
            labels = self.numbered_labels(self.rng.randint(2, 3))
            self.branches(general, village, labels, Sector.VILLAGE, place, years=(1960, 2010))
        else:
            branch = self.add(town, f"{village}党支部", OrgKind.BRANCH, Sector.VILLAGE, (1952, 1990), place)
            place.village_branches.append(branch)

    def street(self, county: Org, place: _Place):
        street = self.street_name()
        work = self.add(
            county, f"{street}党工委", OrgKind.WORKING_COMMITTEE, Sector.ORGAN, (1985, 2010), place
        )
        self.branch(work, f"{street}机关", Sector.ORGAN, place)
        for _ in range(self.rng.randint(3, 7)):
            community = self.community_name()
            if self.rng.random() < 0.2:
                top = self.add(
                    work, f"{community}党委", OrgKind.COMMITTEE, Sector.COMMUNITY, (2000, 2015), place
                )
                labels = [*self.numbered_labels(self.rng.randint(2, 3)), "离退休党员"]
                self.branches(top, community, labels, Sector.COMMUNITY, place, years=(2000, 2020))
            else:
                self.add(work, f"{community}党支部", OrgKind.BRANCH, Sector.COMMUNITY, (1995, 2018), place)
        if self.rng.random() < 0.5:
            self.add(
                work,
                f"{street}商务楼宇联合党支部",
                OrgKind.JOINT_BRANCH,
                Sector.PRIVATE_ENTERPRISE,
                (2015, 2023),
                place,
            )
        if self.rng.random() < 0.5:
            self.company(work, place, street[:2])

    # --- history: renames, moves and dissolutions, after the tree stands ----------------------------------

    def county_history(self, place: _Place):
        """A merged village (合村并居) and a closed firm in each county; the demo branch stays untouched."""
        if len(place.village_branches) > 2:
            merged = self.rng.choice(place.village_branches[1:])
            place.village_branches.remove(merged)
            into = self.rng.choice(place.village_branches)
            reason = f"合村并居,党员组织关系转入{into.name}"
            self.dissolutions.append(_Dissolution(merged, reason, not_before=date(2016, 1, 1)))
        if place.company_branches:
            closed = self.rng.choice(place.company_branches)
            reason = "企业注销,党支部撤销,党员组织关系转出"
            self.dissolutions.append(_Dissolution(closed, reason, not_before=date(2018, 1, 1)))

    def apply_history(self):
        for org, old, new, window in self.renames:
            self.rename_everything_named(org, old, new, window)
        for org, new_parent in self.moves:
            self.move_school(org, new_parent)
        for dissolution in self.dissolutions:
            self.dissolve(dissolution)

    def rename_everything_named(self, top: Org, old: str, new: str, window: tuple[date, date]):
        """Rename an org and every org under it whose name carries the old name, as the renaming decision did."""
        family = [org for org in Org.objects.all().within(top) if org.name.startswith(old)]
        latest_founding = max(org.founded_on for org in family)
        when = self.day_between(*window)
        if when <= latest_founding:
            when = min(latest_founding + timedelta(days=self.rng.randint(30, 400)), LATEST)
        place_office = self.office_of(top)
        number = self.rng.randint(1, 60)
        for org in family:
            services.update_org(
                self.actor,
                org,
                name=new + org.name[len(old) :],
                occurred_on=when,
                document_number=f"{place_office}〔{when.year}〕{number}号",
            )

    def move_school(self, school: Org, education: Org):
        """Primary schools' branches moved under the education system (中小学校党建工作管理体制调整)."""
        school.refresh_from_db()
        when = max(self.day_between(date(2022, 1, 1), date(2022, 12, 31)), school.founded_on)
        services.move_org(
            self.actor,
            school,
            education,
            occurred_on=when,
            document_number=f"{self.office_of(education)}〔{when.year}〕{self.rng.randint(1, 60)}号",
        )

    def dissolve(self, dissolution: _Dissolution):
        org = Org.objects.get(pk=dissolution.org.pk)
        earliest = org.founded_on + timedelta(days=dissolution.min_days)
        if dissolution.not_before:
            earliest = max(earliest, dissolution.not_before)
        earliest = min(earliest, LATEST)
        when = self.day_between(earliest, min(earliest + timedelta(days=dissolution.spread_days), LATEST))
        services.dissolve_org(
            self.actor,
            org,
            occurred_on=when,
            document_number=f"{self.office_of(org)}〔{when.year}〕{self.rng.randint(1, 60)}号",
            reason=dissolution.reason,
        )

    def office_of(self, org: Org) -> str:
        """The organization department that signs decisions about ``org``: its county's, else the city's."""
        for county, place in self.counties:
            if org.path.startswith(county.path):
                return place.office
        root = Org.objects.get(path=org.path[: Org.steplen])
        return f"{root.short_name[0]}组"

    def day_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))


def build_demo_tree(actor: Actor, scale: str, seed: int) -> DemoTree:
    """Build the demo tree of the given scale ("county" or "city"); same seed, same tree."""
    return DemoTreeBuilder(actor, SCALES[scale], seed).build()
