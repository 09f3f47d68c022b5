"""Rules of member records (RULES.md §1, §5, §6, §7) as findings with their sources.

The ID number rules (GB 11643-1999) normalize the input first: full-width digits and ``Ｘ``, a lower-case
``x`` and stray spaces are what people type or paste. An area code missing from today's code list is
not an error (areas are renamed and merged; old numbers stay valid).
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from dangjian.core.rules import Finding, Level

SOURCE_ID = "GB 11643-1999《公民身份号码》"
SOURCE_RECRUITMENT = "《中国共产党发展党员工作细则》"
SOURCE_CONSTITUTION = "《中国共产党章程》第七条"
SOURCE_RECORDS = "《关于中国共产党党员组织关系接转的规定》;《中国共产党党员权利保障条例》"
SOURCE_SUSPENSION = "中组部《关于对与党组织失去联系的党员进行处置的意见》"
SOURCE_STATISTICS = "党内统计年报口径(RULES.md §6)"

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
MIN_APPLICANT_AGE = 18


# --- resident ID numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdNumber:
    """A checked 18-character ID number and what it says about its holder."""

    value: str
    birth_date: date
    sex: str  # "male" or "female"
    from_15_digits: bool = False


def normalize_id_number(raw) -> str:
    """ASCII digits and upper-case X: NFKC folds full-width characters, spaces and dashes are dropped."""
    if type(raw) is str and raw.isascii() and raw.isalnum():
        return raw.upper()  # already plain: the common case of an import, NFKC would change nothing
    text = unicodedata.normalize("NFKC", str(raw or ""))
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").upper()


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def _block(rule_id: str, message: str) -> Finding:
    return Finding(Level.BLOCK, rule_id, message, SOURCE_ID)


def _birth_date(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def parse_id_number(raw, today: date | None = None) -> tuple[IdNumber | None, list[Finding]]:
    """The checked number (None when it is refused) and the findings: blocks, or a warning for 15 digits."""
    value = normalize_id_number(raw)
    findings: list[Finding] = []
    if not value:
        return None, [_block("member.id_required", "公民身份号码不能为空。")]
    from_15 = len(value) == 15
    if from_15:
        if not value.isdigit():
            return None, [_block("member.id_format", "15位公民身份号码应全部为数字。")]
        # Old numbers were issued to people born in the 1900s: the century is always 19.
        first17 = value[:6] + "19" + value[6:]
        value = first17 + check_character(first17)
        findings.append(
            Finding(
                Level.WARN,
                "member.id_15_digits",
                "15位公民身份号码已按国家标准升位为18位(补“19”和校验码),请核对。",
                SOURCE_ID,
            )
        )
    if len(value) != 18:
        return None, [_block("member.id_length", f"公民身份号码应为18位(现为{len(value)}位)。")]
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return None, [_block("member.id_format", "公民身份号码前17位应为数字,最后一位为数字或X。")]
    birth = _birth_date(value[6:14])
    if birth is None or birth.year < 1880:
        return None, [_block("member.id_birth_date", "公民身份号码中的出生日期不存在。")]
    if today is not None and birth > today:
        return None, [_block("member.id_birth_future", "公民身份号码中的出生日期晚于今天。")]
    expected = check_character(value[:17])
    if value[17] != expected:
        return None, [_block("member.id_check", "公民身份号码校验位不正确,请核对号码。")]
    sex = "male" if int(value[16]) % 2 else "female"
    return IdNumber(value, birth, sex, from_15), findings


def id_agreement_findings(number: IdNumber, birth_date: date | None, sex: str | None) -> list[Finding]:
    """The record's birth date and sex must be those the number encodes."""
    findings = []
    if birth_date is not None and birth_date != number.birth_date:
        findings.append(
            _block(
                "member.id_birth_mismatch",
                f"出生日期与公民身份号码不符(号码中为 {number.birth_date.isoformat()})。",
            )
        )
    if sex and sex != number.sex:
        label = "男" if number.sex == "male" else "女"
        findings.append(_block("member.id_sex_mismatch", f"性别与公民身份号码不符(号码中为{label})。"))
    return findings


# --- ages and dates ------------------------------------------------------------------------------------


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when that month is shorter."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    return date(year, month + 1, min(day.day, 28))


def applicant_age_findings(birth_date: date, applied_on: date) -> list[Finding]:
    """An applicant is at least 18 on the day of the application (细则第五条)."""
    if age_on(birth_date, applied_on) < MIN_APPLICANT_AGE:
        return [
            Finding(
                Level.BLOCK,
                "member.applicant_under_18",
                "申请入党时未满18周岁。",
                f"{SOURCE_RECRUITMENT}第五条",
            )
        ]
    return []


def probation_end(joined_on: date, extended_months: int = 0) -> date:
    """The day probation ends: one year after admission, plus any extension (党章第七条)."""
    return add_months(joined_on, 12 + extended_months)


