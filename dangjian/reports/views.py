"""Statistics pages: the year-end tables with their Excel export, the indicator list, the records behind
any figure (with export), and the dashboard (数据大屏).

Every figure comes from the registry (``registry.compute`` and friends) for the user's scope; the org
comes from ``?org=`` (in scope, else 404) or the current org; the period from ``?from=&to=``.
"""

import io
from datetime import date
from urllib.parse import quote

import xlsxwriter
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from dangjian.core.exporting import XLSX_TYPE, Sheet, display_width, xlsx_response
from dangjian.core.templatetags.cn import cn_number
from dangjian.orgs.models import Org
from dangjian.reports import dashboard, queries, registry, tables
from dangjian.reports.forms import PeriodForm, TableForm
from dangjian.reports.registry import Period

PAGE_SIZE = 50


def org_of(request) -> Org:
    """The subtree a page shows: ?org=<id> in scope, else the current org."""
    queries.require_party_role(request.user)
    org_id = request.GET.get("org")
    if org_id:
        return queries.org_in_scope(request.user, org_id)
    org = request.get_current_org()
    if org is None:
        raise Http404("没有可查看的党组织。")
    return org


def year_end(today: date) -> date:
    return date(today.year, 12, 31)


# --- statistics tables ----------------------------------------------------------------------------------


def _tables(request):
    org = org_of(request)
    form = TableForm(request.GET or None)
    period = form.period(year_end(timezone.localdate()))
    chosen = request.GET.get("table")
    specs = tables.table_specs()
    if chosen:
        specs = [spec for spec in specs if spec.key == chosen] or specs
    built = tables.build(request.user, org, period, specs, breakdown=form.breakdown())
    return org, form, period, built


@require_GET
def table_page(request):
    org, form, period, built = _tables(request)
    # Each row's figure cells are rendered here, not cell by cell in the template: eleven tables hold
    # ~2,000 linked figures, and the template engine (or format_html's escaping per argument) cost as
    # much as computing the tables. Escaped once: the records URLs and each row's query; the figures
    # are digits and commas from cn_number.
    urls = {
        key: escape(reverse("reports:records", args=[key]))
        for spec in tables.table_specs()
        for key in spec.keys
    }
    query_of = {}
    for table in built:
        for row in table.rows:
            which = (row.org.pk, row.direct)
            if which not in query_of:
                query_of[which] = escape(f"?{registry.records_query(row.org, period, row.direct)}")
            query = query_of[which]
            row.cells_html = mark_safe(
                "".join(
                    f'<td class="text-end"><a href="{urls[key]}{query}">{cn_number(value)}</a></td>'
                    for key, value in zip(table.spec.keys, row.values, strict=True)
                )
            )
    return render(
        request,
        "reports/tables.html",
        {
            "org": org,
            "form": form,
            "period": period,
            "tables": built,
            "all_specs": tables.table_specs(),
            "export_query": request.GET.urlencode(),
        },
    )


def _title(org: Org, period: Period, spec) -> str:
    if spec.flow:
        when = f"{period.start:%Y年%m月%d日}至{period.end:%Y年%m月%d日}"
    else:
        when = f"{period.end:%Y年%m月%d日}"
    return f"{org.name}{spec.title}({when})"


