"""Importing activities with attendance from a spreadsheet: preview, commit, undo."""

import io

import xlsxwriter

from dangjian.activities.importers import parse_leaves
from dangjian.activities.models import Activity
from dangjian.core import importing


def workbook(rows) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet()
    headers = ["党组织编码", "活动类型", "日期", "主题", "开始时间", "第一议题", "实到", "请假"]
    for col, header in enumerate(headers):
        sheet.write(0, col, header)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write(r, col, value)
    book.close()
    return out.getvalue()


def test_it_imports_activities_with_attendance(frozen_today, tree, branch_members, secretary, actor_for):
    actor = actor_for(secretary)
    content = workbook(
        [
            [
                "A2",
                "支部党员大会",
                "2025-10-09",
                "党员大会",
                "09:00",
                "学习讲话",
                "党员1、党员2、党员3",
                "党员4:外出务工",
            ],
            ["A2", "主题党日", "2025-08-01", "太早了", "", "", "", ""],
            ["B1", "主题党日", "2025-10-09", "别人的支部", "", "", "", ""],
            ["A2", "主题党日", "2025-10-09", "名单外", "", "", "不认识的人", ""],
        ]
    )
    importer = importing.get_importer("activities")
    batch = importing.preview(importer, actor, "活动.xlsx", content)
    errors = {e["row"]: e["message"] for e in batch.errors}
    assert set(errors) == {3, 4, 5}, errors
    assert "解锁" in errors[3] and "无权操作" in errors[4] and "不在应到名单中" in errors[5]
    assert not Activity.objects.exists()
    importing.commit(actor, batch)
    activity = Activity.objects.get()
    assert activity.quorum is True
    assert dict(activity.attendance.values_list("member__name", "status")) == {
        "党员1": "present",
        "党员2": "present",
        "党员3": "present",
        "党员4": "on_leave",
        "预备党员": "absent",
    }
    importing.undo(actor, batch)
    assert not Activity.objects.exists()


def test_leaves_need_reasons():
    assert parse_leaves("张三:外出、李四:生病") == {"张三": "外出", "李四": "生病"}
    try:
        parse_leaves("王五")
    except importing.ServiceError as error:
        assert "未写事由" in error.message
    else:
        raise AssertionError("a leave without reason was accepted")
