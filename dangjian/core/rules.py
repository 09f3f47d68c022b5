"""The rules framework: each regulation is a small function returning findings.

A finding carries its level, the rule's id, a Chinese message and the source
(article of the regulation), so the page can show why, and the to-do list can be
built from the same functions (DESIGN.md, idea 4).
"""

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    BLOCK = "block"
    WARN = "warn"
    REMIND = "remind"

    @property
    def label(self) -> str:
        return {"block": "禁止", "warn": "警示", "remind": "提醒"}[self.value]


@dataclass(frozen=True)
class Finding:
    level: Level
    rule_id: str
    message: str
    source: str

    @property
    def blocks(self) -> bool:
        return self.level == Level.BLOCK


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocks]
