"""Per-org roll-ups of the member statistics: a cache the member services keep current, never a source.

Live aggregates over 10,000,000 members take seconds at the root of a province (bench/README.md,
``## Statistics``). ``MemberRollup`` holds, for each org and year, the counts of the members kept
DIRECTLY at the org for every member indicator of the year-end tables; ``SubtreeRollup`` holds the same
counts for the org's WHOLE subtree (the org and everything below it), kept by adding the change of a
direct row to every ancestor's subtree row, so any org's figure is one row.
"""

from django.db import models

from dangjian.core.access import ScopedQuerySet
from dangjian.orgs.models import Org, OrgKind, Sector

# The member indicators kept per org: every stock of the year-end tables (reports/indicators.py).
ROLLUP_KEYS = (
    "members.total",
    "members.category.full",
    "members.category.probationary",
    "members.sex.male",
    "members.sex.female",
    "members.ethnicity.han",
    "members.ethnicity.minority",
    *(f"members.age.{band}" for band in range(8)),
    "members.education.postgraduate",
    "members.education.bachelor",
    "members.education.college",
    "members.education.secondary_vocational",
    "members.education.high_school",
    "members.education.junior_or_below",
    "members.education.unknown",
    "members.occupation.worker",
    "members.occupation.farmer",
    "members.occupation.professional",
    "members.occupation.manager",
    "members.occupation.official",
    "members.occupation.student",
    "members.occupation.other",
    "members.occupation.retired",
    "members.occupation.unknown",
    "members.admission.before_1949",
    "members.admission.to_1978",
    "members.admission.to_2012",
    "members.admission.since_2012",
    "members.admission.unknown",
)


def column(key: str) -> str:
    """members.age.0 → age_0: the roll-up column holding an indicator."""
    return key.removeprefix("members.").replace(".", "_")


# Each member roll-up row of a year also holds members.total on 31 December of each of the nine years
# before it, so two kept years (this one in full, last year's in full for the year-end report) serve the
# dashboard's ten-year trend: ten kept years of every column cost five times the rebuild and the upkeep
# (bench/README.md, ## Statistics).
EARLIER = 9


def earlier_column(years_before: int) -> str:
    """The column holding members.total on 31 December ``years_before`` years before the row's year."""
    return f"earlier_total_{years_before}"


def derived_org_key() -> models.ForeignKey:
    """The org of a roll-up row. A derived row has no database constraint: its deferred check cost ~10 s
    per kept year of a province at the rebuild's COMMIT. Deleting an org still deletes its rows (Django's
    CASCADE), and rebuild_rollups verifies every row against the orgs."""
    return models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+", db_constraint=False)


class RollupYear(models.Model):
    """A year whose roll-ups have been built in full (by ``rebuild_rollups``) and are kept since."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    built_at = models.DateTimeField("重建时间")

    class Meta:
        verbose_name = "统计汇总年度"

    def __str__(self):
        return str(self.year)


class MemberRollup(models.Model):
    """Counts of the members kept directly at one org, as on 31 December of ``year`` (one column per
    indicator of ``ROLLUP_KEYS``), and their members.total on 31 December of each of the ``EARLIER``
    years before (``earlier_total_1`` …); orgs with no such member in any of those years have no row."""

    org = derived_org_key()
    year = models.PositiveSmallIntegerField("年度")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党员统计汇总"
        constraints = [models.UniqueConstraint(fields=["year", "org"], name="reports_rollup_year_org")]

    def __str__(self):
        return f"{self.org_id} {self.year}"


for _key in ROLLUP_KEYS:
    MemberRollup.add_to_class(column(_key), models.IntegerField(default=0))
for _back in range(1, EARLIER + 1):
    MemberRollup.add_to_class(earlier_column(_back), models.IntegerField(default=0))


class SubtreeRollup(models.Model):
    """Counts of the members kept anywhere in one org's subtree (the org and all orgs below it), as on
    31 December of ``year``: the sum of the ``MemberRollup`` rows of the subtree. ``path`` and ``depth``
    copy the org's (kept by the org-move hook) so the children of an org are one index range."""

    org = derived_org_key()
    year = models.PositiveSmallIntegerField("年度")
    path = models.CharField("党组织路径", max_length=255)
    depth = models.PositiveSmallIntegerField("层级")

    class QuerySet(ScopedQuerySet):
        org_path_lookup = "path"

    objects = QuerySet.as_manager()

    class Meta:
        verbose_name = "党员统计子树汇总"
        constraints = [models.UniqueConstraint(fields=["year", "org"], name="reports_subtree_year_org")]
        indexes = [models.Index(fields=["year", "depth", "path"], name="reports_subtree_year_depth")]

    def __str__(self):
        return f"{self.path} {self.year}"


for _key in ROLLUP_KEYS:
    SubtreeRollup.add_to_class(column(_key), models.IntegerField(default=0))
for _back in range(1, EARLIER + 1):
    SubtreeRollup.add_to_class(earlier_column(_back), models.IntegerField(default=0))


# The org indicators kept per subtree: every org stock of the year-end tables and the dashboard.
ORG_KEYS = (
    "orgs.total",
    *(f"orgs.kind.{kind.value}" for kind in OrgKind),
    *(f"orgs.sector.{sector.value}" for sector in Sector),
)


def org_column(key: str) -> str:
    """orgs.kind.branch → kind_branch: the roll-up column holding an org indicator."""
    return key.removeprefix("orgs.").replace(".", "_")


class OrgSubtreeRollup(models.Model):
    """Counts of the orgs existing in one org's subtree (the org itself included) on 31 December of
    ``year``, one column per indicator of ``ORG_KEYS``; kept by the org services' change and move hooks.
    An org's own (direct) count needs no table: it is the org's own row of ``orgs_org``."""

    org = derived_org_key()
    year = models.PositiveSmallIntegerField("年度")
    path = models.CharField("党组织路径", max_length=255)
    depth = models.PositiveSmallIntegerField("层级")

    class QuerySet(ScopedQuerySet):
        org_path_lookup = "path"

    objects = QuerySet.as_manager()

    class Meta:
        verbose_name = "党组织统计子树汇总"
        constraints = [models.UniqueConstraint(fields=["year", "org"], name="reports_orgsubtree_year_org")]
        indexes = [models.Index(fields=["year", "depth", "path"], name="reports_orgsubtree_year_depth")]

    def __str__(self):
        return f"{self.path} {self.year}"


for _key in ORG_KEYS:
    OrgSubtreeRollup.add_to_class(org_column(_key), models.IntegerField(default=0))
