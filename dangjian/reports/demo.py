"""Demo data of the statistics: nothing to invent — it builds this year's per-org roll-ups of the demo
members, as an installation would with ``manage.py rebuild_rollups``."""

from dangjian.reports import rollups


def seed_demo(actor, tree, scale: str, seed: int) -> str:
    rows = rollups.rebuild(actor)
    return f"统计汇总:已为 {rows} 个党组织建立本年度党员统计汇总。"
