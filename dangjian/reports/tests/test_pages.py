"""The statistics tables and their export, the records behind a figure, the indicator list, the dashboard."""

import io
import json
import re

import pytest
from python_calamine import CalamineWorkbook

from dangjian.reports.tests.conftest import YEAR_2025

pytestmark = pytest.mark.django_db
YEAR = {"from": "2025-01-01", "to": "2025-12-31"}


def sheets_of(response) -> dict[str, list[list]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_it_shows_the_tables_broken_down_by_direct_subordinates(population, tree, login, dept_admin, client):
    login(dept_admin)
    response = client.get("/reports/", {"org": tree["city"].pk, **YEAR})
    assert response.status_code == 200
    page = response.content.decode()
    for title in (
        "党员基本情况",
        "党员年龄结构",
        "党员学历",
        "党员职业",
        "党员入党时间",
        "党组织(按类别)",
        "党员增减",
    ):
        assert title in page
    section = page.split('id="table-age"')[1].split("</section>")[0]
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\"[^>]*>(.*?)</th>(.*?)</tr>", section, re.S)
    cells = {re.sub(r"<[^>]+>", "", label).strip(): re.findall(r">(\d+)</a>", body) for label, body in rows}
    assert cells["合计"] == ["7", "2", "2", "0", "0", "0", "1", "0", "2"]
    assert cells["甲县委"] == ["6", "2", "2", "0", "0", "0", "1", "0", "1"]
    assert cells["乙县委"] == ["1", "0", "0", "0", "0", "0", "0", "0", "1"]
    assert cells["测试市委(本级)"] == ["0"] * 9
    # Each figure links to its records with the same org and dates.
    assert (
        f"/reports/indicators/members.age.0/?org={tree['county_a'].pk}&amp;from=2025-01-01&amp;to=2025-12-31"
        in section
    )


def test_it_shows_only_the_total_row_when_asked(population, tree, login, dept_admin, client):
    login(dept_admin)
    page = client.get(
        "/reports/", {"org": tree["city"].pk, "rows": "total", "table": "age", **YEAR}
    ).content.decode()
    assert "甲县委</a>" not in page and "合计" in page


def test_it_exports_the_tables_to_excel_with_title_headers_and_totals(
    population, tree, login, dept_admin, client
):
    login(dept_admin)
    response = client.get("/reports/export/", {"org": tree["city"].pk, **YEAR})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheets = sheets_of(response)
    age = sheets["党员年龄结构"]
    assert age[0][0] == "测试市委党员年龄结构(2025年12月31日)"
    assert age[2][:3] == ["单位", "党员总数(人)", "30岁及以下(人)"]
    assert age[3][:3] == ["合计", 7, 2]
    assert [row[0] for row in age[4:]] == ["甲县委", "乙县委", "测试市委(本级)"]
    flows = sheets["党员增减"]
    assert "2025年01月01日至2025年12月31日" in flows[0][0]


def test_it_lists_the_records_behind_a_figure_and_exports_them(population, tree, login, dept_admin, client):
    login(dept_admin)
    response = client.get("/reports/indicators/members.age.0/", {"org": tree["city"].pk, **YEAR})
    assert response.status_code == 200
    page = response.content.decode()
    assert "30岁及以下:2 人" in page
    assert "张年末" in page and "李年初" in page and "赵三十一" not in page
    export = client.get(
        "/reports/indicators/members.age.0/", {"org": tree["city"].pk, "format": "xlsx", **YEAR}
    )
    rows = next(iter(sheets_of(export).values()))
    assert rows[0][0] == "姓名"
    assert sorted(row[0] for row in rows[1:]) == sorted(["张年末", "李年初"])


def test_it_lists_the_own_records_of_an_org(population, tree, login, dept_admin, client):
    login(dept_admin)
    page = client.get(
        "/reports/indicators/members.total/", {"org": tree["town_a"].pk, "direct": "1", **YEAR}
    ).content.decode()
    assert "王预备" in page and "张年末" not in page


def test_it_lists_the_indicators_with_their_definitions(tree, login, secretary, client):
    login(secretary)
    page = client.get("/reports/indicators/").content.decode()
    assert "少数民族党员" in page and "members.ethnicity.minority" in page
    assert "统计分析" in page  # the menu section


def test_it_draws_the_dashboard_with_a_link_behind_every_figure(population, tree, login, dept_admin, client):
    login(dept_admin)
    response = client.get("/reports/dashboard/", {"org": tree["city"].pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "vendor/echarts-6.1.0/echarts.min.js" in page
    data = json.loads(
        re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page, re.S)[1]
    )
    headline = {item["key"]: item for item in data["headline"]}
    assert headline["members.total"]["value"] == 7
    assert data["charts"]["sex"]["values"] == [5, 2]
    assert all(
        link.startswith("/reports/indicators/")
        for chart in data["charts"].values()
        for link in chart["links"]
    )
    assert data["trend"]["years"][-1] == "2026"
    assert data["trend"]["admitted"][-2] == 1  # 2025


def test_the_outsider_gets_nothing_of_another_subtree(population, tree, login, outsider, client):
    login(outsider)
    for url in (
        "/reports/",
        "/reports/export/",
        "/reports/indicators/",
        "/reports/indicators/members.total/",
        "/reports/dashboard/",
    ):
        assert client.get(url, {"org": tree["county_a"].pk}).status_code == 404, url
    page = client.get("/reports/", YEAR).content.decode()
    assert "甲县委" not in page and "甲村党支部" not in page


def test_system_roles_and_strangers_see_no_statistics(tree, login, sysadmin, stranger, client):
    for user in (sysadmin, stranger):
        login(user)
        assert client.get("/reports/").status_code == 403


def test_year_2025_is_the_period_of_the_fixture():
    assert YEAR_2025.start.isoformat() == YEAR["from"]