def conversion_findings(
    joined_on: date | None, converted_on: date | None, extended_months: int = 0
) -> list[Finding]:
    """Conversion comes after admission, and not before the probation (with its extension) has run."""
    if converted_on is None:
        return []
    if joined_on is None:
        return [
            Finding(
                Level.BLOCK,
                "member.converted_without_joined",
                "有转正日期的必须有入党日期。",
                SOURCE_CONSTITUTION,
            )
        ]
    if converted_on < joined_on:
        return [
            Finding(
                Level.BLOCK, "member.converted_before_joined", "转正日期早于入党日期。", SOURCE_CONSTITUTION
            )
        ]
    end = probation_end(joined_on, extended_months)
    if converted_on < end:
        return [
            Finding(
                Level.BLOCK,
                "member.converted_before_probation_end",
                f"预备期未满:预备期至 {end.isoformat()},转正日期不能早于该日。",
                SOURCE_CONSTITUTION,
            )
        ]
    return []


def extension_findings(months: int, already_extended: int) -> list[Finding]:
    """Probation may be extended once, by at least 6 months and at most a year (党章第七条)."""
    if already_extended:
        return [Finding(Level.BLOCK, "member.extension_once", "预备期只能延长一次。", SOURCE_CONSTITUTION)]
    if not 6 <= months <= 12:
        return [
            Finding(
                Level.BLOCK,
                "member.extension_length",
                "延长预备期不能少于半年,最长不超过一年。",
                SOURCE_CONSTITUTION,
            )
        ]
    return []


def not_in_future(day: date | None, today: date, label: str) -> list[Finding]:
    if day is not None and day > today:
        return [Finding(Level.BLOCK, "member.date_in_future", f"{label}不能晚于今天。", SOURCE_RECORDS)]
    return []


# --- age bands of the statistics ------------------------------------------------------------------------

# (label, lowest age, highest age) on 31 December of the statistics year (RULES.md §6).
AGE_BANDS = (
    ("30岁及以下", 0, 30),
    ("31-35岁", 31, 35),
    ("36-40岁", 36, 40),
    ("41-45岁", 41, 45),
    ("46-50岁", 46, 50),
    ("51-55岁", 51, 55),
    ("56-60岁", 56, 60),
    ("61岁及以上", 61, 200),
)


def birth_range_for_band(band: int, year: int) -> tuple[date, date]:
    """Birth dates (inclusive) of those whose age on 31 December of ``year`` falls in the band."""
    _, low, high = AGE_BANDS[band]
    # On 31 December everyone born in year B is exactly year - B years old.
    earliest = date(year - high, 1, 1) if high < 200 else date(1800, 1, 1)
    return earliest, date(year - low, 12, 31)


# --- reminders ------------------------------------------------------------------------------------------

MOBILE_TRANSFER_MONTHS = 6
LOST_CONTACT_REVIEW_MONTHS = 6
CONVERSION_NOTICE_DAYS = 30
TRANSFER_EXPIRY_NOTICE_DAYS = 14


def mobile_transfer_reminder(started_on: date, fixed_place: bool, today: date) -> Finding | None:
    """Away ≥ 6 months at a fixed place: the relationship should be transferred there (RULES.md §5)."""
    if fixed_place and add_months(started_on, MOBILE_TRANSFER_MONTHS) <= today:
        return Finding(
            Level.REMIND,
            "member.mobile_should_transfer",
            f"外出已满{MOBILE_TRANSFER_MONTHS}个月且有固定地点,应转接组织关系。",
            "《关于中国共产党党员组织关系接转的规定》",
        )
    return None


def lost_contact_reminder(since: date, today: date) -> Finding | None:
    """Out of contact ≥ 6 months and untraceable: the branch reviews 停止党籍 (RULES.md §5)."""
    if add_months(since, LOST_CONTACT_REVIEW_MONTHS) <= today:
        return Finding(
            Level.REMIND,
            "member.lost_contact_review",
            f"失去联系已满{LOST_CONTACT_REVIEW_MONTHS}个月,请研究是否停止党籍。",
            SOURCE_SUSPENSION,
        )
    return None


def conversion_reminder(joined_on: date, extended_months: int, today: date) -> Finding | None:
    """Conversion is discussed promptly when probation ends: remind a month before (RULES.md §1)."""
    end = probation_end(joined_on, extended_months)
    if end - timedelta(days=CONVERSION_NOTICE_DAYS) <= today:
        return Finding(
            Level.REMIND,
            "member.conversion_due",
            f"预备期将于 {end.isoformat()} 届满,请及时讨论转正。",
            SOURCE_CONSTITUTION,
        )
    return None


def transfer_expiry_reminder(expires_on: date | None, today: date) -> Finding | None:
    if expires_on is None:
        return None
    if expires_on < today:
        return Finding(
            Level.WARN,
            "member.transfer_expired",
            f"介绍信已于 {expires_on.isoformat()} 过期。",
            SOURCE_RECORDS,
        )
    if expires_on - timedelta(days=TRANSFER_EXPIRY_NOTICE_DAYS) <= today:
        return Finding(
            Level.REMIND,
            "member.transfer_expiring",
            f"介绍信将于 {expires_on.isoformat()} 到期。",
            SOURCE_RECORDS,
        )
    return None
