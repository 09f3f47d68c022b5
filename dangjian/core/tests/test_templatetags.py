from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dangjian.core.templatetags.cn import cn_date, cn_number, wan


def test_dates_are_written_the_chinese_way():
    assert cn_date(date(2026, 3, 5)) == "2026年3月5日"
    assert cn_date(None) == ""
    utc = datetime(2026, 3, 5, 16, 30, tzinfo=ZoneInfo("UTC"))
    assert cn_date(utc) == "2026年3月6日 00:30"  # shown in Beijing time


def test_numbers_get_thousands_separators():
    assert cn_number(1234567) == "1,234,567"
    assert cn_number(Decimal("1234.5")) == "1,234.50"
    assert cn_number(None) == ""


def test_wan_starts_at_ten_thousand():
    assert wan(9999) == "9,999"
    assert wan(10000) == "1万"
    assert wan(123456) == "12.35万"
    assert wan(Decimal("10500")) == "1.05万"
