"""The dues rules of 《关于中国共产党党费收缴、使用和管理的规定》(中组发〔2008〕3号) as pure functions.

Amounts are computed with ``Decimal`` only: a float reaching ``dues_amount`` is refused, so a rounding
error can never slip into a bill. The rate table itself is data (``DuesStandard`` / ``RateBand``); these
functions take its bands as plain values.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from dangjian.core.rules import Finding, Level

SOURCE = "《关于中国共产党党费收缴、使用和管理的规定》(中组发〔2008〕3号)"
SOURCE_CHARTER_9 = "《中国共产党章程》第九条;中组发〔2008〕3号 第十三条"

BACK_PAYMENT_MONTHS = 6  # 第十二条: back payments generally cover at most 6 months
VOLUNTARY_REMIT_IN_FULL = Decimal("1000")  # 第十一条
ARREARS_WARN_MONTHS = 3
ARREARS_FLAG_MONTHS = 6


def rounding() -> tuple[Decimal, str]:
    """The quantum and rounding mode of amounts: settings DUES_ROUNDING_QUANTUM / DUES_ROUNDING_MODE
    (default 0.01 yuan, half up — RULES.md §2, a local setting)."""
    quantum = Decimal(str(getattr(settings, "DUES_ROUNDING_QUANTUM", "0.01")))
    mode = getattr(settings, "DUES_ROUNDING_MODE", ROUND_HALF_UP)
    return quantum, mode


def round_money(value: Decimal) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError("党费金额必须用 Decimal 计算。")
    quantum, mode = rounding()
    return value.quantize(quantum, rounding=mode).quantize(Decimal("0.01"))


# --- months ---------------------------------------------------------------------------------------------


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months from ``first`` to ``last`` (same month → 0)."""
    return (last.year - first.year) * 12 + last.month - first.month


def month_range(first: date, last: date) -> list[date]:
    return [
        add_months(month_of(first), i) for i in range(months_between(month_of(first), month_of(last)) + 1)
    ]


def parse_month(text: str) -> date:
    """'2026-11' → 2026-11-01; a ValueError with a Chinese message otherwise."""
    try:
        year, month = str(text).strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValueError(f"月份“{text}”格式不正确,应为 YYYY-MM。") from None


# --- rates ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    member_type: str
    upper_bound: Decimal | None
    rate: Decimal | None
    fixed_min: Decimal | None = None
    fixed_max: Decimal | None = None


@dataclass(frozen=True)
class Charge:
    amount: Decimal
    rate: Decimal | None


def rate_for(bands: Iterable[Band], member_type: str, base: Decimal) -> Decimal:
    """The percent rate of the band whose inclusive upper bound first covers ``base`` (第二、五条)."""
    return RateTable(bands).rate(member_type, base)


class RateTable:
    """A standard's bands grouped by member type and sorted by upper bound, to price many bases quickly."""

    def __init__(self, bands: Iterable[Band]):
        self.rated: dict[str, list[Band]] = {}
        self.fixed: dict[str, tuple[Decimal, Decimal]] = {}
        for band in bands:
            if band.fixed_min is not None:
                high = band.fixed_max if band.fixed_max is not None else band.fixed_min
                self.fixed[band.member_type] = (band.fixed_min, high)
            elif band.rate is not None:
                self.rated.setdefault(band.member_type, []).append(band)
        for rated in self.rated.values():
            rated.sort(key=lambda b: (b.upper_bound is None, b.upper_bound or 0))

    def rate(self, member_type: str, base: Decimal) -> Decimal:
        for band in self.rated.get(member_type, ()):
            if band.upper_bound is None or base <= band.upper_bound:
                return band.rate
        raise ValueError(f"党费标准中没有适用于“{member_type}”、基数 {base} 元的比例。")

    def charge(
        self,
        member_type: str,
        *,
        base: Decimal | None = None,
        fixed_amount: Decimal | None = None,
        relief: str = "none",
        reduced_amount: Decimal | None = None,
    ) -> Charge:
        for value in (base, fixed_amount, reduced_amount):
            if value is not None and not isinstance(value, Decimal):
                raise TypeError("党费金额必须用 Decimal 计算。")
        if relief == "exempt":
            return Charge(Decimal("0.00"), None)
        fixed = self.fixed.get(member_type)
        if fixed is not None:
            low, high = fixed
            amount = fixed_amount if fixed_amount is not None else low
            if not low <= amount <= high:
                raise ValueError(f"每月交纳额应在 {low} 至 {high} 元之间。")
            charge = Charge(round_money(amount), None)
        else:
            if base is None or base < 0:
                raise ValueError("交纳基数不能为空或负数。")
            rate = self.rate(member_type, base)
            charge = Charge(round_money(base * rate / HUNDRED), rate)
        if relief == "reduced":
            if reduced_amount is None or reduced_amount < 0 or reduced_amount > charge.amount:
                raise ValueError("少交后的金额应在 0 与按标准应交的金额之间。")
            return Charge(round_money(reduced_amount), charge.rate)
        return charge


