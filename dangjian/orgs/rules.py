"""Rules of the org tree (RULES.md §4), as findings with their sources.

This issue carries the structural rules the tree itself needs; committee, term and size
rules arrive with the organization module.
"""

from datetime import date

from dangjian.core.rules import Finding, Level
from dangjian.orgs.models import BRANCH_KINDS, OrgKind

SOURCE_BRANCH_WORK = "《中国共产党支部工作条例(试行)》第五条、第六条"
SOURCE_GRASSROOTS = "《中国共产党章程》第三十条;《中国共产党基层组织选举工作条例》"


def child_kind_findings(parent_kind: str, child_kind: str) -> list[Finding]:
    """A branch is the bottom of the tree: party groups live inside it, not child orgs."""
    findings = []
    if parent_kind in BRANCH_KINDS:
        findings.append(
            Finding(
                Level.BLOCK,
                "org.branch_has_no_child_orgs",
                f"{OrgKind(parent_kind).label}下不能再设立党组织(党小组在支部内部设立)。",
                SOURCE_BRANCH_WORK,
            )
        )
    if parent_kind == OrgKind.GENERAL_BRANCH and child_kind not in BRANCH_KINDS:
        findings.append(
            Finding(
                Level.BLOCK,
                "org.general_branch_children_are_branches",
                "党总支下只能设立党支部(含联合、临时党支部)。",
                SOURCE_BRANCH_WORK,
            )
        )
    return findings


def founded_on_findings(founded_on: date | None, today: date) -> list[Finding]:
    if founded_on and founded_on > today:
        return [Finding(Level.BLOCK, "org.founded_in_future", "成立日期不能晚于今天。", SOURCE_GRASSROOTS)]
    return []
