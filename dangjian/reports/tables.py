"""The year-end statistics tables (党内统计, RULES.md §6): each column is an indicator of the registry.

A table is computed for a subtree with one row for the whole subtree, then (when broken down) one row
per direct subordinate org and one for the records kept directly at the org itself, which add up to
the first row (the sum rule). Every cell is a figure of the registry and links to its records.
"""

from dataclasses import dataclass, field

from dangjian.core.access import subtree_q
from dangjian.orgs.models import Org
from dangjian.reports import registry
from dangjian.reports.registry import Indicator, Period


@dataclass(frozen=True)
class TableSpec:
    key: str
    title: str
    keys: tuple[str, ...]
    flow: bool = False  # counts events in the period rather than a stock on its end
    # Shares shown after the figures: (label, numerator key, denominator key).
    shares: tuple[tuple[str, str, str], ...] = ()

    def indicators(self) -> list[Indicator]:
        return [registry.get(key) for key in self.keys]


def _group(prefix: str) -> tuple[str, ...]:
    return tuple(ind.key for ind in registry.all_indicators() if ind.group == prefix)


def table_specs() -> list[TableSpec]:
    return [
        TableSpec(
            "members",
            "党员基本情况",
            ("members.total", "members.category.full", "members.category.probationary")
            + _group("sex")
            + _group("ethnicity"),
            shares=(("女党员占比", "members.sex.female", "members.total"),),
        ),
        TableSpec("age", "党员年龄结构", ("members.total",) + _group("age")),
        TableSpec("education", "党员学历", ("members.total",) + _group("education")),
        TableSpec("occupation", "党员职业", ("members.total",) + _group("occupation")),
        TableSpec("admission", "党员入党时间", ("members.total",) + _group("admission")),
        TableSpec("org_kind", "党组织(按类别)", _group("org_kind")),
        TableSpec("org_sector", "党组织(按领域)", ("orgs.total",) + _group("org_sector")),
        TableSpec(
            "coverage",
            "党组织覆盖",
            _group("coverage"),
            shares=(
                ("单位覆盖率", "units.covered", "units.total"),
                ("两新组织覆盖率", "units.new_sector_covered", "units.new_sector"),
            ),
        ),
        TableSpec("flows", "党员增减", _group("flows"), flow=True),
        TableSpec("exits", "出党和去世", _group("exits"), flow=True),
        TableSpec("org_flows", "党组织设置变化", _group("org_flows"), flow=True),
    ]


def spec(key: str) -> TableSpec | None:
    return next((table for table in table_specs() if table.key == key), None)


@dataclass
class Row:
    label: str
    org: Org
    direct: bool  # only the records kept at the org itself, not its subtree
    values: list[int]
    shares: list[float | None] = field(default_factory=list)


@dataclass
class Table:
    spec: TableSpec
    indicators: list[Indicator]
    rows: list[Row]


def share(numerator: int, denominator: int) -> float | None:
    return None if not denominator else round(100 * numerator / denominator, 1)


def _row(label, org, direct, table: TableSpec, values: dict) -> Row:
    return Row(
        label,
        org,
        direct,
        [values.get(key, 0) for key in table.keys],
        [share(values.get(n, 0), values.get(d, 0)) for _, n, d in table.shares],
    )


def build(user, org: Org, period: Period, specs: list[TableSpec], breakdown: bool = True) -> list[Table]:
    """The tables for ``org``'s subtree; with ``breakdown``, a row per direct subordinate and one of its own.

    All tables' indicators are computed together: one query per source for the totals and one per
    source for the breakdown, whatever the number of tables.
    """
    indicators = [ind for table in specs for ind in table.indicators()]
    unique = list({ind.key: ind for ind in indicators}.values())
    totals = registry.compute(user, org, period, unique)
    by_branch = registry.compute_by_child(user, org, period, unique) if breakdown else {}
    children = list(
        # The path range (not a bare prefix match) lets PostgreSQL use the path index (core.access.subtree_q).
        Org.objects.visible_to(user).filter(subtree_q("path", org.path), depth=org.depth + 1).order_by("path")
    )
    tables = []
    for table in specs:
        rows = [_row("合计", org, False, table, totals)]
        if breakdown:
            for child in children:
                values = by_branch.get(child.path, {})
                # Dissolved subordinates with nothing left to count are history, not a row of the table.
                if child.is_active or any(values.get(key) for key in table.keys):
                    rows.append(_row(child.name, child, False, table, values))
            rows.append(_row(f"{org.name}(本级)", org, True, table, by_branch.get(org.path, {})))
        tables.append(Table(table, table.indicators(), rows))
    return tables
