"""The audit log page: read-only, for audit administrators only.

The same filters as ``GET /api/v1/audit``, except that the org is typed by its code (what people
know) rather than its id. Nothing here writes: the page answers GET only.
"""

import json
from datetime import datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.accounts.roles import Role
from dangjian.accounts.views import system_role_required
from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Org

PER_PAGE = 25
VIA_LABELS = {"page": "页面", "api": "接口", "import": "导入", "command": "命令"}


class AuditFilterForm(StyledFormMixin, forms.Form):
    user = forms.CharField(label="操作人", required=False, help_text="用户名")
    org = forms.CharField(label="党组织编码", required=False, help_text="含全部下级")
    object_type = forms.CharField(label="对象类型", required=False, help_text="如 orgs.org")
    object_id = forms.CharField(label="对象编号", required=False)
    action = forms.CharField(label="操作", required=False, help_text="如 org.update")
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput)
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput, help_text="含当天")

    def clean_org(self):
        code = self.cleaned_data["org"].strip()
        if not code:
            return ""
        # The auditor holds no party scope: the org is looked up for its path only, and the log
        # itself already names every org's path. Dissolved orgs count too: their history is logged.
        path = Org.objects.filter(code=code).values_list("path", flat=True).first()
        if path is None:
            raise forms.ValidationError(f"组织编码“{code}”不存在。")
        return path

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "截止日期不能早于起始日期。")
        return data


def start_of(day) -> datetime:
    """Midnight of a day in local time: dates on the page are the auditor's calendar days."""
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_entries(filters: dict):
    entries = AuditEntry.objects.order_by("-seq")
    exact = {
        "actor_name": filters.get("user", "").strip(),
        "object_type": filters.get("object_type", "").strip(),
        "object_id": filters.get("object_id", "").strip(),
        "action": filters.get("action", "").strip(),
    }
    entries = entries.filter(**{field: value for field, value in exact.items() if value})
    if filters.get("org"):
        entries = entries.filter(org_path__startswith=filters["org"])
    if filters.get("date_from"):
        entries = entries.filter(occurred_at__gte=start_of(filters["date_from"]))
    if filters.get("date_to"):
        entries = entries.filter(occurred_at__lt=start_of(filters["date_to"] + timedelta(days=1)))
    return entries


def pretty(data) -> str:
    # Masked values are stored masked; this only lays out what the log holds.
    return "" if data is None else json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def annotate_page(entries) -> None:
    """Add what the table shows beyond the stored fields: org codes (one query) and readable JSON."""
    org_ids = {entry.org_id_at_time for entry in entries if entry.org_id_at_time}
    codes = dict(Org.objects.filter(pk__in=org_ids).values_list("pk", "code")) if org_ids else {}
    for entry in entries:
        entry.org_code = codes.get(entry.org_id_at_time, "")
        entry.via_label = VIA_LABELS.get(entry.via, entry.via)
        entry.before_json = pretty(entry.before)
        entry.after_json = pretty(entry.after)


@system_role_required(Role.AUDIT_ADMIN)
@require_GET
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        entries = AuditEntry.objects.none()  # a wrong filter shows nothing rather than everything
    else:
        entries = filtered_entries(form.cleaned_data if form.is_bound else {})
    page_obj = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    page_obj.object_list = list(page_obj.object_list)
    annotate_page(page_obj.object_list)
    return render(request, "core/audit_list.html", {"form": form, "page_obj": page_obj})
