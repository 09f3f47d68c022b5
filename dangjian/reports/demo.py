"""Demo data of the statistics: nothing to invent — it builds the roll-ups of the demo members and orgs
(this year and the last, with the totals of the nine years before each) and the other apps' (the
attendance of the demo activities), as an installation would with ``manage.py rebuild_rollups``."""

from dangjian.reports import rollups


def seed_demo(actor, tree, scale: str, seed: int) -> str:
    rows = rollups.rebuild(actor)
    return (
        f"统计汇总:已建立近{rollups.YEARS}个年度的{rollups.kept_names()} {rows} 行(另含此前九年的党员总数)。"
    )
