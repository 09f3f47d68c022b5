"""The pages: list, record, detail with attendance, compliance, study hours, figures, calendar, classes."""

from datetime import date

import pytest

from dangjian.activities import services
from dangjian.activities.models import Activity, Attendance, TrainingClass


@pytest.fixture
def meeting(frozen_today, tree, branch_members, system_actor):
    return services.record_activity(
        system_actor,
        org=tree["branch_a"],
        kind="general_meeting",
        held_on=date(2025, 10, 10),
        topic="学习全会精神",
        agenda=[{"title": "传达学习重要讲话", "first_topic": True}],
    )


def test_it_records_an_activity_through_the_form(frozen_today, tree, branch_members, secretary, login):
    client = login(secretary)
    response = client.post(
        f"/activities/new/?org={tree['branch_a'].pk}",
        {
            "host_org": tree["branch_a"].pk,
            "kind": "general_meeting",
            "status": "held",
            "held_on": "2025-10-12",
            "starts_at": "09:00",
            "ends_at": "11:00",
            "topic": "第四季度党员大会",
            "first_topic": "学习重要讲话精神",
            "agenda": "讨论发展对象\n其他事项",
        },
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == f"/activities/{activity.pk}/"
    assert [a.first_topic for a in activity.agenda.all()] == [True, False, False]
    assert activity.attendance.count() == len(branch_members)
    page = client.get(response.url).content.decode()
    assert "第一议题" in page and "应到 <strong>5</strong> 人" in page


def test_a_refused_date_shows_on_the_form(frozen_today, tree, secretary, login):
    response = login(secretary).post(
        "/activities/new/",
        {
            "host_org": tree["branch_a"].pk,
            "kind": "theme_day",
            "status": "held",
            "held_on": "2025-08-01",
            "topic": "补录",
        },
    )
    assert response.status_code == 200
    assert "须由上级党组织解锁后补录" in response.content.decode()
    assert not Activity.objects.exists()


def test_the_secretary_marks_attendance(meeting, branch_members, secretary, login):
    client = login(secretary)
    data = {f"status-{m.pk}": "present" for m in branch_members[:3]}
    data[f"status-{branch_members[3].pk}"] = "on_leave"
    data[f"reason-{branch_members[3].pk}"] = "生病住院"
    client.post(f"/activities/{meeting.pk}/attendance/", data)
    assert Attendance.objects.filter(activity=meeting, status="present").count() == 3
    meeting.refresh_from_db()
    assert meeting.quorum is True  # 3 of 4 voting members
    page = client.get(f"/activities/{meeting.pk}/").content.decode()
    assert "到会人数过半" in page and "生病住院" in page


def test_a_member_sees_but_may_not_change(meeting, member_user, login):
    client = login(member_user)
    assert client.get(f"/activities/{meeting.pk}/").status_code == 200
    assert client.get(f"/activities/{meeting.pk}/edit/").status_code == 404
    assert client.get(f"/activities/{meeting.pk}/qr.svg").status_code == 404


def test_the_list_shows_the_subtree(meeting, county_admin, login):
    page = login(county_admin).get("/activities/").content.decode()
    assert "学习全会精神" in page


def test_the_list_counts_each_rows_attendance_and_parties(
    meeting, tree, branch_members, system_actor, dept_admin, login
):
    services.mark_attendance(system_actor, meeting, {m.pk: "present" for m in branch_members[:3]})
    services.record_activity(
        system_actor,
        org=tree["branch_a"],
        kind="theme_day",
        held_on=date(2025, 10, 11),
        topic="联建主题党日",
        partners=[tree["town_a"]],
    )
    page = login(dept_admin).get("/activities/").content.decode()
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in page.split("<tr>")[2:]}
    expected_present = '<td class="text-end">{}</td>\n      <td class="text-end">{}</td>'
    assert expected_present.format(5, 3) in rows["学习全会精神"] and "联合开展" not in rows["学习全会精神"]
    assert expected_present.format(5, 0) in rows["联建主题党日"] and "联合开展" in rows["联建主题党日"]


