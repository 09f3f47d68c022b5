"""The filters of the statistics pages: the period (from, to) and, for tables, which tables and a breakdown."""

from datetime import date

from django import forms
from django.utils import timezone

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.reports.registry import Period


class PeriodForm(StyledFormMixin, forms.Form):
    date_from = forms.DateField(label="期间开始", required=False, widget=DateInput())
    date_to = forms.DateField(label="统计时点(期间结束)", required=False, widget=DateInput())

    def add_prefix(self, field_name):
        # The query string says from= and to=, as the API does.
        return {"date_from": "from", "date_to": "to"}.get(field_name, field_name)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_from", "期间开始日期晚于统计时点。")
        return data

    def period(self, default_end: date | None = None) -> Period:
        """The period asked for; by default the year of ``default_end`` (today) up to that day."""
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("date_to") or default_end or timezone.localdate()
        return Period(data.get("date_from") or date(end.year, 1, 1), end)


class TableForm(PeriodForm):
    rows = forms.ChoiceField(
        label="行",
        required=False,
        choices=[("children", "按直属下级分列"), ("total", "只看合计")],
    )

    def breakdown(self) -> bool:
        return (self.cleaned_data.get("rows") if self.is_valid() else "") != "total"
