"""The 2008 rate table as data: inclusive upper bounds, the rate on the whole base, fixed amounts, rounding."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from dangjian.dues import rules, services

D = Decimal


@pytest.fixture
def bands(db):
    return services.standard_for(date(2026, 11, 1)).bands


@pytest.mark.parametrize(
    "base, rate, amount",
    [
        ("0.00", "0.50", "0.00"),
        ("3000.00", "0.50", "15.00"),
        ("3000.01", "1.00", "30.00"),
        ("5000.00", "1.00", "50.00"),
        ("5000.01", "1.50", "75.00"),
        ("10000.00", "1.50", "150.00"),
        ("10000.01", "2.00", "200.00"),
        ("2999.99", "0.50", "15.00"),  # 14.99995 rounds half up
        ("2345.67", "0.50", "11.73"),  # 11.72835
        ("2345.00", "0.50", "11.73"),  # 11.725 exactly: half up, not to even
    ],
)
def test_it_applies_the_in_service_band_with_inclusive_upper_bounds(bands, base, rate, amount):
    charge = rules.dues_amount(bands, "in_service", base=D(base))
    assert charge.rate == D(rate)
    assert charge.amount == D(amount)


@pytest.mark.parametrize("member_type", ["annual_salary", "self_employed"])
def test_it_rates_annual_salaries_and_the_self_employed_like_in_service_members(bands, member_type):
    assert rules.dues_amount(bands, member_type, base=D("5000.01")).amount == D("75.00")


@pytest.mark.parametrize("base, amount", [("5000.00", "25.00"), ("5000.01", "50.00"), ("800.00", "4.00")])
def test_it_rates_retirees_on_their_pension(bands, base, amount):
    assert rules.dues_amount(bands, "retired", base=D(base)).amount == D(amount)


def test_farmers_pay_a_chosen_amount_between_two_jiao_and_one_yuan(bands):
    assert rules.dues_amount(bands, "farmer", fixed_amount=D("0.50")).amount == D("0.50")
    assert rules.dues_amount(bands, "farmer").amount == D("0.20")
    with pytest.raises(ValueError):
        rules.dues_amount(bands, "farmer", fixed_amount=D("1.01"))
    with pytest.raises(ValueError):
        rules.dues_amount(bands, "farmer", fixed_amount=D("0.19"))


def test_students_and_the_unemployed_pay_two_jiao(bands):
    assert rules.dues_amount(bands, "low_income").amount == D("0.20")
    with pytest.raises(ValueError):
        rules.dues_amount(bands, "low_income", fixed_amount=D("0.50"))


def test_relief_reduces_or_exempts(bands):
    assert rules.dues_amount(bands, "in_service", base=D("4000"), relief="exempt").amount == D("0.00")
    reduced = rules.dues_amount(bands, "in_service", base=D("4000"), relief="reduced", reduced_amount=D("10"))
    assert reduced.amount == D("10.00")
    with pytest.raises(ValueError):  # a reduction may not raise the amount
        rules.dues_amount(bands, "in_service", base=D("4000"), relief="reduced", reduced_amount=D("40.01"))


def test_it_refuses_floats(bands):
    with pytest.raises(TypeError):
        rules.dues_amount(bands, "in_service", base=3000.01)
    with pytest.raises(TypeError):
        rules.round_money(0.1)


@override_settings(DUES_ROUNDING_QUANTUM="0.1")
def test_rounding_is_a_setting(bands):
    assert rules.dues_amount(bands, "in_service", base=D("2345.00")).amount == D("11.70")


def test_a_later_standard_applies_from_its_date_only(db):
    from dangjian.dues.models import DuesStandard, RateBand

    new = DuesStandard.objects.create(
        name="新规定", document="测试〔2030〕1号", effective_from=date(2030, 1, 1)
    )
    RateBand.objects.create(
        standard=new, member_type="in_service", upper_bound=None, rate=D("1.00"), source="x"
    )
    assert services.standard_for(date(2029, 12, 1)).standard.document == "中组发〔2008〕3号"
    assert services.standard_for(date(2030, 1, 1)).standard == new
    assert services.standard_for(date(2008, 4, 1)).standard.document == "中组发〔2008〕3号"
    with pytest.raises(services.ServiceError):
        services.standard_for(date(2008, 3, 1))


STANDARD_BANDS = [
    rules.Band("in_service", D("3000.00"), D("0.50")),
    rules.Band("in_service", D("5000.00"), D("1.00")),
    rules.Band("in_service", D("10000.00"), D("1.50")),
    rules.Band("in_service", None, D("2.00")),
    rules.Band("retired", D("5000.00"), D("0.50")),
    rules.Band("retired", None, D("1.00")),
]


@given(
    base=st.decimals(
        min_value=0, max_value=D("99999999.99"), places=2, allow_nan=False, allow_infinity=False
    ),
    member_type=st.sampled_from(["in_service", "retired"]),
)
def test_a_bill_is_never_negative_and_always_an_exact_decimal(base, member_type):
    charge = rules.dues_amount(STANDARD_BANDS, member_type, base=base)
    assert isinstance(charge.amount, Decimal)
    assert charge.amount >= 0
    assert charge.amount == charge.amount.quantize(D("0.01"))
    assert abs(charge.amount - base * charge.rate / 100) <= D("0.005")


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_a_float_base_is_always_refused(value):
    with pytest.raises(TypeError):
        rules.dues_amount(STANDARD_BANDS, "in_service", base=value)


NOV = date(2026, 11, 1)


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({}, True),
        ({"category": "candidate"}, False),
        ({"status": "suspended"}, False),
        ({"org_kind": "temporary_branch"}, False),
        ({"category": "probationary", "joined_on": date(2026, 11, 30)}, True),
        ({"category": "probationary", "joined_on": date(2026, 12, 1)}, False),
        ({"on_roll": False, "left_on": date(2026, 11, 1)}, True),
        ({"on_roll": False, "left_on": date(2026, 10, 31)}, False),
        ({"on_roll": False, "left_on": None}, False),
    ],
)
def test_who_owes_dues_for_a_month(fields, expected):
    member = {
        "category": "full",
        "status": "normal",
        "joined_on": date(2000, 1, 1),
        "left_on": None,
        "on_roll": True,
        "org_kind": "branch",
    }
    assert rules.billable(**(member | fields), month=NOV) is expected
