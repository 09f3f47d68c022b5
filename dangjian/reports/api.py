"""The indicators through the API: the registry, one figure with its drill-down links, the records behind it.

Every figure is computed for the caller's scope only (an org outside it answers 404), with the same
registry functions as the statistics tables and the dashboard.
"""

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from dangjian.core.api import Page, PageParams, paginate
from dangjian.members.api import PartyBearer
from dangjian.reports import queries, registry
from dangjian.reports.registry import Indicator

router = Router(tags=["统计分析"], auth=PartyBearer())


class IndicatorOut(Schema):
    key: str
    name: str = Field(description="指标名称")
    description: str = Field(description="统计口径:确切统计什么")
    unit: str
    source: str = Field(description="所统计的记录:members 党员、member_events 党员事项、orgs 党组织 …")
    group: str


class FigureParams(Schema):
    org: int | None = Field(None, description="党组织编号;默认为您权限范围内最高一级党组织")
    from_: date | None = Field(
        None, alias="from", description="期间开始(流量指标);默认为结束日期所在年的1月1日"
    )
    to: date | None = Field(None, description="期间结束,也是存量指标的统计时点;默认为今天")
    direct: bool = Field(False, description="只统计本级直接登记的记录,不含下级")


class FigureOut(Schema):
    key: str
    name: str
    unit: str
    description: str
    org_id: int
    org_name: str
    from_: date = Field(alias="from")
    to: date
    direct: bool
    value: int | Decimal = Field(description="数值;金额类指标为 Decimal(以字符串表示)")
    records: str = Field(description="这一数字背后记录的 API 地址")
    page: str = Field(description="这一数字背后记录的页面地址(可导出 Excel)")


class RecordOut(Schema):
    id: int
    name: str
    org_id: int
    org_name: str
    url: str = Field(description="记录详情页面")


def indicator_out(indicator: Indicator) -> dict:
    return {
        "key": indicator.key,
        "name": indicator.name,
        "description": indicator.description,
        "unit": indicator.unit,
        "source": indicator.source.key,
        "group": indicator.group,
    }


def _indicator(key: str) -> Indicator:
    indicator = registry.get(key)
    if indicator is None:
        raise Http404(f"没有指标“{key}”。")
    return indicator


def _resolve(request, params: FigureParams):
    org = queries.org_in_scope(request.auth, params.org) if params.org else queries.top_org(request.auth)
    return org, queries.period_from(params.from_, params.to)


def figure_query(org, period, direct: bool) -> str:
    query = {"org": org.pk, "from": period.start.isoformat(), "to": period.end.isoformat()}
    if direct:
        query["direct"] = "true"
    return urlencode(query)


@router.get("/indicators", response=list[IndicatorOut], summary="指标清单")
def indicator_list(request):
    return [indicator_out(indicator) for indicator in registry.all_indicators()]


@router.get("/indicators/{key}", response=FigureOut, summary="一个指标的数值及其记录链接", by_alias=True)
def indicator_value(request, key: str, params: Query[FigureParams]):
    indicator = _indicator(key)
    org, period = _resolve(request, params)
    value = indicator.value(request.auth, org, period, params.direct)
    query = figure_query(org, period, params.direct)
    return {
        "key": indicator.key,
        "name": indicator.name,
        "unit": indicator.unit,
        "description": indicator.description,
        "org_id": org.pk,
        "org_name": org.name,
        "from": period.start,
        "to": period.end,
        "direct": params.direct,
        "value": value,
        "records": request.build_absolute_uri(reverse("api:indicator_records", args=[key]) + "?" + query),
        "page": request.build_absolute_uri(reverse("reports:records", args=[key]) + "?" + query),
    }


@router.get(
    "/indicators/{key}/records",
    response=Page[RecordOut],
    summary="指标数值背后的记录",
    url_name="indicator_records",
)
def indicator_records(request, key: str, params: Query[FigureParams], page: Query[PageParams]):
    indicator = _indicator(key)
    org, period = _resolve(request, params)
    source = indicator.source
    result = paginate(request, indicator.records(request.auth, org, period, params.direct), page)
    result["items"] = [
        {
            "id": record.pk,
            "name": str(source.columns[0][1](record)),
            "org_id": source.org_of(record).pk,
            "org_name": source.org_of(record).name,
            "url": request.build_absolute_uri(source.detail_url(record)),
        }
        for record in result["items"]
    ]
    return result