HUNDRED = Decimal(100)


def fixed_range(bands: Iterable[Band], member_type: str) -> tuple[Decimal, Decimal] | None:
    return RateTable(bands).fixed.get(member_type)


def dues_amount(
    bands: Iterable[Band],
    member_type: str,
    *,
    base: Decimal | None = None,
    fixed_amount: Decimal | None = None,
    relief: str = "none",
    reduced_amount: Decimal | None = None,
) -> Charge:
    """The monthly dues: the rate on the whole base, or the fixed amount; then any approved relief (第七条).

    Never negative; every input must already be a ``Decimal`` (a float raises TypeError).
    """
    table = bands if isinstance(bands, RateTable) else RateTable(bands)
    return table.charge(
        member_type, base=base, fixed_amount=fixed_amount, relief=relief, reduced_amount=reduced_amount
    )


# --- who is billed --------------------------------------------------------------------------------------


def billable(
    *,
    category: str,
    status: str,
    joined_on: date | None,
    left_on: date | None,
    on_roll: bool,
    org_kind: str,
    month: date,
) -> bool:
    """Whether a member owes dues for ``month`` (the pure form of ``services.billing_candidates``).

    Party members only; probationary from the month of admission (第八条); not after the exit month; not
    while membership is suspended; never in a temporary branch (临时党支部不收缴党费).
    """
    from dangjian.orgs.rules import temporary_branch_restriction

    if category not in ("probationary", "full") or status == "suspended":
        return False
    if temporary_branch_restriction(org_kind, "dues"):
        return False
    if joined_on is not None and month_of(joined_on) > month:
        return False
    return on_roll or (left_on is not None and month_of(left_on) >= month)


# --- payments -------------------------------------------------------------------------------------------


def back_payment_findings(oldest_month: date, paid_on: date, note: str) -> list[Finding]:
    """Back payments generally cover at most 6 months; more needs a written reason (第十二条)."""
    months = months_between(oldest_month, month_of(paid_on))
    if months <= BACK_PAYMENT_MONTHS:
        return []
    if note.strip():
        return [
            Finding(
                Level.WARN,
                "dues.back_payment_long",
                f"补交{months}个月前的党费,超过一般{BACK_PAYMENT_MONTHS}个月的期限,已按说明登记。",
                SOURCE + " 第十二条",
            )
        ]
    return [
        Finding(
            Level.BLOCK,
            "dues.back_payment_limit",
            f"补交的最早月份距交纳月已有{months}个月,超过{BACK_PAYMENT_MONTHS}个月,请在说明中写明原因。",
            SOURCE + " 第十二条",
        )
    ]


def remit_in_full(voluntary_amount: Decimal) -> bool:
    """A single voluntary payment of 1000 yuan or more is remitted whole (第十一条)."""
    return voluntary_amount >= VOLUNTARY_REMIT_IN_FULL


# --- arrears --------------------------------------------------------------------------------------------


def arrears_findings(consecutive_months: int) -> list[Finding]:
    """Warn at 3 consecutive unpaid months; at 6 flag for the branch's decision. Never removes anyone."""
    if consecutive_months >= ARREARS_FLAG_MONTHS:
        return [
            Finding(
                Level.WARN,
                "dues.arrears_6",
                f"已连续{consecutive_months}个月未交纳党费,请支部了解原因并依党章第九条研究处理"
                "(系统不会自动作出任何处理)。",
                SOURCE_CHARTER_9,
            )
        ]
    if consecutive_months >= ARREARS_WARN_MONTHS:
        return [
            Finding(
                Level.WARN,
                "dues.arrears_3",
                f"已连续{consecutive_months}个月未交纳党费,请及时提醒。",
                SOURCE + " 第十三条",
            )
        ]
    return []
