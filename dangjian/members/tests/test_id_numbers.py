"""Resident ID numbers (RULES.md §7): normalization, check character, 15 digits, agreement with the record."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core.rules import Level
from dangjian.members.rules import (
    check_character,
    id_agreement_findings,
    normalize_id_number,
    parse_id_number,
)

from .conftest import id_number

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    "raw, value, birth, sex",
    [
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31), "female"),
        ("440524188001010014", "440524188001010014", date(1880, 1, 1), "male"),
        ("11010519491231002x", "11010519491231002X", date(1949, 12, 31), "female"),  # lower-case x
        (
            "１１０１０５１９４９１２３１００２Ｘ",
            "11010519491231002X",
            date(1949, 12, 31),
            "female",
        ),  # full-width
        (" 110105 19491231 002X ", "11010519491231002X", date(1949, 12, 31), "female"),  # spaces
        ("999999200002290011", None, date(2000, 2, 29), "male"),  # unknown area code: still valid
    ],
)
def test_it_accepts_valid_numbers_and_normalizes_them(raw, value, birth, sex):
    if value is None:
        value = "99999920000229001" + check_character("99999920000229001")
        raw = value
    number, findings = parse_id_number(raw, TODAY)
    assert number is not None and findings == []
    assert (number.value, number.birth_date, number.sex) == (value, birth, sex)


@pytest.mark.parametrize(
    "raw, rule",
    [
        ("", "member.id_required"),
        ("110105194912310021", "member.id_check"),  # wrong check character
        ("11010519491231002", "member.id_length"),
        ("1101051949123100211", "member.id_length"),
        ("11010519491331002X", "member.id_birth_date"),  # month 13
        ("11010519490230002X", "member.id_birth_date"),  # 30 February
        ("1101051949123100AX", "member.id_format"),
        ("11010519491231002Y", "member.id_format"),
        ("11010549491231002X", "member.id_birth_date"),  # year 4949: invalid or future
        ("11010519491231A", "member.id_format"),  # 15 characters, not all digits
    ],
)
def test_it_blocks_invalid_numbers(raw, rule):
    number, findings = parse_id_number(raw, TODAY)
    assert number is None
    assert [(f.level, f.rule_id) for f in findings] in (
        [(Level.BLOCK, rule)],
        [(Level.BLOCK, "member.id_birth_future")],
    )
    assert findings[0].source.startswith("GB 11643")


def test_it_blocks_a_birth_date_after_today():
    number, findings = parse_id_number(id_number(TODAY + timedelta(days=1)), TODAY)
    assert number is None and findings[0].rule_id == "member.id_birth_future"


def test_it_converts_15_digit_numbers_with_a_warning():
    number, findings = parse_id_number("110105491231002", TODAY)
    assert number.value == "11010519491231002X" and number.from_15_digits
    assert number.birth_date == date(1949, 12, 31) and number.sex == "female"
    assert [(f.level, f.rule_id) for f in findings] == [(Level.WARN, "member.id_15_digits")]
    # The warning is kept on the member's first event in clear text: it must not repeat the number.
    assert "110105" not in findings[0].message and "升位为18位" in findings[0].message


@pytest.mark.parametrize(
    "birth, sex, rules",
    [
        (None, None, []),
        (date(1949, 12, 31), "female", []),
        (date(1949, 12, 30), "female", ["member.id_birth_mismatch"]),
        (date(1949, 12, 31), "male", ["member.id_sex_mismatch"]),
        (date(1950, 1, 1), "male", ["member.id_birth_mismatch", "member.id_sex_mismatch"]),
    ],
)
def test_birth_date_and_sex_must_agree_with_the_number(birth, sex, rules):
    number, _ = parse_id_number("11010519491231002X", TODAY)
    findings = id_agreement_findings(number, birth, sex)
    assert [f.rule_id for f in findings] == rules
    assert all(f.level == Level.BLOCK for f in findings)


births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
areas = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)
sequences = st.integers(min_value=0, max_value=999)


@given(birth=births, area=areas, sequence=sequences)
def test_every_well_formed_number_is_accepted_with_its_birth_date_and_sex(birth, area, sequence):
    value = id_number(birth, sequence, area)
    number, findings = parse_id_number(value.lower(), TODAY)
    assert findings == [] and number.value == value
    assert number.birth_date == birth
    assert number.sex == ("male" if sequence % 2 else "female")


@given(birth=births, area=areas, sequence=sequences, wrong=st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(birth, area, sequence, wrong):
    value = id_number(birth, sequence, area)
    if wrong == value[-1]:
        return
    number, findings = parse_id_number(value[:-1] + wrong, TODAY)
    assert number is None and findings[0].rule_id == "member.id_check"


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), area=areas, sequence=sequences
)
def test_a_15_digit_number_becomes_the_18_digit_number_of_the_same_person(birth, area, sequence):
    full = id_number(birth, sequence, area)
    old = full[:6] + full[8:17]
    number, findings = parse_id_number(old, TODAY)
    assert number.value == full and findings[0].level == Level.WARN


@given(text=st.text(alphabet="0123456789Xx", min_size=18, max_size=18))
def test_full_width_input_is_read_as_its_ascii_form(text):
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in text)
    assert normalize_id_number(full_width) == text.upper()
    assert parse_id_number(full_width, TODAY)[0] == parse_id_number(text, TODAY)[0]