@require_GET
def table_export(request):
    """The tables as an Excel workbook: one sheet per table with a title, formatted headers and totals."""
    org, form, period, built = _tables(request)
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    title_format = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    note_format = book.add_format({"font_color": "#666666"})
    header_format = book.add_format(
        {
            "bold": True,
            "bg_color": "#F2F2F2",
            "border": 1,
            "text_wrap": True,
            "align": "center",
            "valign": "vcenter",
        }
    )
    cell_format = book.add_format({"border": 1, "num_format": "#,##0"})
    share_format = book.add_format({"border": 1, "num_format": "0.0"})
    total_format = book.add_format({"border": 1, "bold": True, "num_format": "#,##0", "bg_color": "#FFF5E6"})
    label_format = book.add_format({"border": 1})
    total_label_format = book.add_format({"border": 1, "bold": True, "bg_color": "#FFF5E6"})
    for table in built:
        sheet = book.add_worksheet(table.spec.title[:31])
        headers = ["单位"] + [f"{ind.name}({ind.unit})" for ind in table.indicators]
        headers += [f"{label}(%)" for label, _, _ in table.spec.shares]
        sheet.merge_range(0, 0, 0, len(headers) - 1, _title(org, period, table.spec), title_format)
        sheet.set_row(0, 28)
        sheet.write_string(1, 0, "按组织关系所在党组织统计;组织关系在途的党员计入转出党组织。", note_format)
        sheet.set_row(2, 36)
        for col, header in enumerate(headers):
            sheet.write_string(2, col, header, header_format)
            width = max(display_width(row.label) for row in table.rows) + 2 if col == 0 else 12
            sheet.set_column(col, col, min(max(width, 10), 40))
        for offset, row in enumerate(table.rows):
            line = 3 + offset
            is_total = offset == 0
            sheet.write_string(line, 0, row.label, total_label_format if is_total else label_format)
            for col, value in enumerate(row.values, start=1):
                sheet.write_number(line, col, value, total_format if is_total else cell_format)
            for col, value in enumerate(row.shares, start=1 + len(row.values)):
                if value is None:
                    sheet.write_blank(line, col, None, label_format)
                else:
                    sheet.write_number(line, col, value, share_format)
        sheet.freeze_panes(3, 1)
    book.close()
    response = HttpResponse(output.getvalue(), content_type=XLSX_TYPE)
    filename = f"{org.name}党内统计_{period.end.isoformat()}.xlsx"
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(filename)
    return response


# --- the indicators and the records behind a figure ------------------------------------------------------


@require_GET
def indicator_list(request):
    org = org_of(request)
    grouped: dict[str, list] = {}
    for indicator in registry.all_indicators():
        grouped.setdefault(indicator.source.name, []).append(indicator)
    return render(request, "reports/indicators.html", {"org": org, "grouped": grouped})


@require_GET
def records(request, key):
    indicator = registry.get(key)
    if indicator is None:
        raise Http404("没有该指标。")
    org = org_of(request)
    form = PeriodForm(request.GET or None)
    period = form.period()
    direct = request.GET.get("direct") in ("1", "true")
    rows = indicator.records(request.user, org, period, direct)
    columns = indicator.source.columns
    if request.GET.get("format") == "xlsx":
        sheet = Sheet(
            name=indicator.name,
            headers=[header for header, _ in columns],
            rows=([get(record) for _, get in columns] for record in rows.iterator(chunk_size=2000)),
        )
        return xlsx_response(f"{org.name}_{indicator.name}_{period.end.isoformat()}.xlsx", [sheet])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    lines = [
        (indicator.source.detail_url(record), [get(record) for _, get in columns])
        for record in page.object_list
    ]
    return render(
        request,
        "reports/records.html",
        {
            "indicator": indicator,
            "org": org,
            "form": form,
            "period": period,
            "direct": direct,
            "headers": [header for header, _ in columns],
            "lines": lines,
            "page_obj": page,
            "value": indicator.value(request.user, org, period, direct),
            "query": registry.records_query(org, period, direct),
            "keep": [("direct", "1")] if direct else [],
        },
    )


# --- the dashboard --------------------------------------------------------------------------------------


@require_GET
def dashboard_page(request):
    org = org_of(request)
    today = timezone.localdate()
    data = dashboard.build(
        request.user, org, today, records_url=lambda key: reverse("reports:records", args=[key])
    )
    for found in data["panels"]:
        if found.get("later"):
            found["later_url"] = reverse("reports:dashboard_panel", args=[found["key"]]) + f"?org={org.pk}"
    return render(request, "reports/dashboard.html", {"org": org, "today": today, "data": data})


def dashboard_panel(request, key: str):
    """A dashboard panel's figures by themselves: fetched by the dashboard after it has been shown, for a
    subtree whose panel takes longer to count than the page should wait."""
    org = org_of(request)
    found = dashboard.panel(key, request.user, org, timezone.localdate())
    if found is None:
        raise Http404("没有这一统计。")
    return JsonResponse(found)
