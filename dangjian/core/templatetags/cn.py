"""Dates and numbers the way Chinese reports write them."""

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def cn_date(value) -> str:
    """2026年3月5日; empty for no date."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


@register.filter
def cn_number(value) -> str:
    """Thousands separated by commas: 12,345; decimals kept as given."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    return f"{int(value):,}"


@register.filter
def wan(value) -> str:
    """Large counts in 万 as reports print them: 12.35万; below ten thousand unchanged."""
    if value is None or value == "":
        return ""
    number = Decimal(value)
    if abs(number) < 10000:
        return cn_number(int(number)) if number == number.to_integral_value() else f"{number:,.2f}"
    return f"{(number / 10000).quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".") + "万"


@register.simple_tag(takes_context=True)
def query_without(context, *names) -> str:
    """The current query string without the given parameters (for pagination and filter links)."""
    params = context["request"].GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()
