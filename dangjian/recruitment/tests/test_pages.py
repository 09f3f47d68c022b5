"""The pages: a secretary runs a case from the member record to the dossier; refusals show the rule."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from dangjian.recruitment.models import Recruitment, Step

pytestmark = pytest.mark.django_db


def test_a_secretary_opens_a_case_and_records_steps(login, secretary, people, frozen_today):
    client = login(secretary)
    applicant = people(category="applicant", name="王申请")
    page = client.get(f"/members/{applicant.pk}/")
    assert "开始发展党员纪实" in page.content.decode()
    response = client.post(
        f"/recruitment/open/{applicant.pk}/",
        {
            "applied_on": "2023-01-05",
            "done_by": "王申请",
            "attachment": SimpleUploadedFile("申请书.pdf", b"%PDF-1"),
        },
    )
    case = Recruitment.objects.get(member=applicant)
    assert response.status_code == 302 and response.url == f"/recruitment/{case.pk}/"
    response = client.post(
        f"/recruitment/{case.pk}/step/", {"occurred_on": "2023-01-20", "done_by": "李书记"}
    )
    assert response.status_code == 302
    attachment = Step.objects.get(recruitment=case, number=1)
    download = client.get(f"/recruitment/steps/{attachment.pk}/attachment/")
    assert b"".join(download.streaming_content) == b"%PDF-1"
    detail = client.get(f"/recruitment/{case.pk}/").content.decode()
    assert "递交入党申请书" in detail and "2023年1月20日" in detail and "登记第3步" in detail
    assert "材料归档" in detail  # all 25 steps are on the timeline


def test_a_refused_step_shows_the_missing_date(login, secretary, walk, frozen_today):
    case = walk(6)
    response = login(secretary).post(f"/recruitment/{case.pk}/step/", {"occurred_on": "2024-03-09"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "最早于2024年3月10日确定为发展对象" in body and "第十三条" in body


def test_the_vote_form_stores_a_failing_resolution_on_the_timeline(login, secretary, walk, frozen_today):
    case = walk(14)
    response = login(secretary).post(
        f"/recruitment/{case.pk}/step/",
        {"occurred_on": "2024-05-10", "should_attend": 10, "present": 6, "yes": 5, "no": 1, "abstain": 0},
        follow=True,
    )
    body = response.content.decode()
    assert "赞成5票,未超过应到会有表决权党员10人的半数" in body
    assert "表决未通过(赞成票未超过应到会有表决权党员的半数)" in body
    assert "failed-vote" in body and "2024年5月10日" in body
    case.refresh_from_db()
    assert case.last_step == 14


def test_the_vote_form_still_refuses_impossible_counts(login, secretary, walk, frozen_today):
    case = walk(14)
    response = login(secretary).post(
        f"/recruitment/{case.pk}/step/",
        {"occurred_on": "2024-05-10", "should_attend": 5, "present": 6, "yes": 5, "no": 1, "abstain": 0},
    )
    assert response.status_code == 200
    assert "实到6人,多于应到5人" in response.content.decode()


def test_the_sponsor_form_lists_full_members(login, secretary, walk, sponsors, frozen_today):
    case = walk(8)
    client = login(secretary)
    form = client.get(f"/recruitment/{case.pk}/step/").content.decode()
    assert "介绍人甲" in form and "入党介绍人" in form
    response = client.post(
        f"/recruitment/{case.pk}/step/", {"occurred_on": "2024-03-20", "people": [s.pk for s in sponsors]}
    )
    assert response.status_code == 302


def test_lists_todo_plans_audit_and_rule_sets(login, dept_admin, walk, tree, frozen_today):
    case = walk(25)
    client = login(dept_admin)
    assert "申请人" in client.get(f"/recruitment/?within={tree['city'].pk}&status=all").content.decode()
    assert client.get(f"/recruitment/todo/?within={tree['city'].pk}").status_code == 200
    plans = client.get(f"/recruitment/plans/?within={tree['city'].pk}&year=2024").content.decode()
    admitted = (
        f"/reports/indicators/flows.admitted/?org={tree['city'].pk}&amp;from=2024-01-01&amp;to=2024-12-31"
    )
    assert f'共发展党员<a href="{admitted}">1</a>名' in plans
    audit = client.get(f"/recruitment/audit/?within={tree['city'].pk}&year=2024&all=1").content.decode()
    assert "2024年共接收预备党员1名" in audit
    rule_sets = client.get("/recruitment/rule-sets/").content.decode()
    assert "recruitment.activist_one_year" in rule_sets and "未启用" in rule_sets
    client.post(
        "/recruitment/rule-sets/switch/", {"key": "2026", "active": "on", "effective_from": "2026-01-01"}
    )
    assert "已启用" in client.get("/recruitment/rule-sets/").content.decode()
    dossier = client.get(f"/recruitment/{case.pk}/dossier.docx")
    text = "\n".join(
        cell.text
        for table in Document(io.BytesIO(b"".join(dossier.streaming_content))).tables
        for row in table.rows
        for cell in row.cells
    )
    assert "确定入党介绍人" in text and "应到9人,实到7人" in text


def test_a_plan_is_set_by_the_upper_org(login, county_admin, tree, walk, frozen_today):
    walk(15)
    client = login(county_admin)
    response = client.post(
        "/recruitment/plans/set/", {"org_code": tree["town_a"].code, "year": 2024, "quota": 2}
    )
    assert response.status_code == 302
    page = client.get(f"/recruitment/plans/?within={tree['county_a'].pk}&year=2024").content.decode()
    assert ">1</a>名,占2024年度发展党员计划(2名)的50.0%" in page
    # The county may not set its own quota: that is the city's.
    response = client.post(
        "/recruitment/plans/set/", {"org_code": tree["county_a"].code, "year": 2024, "quota": 5}
    )
    assert "没有" in response.content.decode()


def test_the_outsider_gets_404(login, outsider, walk, frozen_today):
    case = walk(3)
    client = login(outsider)
    for url in (
        f"/recruitment/{case.pk}/",
        f"/recruitment/{case.pk}/step/",
        f"/recruitment/{case.pk}/dossier.docx",
    ):
        assert client.get(url).status_code == 404
    assert client.get(f"/recruitment/open/{case.member.pk}/").status_code == 404


def test_lists_do_not_grow_queries_with_cases(login, dept_admin, walk, tree, frozen_today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(dept_admin)
    urls = [
        f"/recruitment/?within={tree['city'].pk}",
        f"/recruitment/todo/?within={tree['city'].pk}",
        f"/recruitment/audit/?within={tree['city'].pk}&year=2024&all=1",
    ]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    walk(17, name="甲")
    first = counts()
    walk(17, name="乙")
    walk(17, name="丙")
    assert counts() == first
