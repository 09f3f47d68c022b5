"""The indicator registry (DESIGN.md idea 5): every figure of the platform defined once.

An ``Indicator`` names what it counts (key, Chinese name, description, unit) and says how: a ``Source``
(the records: a model, where their org path is, which rows exist for a period) and a filter ``q(period)``
on those records. ``records(user, org, period)`` is the queryset behind the figure (scoped to the user,
limited to the org's subtree); ``value`` is its aggregate. Tables, the dashboard and the API compute many
indicators of one source in a single query (``compute``), with the same filters, so a figure and the
list behind it cannot disagree.

Other apps add indicators from their own ``indicators.py`` (imported by ``autodiscover`` when the
registry is first read): define a ``Source`` for their records and call ``register(Indicator(...))``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module
from urllib.parse import urlencode

from django.apps import apps
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.urls import reverse

from dangjian.core.access import subtree_q
from dangjian.orgs.models import Org

STEPLEN = Org.steplen


@dataclass(frozen=True)
class Period:
    """A statistics period: flows count what happened from ``start`` to ``end`` (both included); stocks
    (members on the roll, orgs in existence) are taken as they stood on ``end`` (the 统计时点)."""

    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year, 12, 31))

    def q(self, lookup: str) -> Q:
        return Q(**{f"{lookup}__gte": self.start, f"{lookup}__lte": self.end})

    def whole_months(self) -> bool:
        """Whether the period starts on a month's first day and ends on a month's last day (a year, a
        quarter, a month …): the roll-ups kept by month answer such periods exactly."""
        return self.start.day == 1 and (self.end == date.max or (self.end + timedelta(days=1)).day == 1)


@dataclass(frozen=True)
class Source:
    """Where an indicator's records come from.

    ``model`` must have a ``visible_to(user)`` queryset; ``path_lookup`` names the org path a record is
    counted under (its org of record); ``base(period)`` selects the records that exist for the period
    (e.g. members on the roll on the period's end); ``date_field`` is shown in drill-down lists.
    ``columns`` are (header, callable(record)) for the drill-down page and its Excel export.
    ``current`` marks records counted as they stand today (no dated history), whatever the period.
    """

    key: str
    name: str
    model: type
    path_lookup: str
    base: Callable[[Period], Q] = lambda period: Q()
    select_related: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ("pk",)
    columns: tuple[tuple[str, Callable], ...] = ()
    detail_url: Callable | None = None
    org_of: Callable = lambda record: record.org
    # The records are counted as they stand now whatever the period (state kept without dated history,
    # e.g. open development cases by stage): pages say so instead of naming the period.
    current: bool = False

    def records(self, user, org: Org, period: Period, direct: bool = False) -> QuerySet:
        """The records of the org's subtree (only those kept at the org itself when ``direct``)."""
        where = Q(**{self.path_lookup: org.path}) if direct else subtree_q(self.path_lookup, org.path)
        return self.model.objects.visible_to(user).filter(where).filter(self.base(period))


def count_aggregate(condition: Q):
    return Count("pk", filter=condition)


@dataclass(frozen=True)
class Indicator:
    """One figure: what it counts, in which unit, and the filter that selects its records."""

    key: str
    name: str
    description: str
    unit: str
    source: Source
    q: Callable[[Period], Q] = lambda period: Q()
    group: str = ""
    # The aggregate over the filtered records, given the filter: Count("pk", filter=…) by default;
    # an indicator of amounts passes e.g. ``lambda q: Sum("amount", filter=q)``.
    aggregate: Callable[[Q], object] = count_aggregate
    # Amounts: the value is a Decimal rounded to this many places (SQLite hands sums back as floats
    # turned into Decimals, "12.5" for 12.50), and 0.00 rather than 0 when nothing is counted.
    places: int | None = None

    def finish(self, value):
        """The aggregate as displayed and answered: 0 for no records, amounts as Decimals of ``places``."""
        if self.places is None:
            return value or 0
        return Decimal(value or 0).quantize(Decimal(1).scaleb(-self.places))

    def records(self, user, org: Org, period: Period, direct: bool = False) -> QuerySet:
        source = self.source
        queryset = source.records(user, org, period, direct).filter(self.q(period))
        if source.select_related:
            queryset = queryset.select_related(*source.select_related)
        return queryset.order_by(*source.order_by)

    def value(self, user, org: Org, period: Period, direct: bool = False):
        """The figure for the org's subtree (only the org's own records when ``direct``)."""
        if direct:
            records = self.source.records(user, org, period, direct=True).order_by()
            return self.finish(records.aggregate(value=self.aggregate(self.q(period)))["value"])
        return compute(user, org, period, [self])[self.key]


@dataclass
class Registry:
    indicators: dict[str, Indicator] = field(default_factory=dict)
    discovered: bool = False
    # Functions (key) -> Indicator | None for keys not registered one by one: indicators of rows of a
    # code table an administrator extends (activities.kind.<code> of a kind added after deployment).
    resolvers: list[Callable[[str], "Indicator | None"]] = field(default_factory=list)

    def register(self, indicator: Indicator) -> Indicator:
        known = self.indicators.get(indicator.key)
        if known is not None and known != indicator:
            raise ValueError(f"indicator {indicator.key!r} is registered twice")
        self.indicators[indicator.key] = indicator
        return indicator

    def autodiscover(self) -> None:
        """Import ``<app>.indicators`` of every installed app of the project (once)."""
        if self.discovered:
            return
        self.discovered = True
        for config in apps.get_app_configs():
            if not config.name.startswith("dangjian."):
                continue
            try:
                import_module(f"{config.name}.indicators")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.indicators":
                    raise

    def all(self) -> list[Indicator]:
        self.autodiscover()
        return list(self.indicators.values())

    def get(self, key: str) -> Indicator | None:
        self.autodiscover()
        found = self.indicators.get(key)
        for resolve in self.resolvers if found is None else ():
            found = resolve(key)
            if found is not None:
                break
        return found

    def register_resolver(self, resolve: Callable[[str], "Indicator | None"]) -> None:
        if resolve not in self.resolvers:
            self.resolvers.append(resolve)


registry = Registry()


def register(indicator: Indicator) -> Indicator:
    return registry.register(indicator)


def get(key: str) -> Indicator | None:
    return registry.get(key)


def register_resolver(resolve: Callable[[str], Indicator | None]) -> None:
    """Answer keys that are not registered one by one (see ``Registry.resolvers``); ``resolve`` must
    answer the same indicator object for the same key, so figures group by source as usual."""
    registry.register_resolver(resolve)


def money_sum(lookup: str):
    """The aggregate of an amount indicator: ``Sum(lookup, filter=…)`` (Decimal; pair it with ``places=2``)."""
    return lambda condition: Sum(lookup, filter=condition)


def all_indicators() -> list[Indicator]:
    return registry.all()


# --- computing many figures at once ---------------------------------------------------------------------


# Faster answers for a source, tried before the live query: {source key: module with ``totals`` and
# ``by_child``}, each answering None when it cannot answer exactly (reports.rollups for members).
accelerators: dict[str, object] = {}


def _counted(members: list[Indicator], period: Period) -> Q:
    """Rows counted by at least one of the indicators: filtering on it changes no figure (a row outside
    every FILTER adds nothing) but lets the database use an index, e.g. (kind, occurred_on) for flows."""
    condition = Q(pk__in=[])
    for indicator in members:
        q = indicator.q(period)
        if not q:
            return Q()
        condition |= q
    return condition


def _by_source(indicators: list[Indicator]) -> dict[Source, list[Indicator]]:
    grouped: dict[Source, list[Indicator]] = {}
    for indicator in indicators:
        grouped.setdefault(indicator.source, []).append(indicator)
    return grouped


def compute(user, org: Org, period: Period, indicators: list[Indicator]) -> dict[str, int]:
    """Each indicator's value for the org's subtree: one query per source."""
    values: dict[str, int] = {}
    for source, members in _by_source(indicators).items():
        accelerator = accelerators.get(source.key)
        fast = accelerator.totals(user, org, period, members) if accelerator else None
        if fast is not None:
            values.update(fast)
            continue
        totals = (
            source.records(user, org, period)
            .filter(_counted(members, period))
            .order_by()
            .aggregate(**{ind.key: ind.aggregate(ind.q(period)) for ind in members})
        )
        values.update({ind.key: ind.finish(totals[ind.key]) for ind in members})
    return values


def compute_by_child(
    user, org: Org, period: Period, indicators: list[Indicator]
) -> dict[str, dict[str, int]]:
    """Each indicator's value per direct subordinate of ``org`` (by path) and for the org's own records.

    The answer maps a path to the values: a child's path for its whole subtree, ``org.path`` itself for
    the records kept directly at the org. One grouped query per source; the rows sum to ``compute``.
    """
    width = len(org.path) + STEPLEN
    found: dict[str, dict[str, int]] = {}
    for source, members in _by_source(indicators).items():
        accelerator = accelerators.get(source.key)
        fast = accelerator.by_child(user, org, period, members, width) if accelerator else None
        if fast is not None:
            for branch, row in fast.items():
                found.setdefault(branch, {}).update(row)
            continue
        rows = (
            source.records(user, org, period)
            .filter(_counted(members, period))
            .order_by()
            .annotate(_branch=Substr(source.path_lookup, 1, width))
            .values("_branch")
            .annotate(**{ind.key: ind.aggregate(ind.q(period)) for ind in members})
        )
        for row in rows:
            branch = row.pop("_branch")
            found.setdefault(branch, {}).update({ind.key: ind.finish(row[ind.key]) for ind in members})
    return found


# --- figures with their links, for the pages of every app -----------------------------------------------


def records_query(org: Org, period: Period, direct: bool = False) -> str:
    """The query string of a records page: the org, the period and (for 本级 rows) only its own records."""
    query = {"org": org.pk, "from": period.start.isoformat(), "to": period.end.isoformat()}
    if direct:
        query["direct"] = "1"
    return urlencode(query)


def records_url(key: str, org: Org, period: Period, direct: bool = False) -> str:
    """The page of the records behind a figure (``reports:records``: the list with its Excel export)."""
    return f"{reverse('reports:records', args=[key])}?{records_query(org, period, direct)}"


@dataclass(frozen=True)
class Figure:
    """A displayed number: the indicator, its value for one org and period, and the link to its records."""

    indicator: Indicator
    value: int | Decimal
    url: str

    @property
    def key(self) -> str:
        return self.indicator.key

    @property
    def name(self) -> str:
        return self.indicator.name

    @property
    def unit(self) -> str:
        return self.indicator.unit


def lookup(keys) -> list[Indicator]:
    """The indicators of ``keys`` (a missing key is a programming error, raised as KeyError)."""
    found = []
    for key in keys:
        indicator = get(key)
        if indicator is None:
            raise KeyError(f"no indicator {key!r}")
        found.append(indicator)
    return found


def figures(user, org: Org, period: Period, keys) -> dict[str, Figure]:
    """The figures of ``keys`` for the org's subtree, one query per source, each with its records link."""
    indicators = lookup(dict.fromkeys(keys))
    values = compute(user, org, period, indicators)
    return {ind.key: Figure(ind, values[ind.key], records_url(ind.key, org, period)) for ind in indicators}


def figures_by_child(user, org: Org, children, period: Period, keys) -> dict[int, dict[str, Figure]]:
    """The figures of ``keys`` for each org of ``children`` (direct subordinates of ``org``), each for
    its whole subtree: one grouped query per source (``compute_by_child``), a child without records 0."""
    indicators = lookup(dict.fromkeys(keys))
    found = compute_by_child(user, org, period, indicators)
    return {
        child.pk: {
            ind.key: Figure(
                ind,
                found.get(child.path, {}).get(ind.key, ind.finish(None)),
                records_url(ind.key, child, period),
            )
            for ind in indicators
        }
        for child in children
    }