def test_the_list_query_count_does_not_grow(
    frozen_today, tree, branch_members, system_actor, county_admin, login, django_assert_max_num_queries
):
    for day in range(1, 6):
        services.record_activity(
            system_actor,
            org=tree["branch_a"],
            kind="theme_day",
            held_on=date(2025, 10, day),
            topic=f"主题党日{day}",
        )
    client = login(county_admin)
    with django_assert_max_num_queries(14):
        assert client.get("/activities/").status_code == 200


def test_the_edit_form_saves(meeting, secretary, login):
    client = login(secretary)
    assert client.get(f"/activities/{meeting.pk}/edit/").status_code == 200
    response = client.post(
        f"/activities/{meeting.pk}/edit/",
        {
            "kind": "general_meeting",
            "status": "held",
            "held_on": "2025-10-10",
            "topic": "改后的主题",
            "minutes": "记录",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.minutes) == ("改后的主题", "记录")


def test_the_compliance_page_counts_colours_and_lists_them(meeting, county_admin, login):
    client = login(county_admin)
    amber = client.get("/activities/compliance/?year=2025&quarter=4&colour=amber").content.decode()
    assert "甲村党支部" in amber and "2025年10月未开展主题党日" in amber and "未召开支部党员大会" not in amber
    red = client.get("/activities/compliance/?year=2025&quarter=3&colour=red").content.decode()
    assert "甲村党支部" in red and "2025年第3季度未召开支部党员大会" in red
    green = client.get("/activities/compliance/?year=2025&quarter=3&colour=green").content.decode()
    assert "甲村党支部" not in green


def test_the_org_compliance_page_and_the_reminder(meeting, tree, secretary, login):
    page = (
        login(secretary)
        .get(f"/activities/compliance/{tree['branch_a'].pk}/?year=2025&quarter=4")
        .content.decode()
    )
    assert "尚未计划" in page and "主题党日" in page
    assert "2025年第3季度" in page  # history


def test_study_hours_page_lists_members_below(meeting, branch_members, county_admin, login):
    page = login(county_admin).get("/activities/study-hours/?year=2025&below=1").content.decode()
    assert "未达到年度学时要求:<strong>5</strong> 人" in page


def test_figures_link_to_the_list_behind(meeting, county_admin, login):
    page = (
        login(county_admin)
        .get("/activities/figures/?date_from=2025-01-01&date_to=2025-12-31")
        .content.decode()
    )
    assert "支部党员大会" in page and "kind=general_meeting&status=held" in page


def test_calendar_shows_plans(frozen_today, tree, secretary, actor_for, login):
    services.record_activity(
        actor_for(secretary),
        org=tree["branch_a"],
        kind="theme_day",
        held_on=date(2025, 11, 5),
        topic="11月主题党日",
        status="planned",
    )
    page = login(secretary).get("/activities/calendar/?month=2025-11").content.decode()
    assert "11月主题党日" in page and "计划" in page


def test_training_class_page(frozen_today, tree, branch_members, secretary, login):
    client = login(secretary)
    response = client.post(
        f"/activities/training/new/?org={tree['branch_a'].pk}",
        {
            "host_org": tree["branch_a"].pk,
            "title": "村党组织书记能力提升培训班",
            "session": 2,
            "started_on": "2025-10-08",
            "ended_on": "2025-10-10",
            "hours": "24",
            "trainees": [branch_members[0].pk, branch_members[1].pk],
            "other_trainees": "外单位学员",
        },
    )
    training = TrainingClass.objects.get()
    assert response.status_code == 302
    assert training.trainees.count() == 3
    assert "外单位学员" in client.get(f"/activities/training/{training.pk}/").content.decode()


def test_the_rules_page_shows_sources(tree, secretary, login):
    page = login(secretary).get("/activities/rules/").content.decode()
    assert "支部党员大会" in page and "《中国共产党支部工作条例(试行)》" in page


def test_the_compliance_page_lists_what_is_not_planned(meeting, secretary, login):
    page = login(secretary).get("/activities/compliance/?year=2025&quarter=4&unplanned=1").content.decode()
    assert "尚未计划 <strong>1</strong>" in page and "2025年11月主题党日" in page
