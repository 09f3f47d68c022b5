"""manage.py import_file: a dry run that lists row errors, and the one-step import of the valid rows."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangjian.core.models import AuditEntry, ImportBatch
from dangjian.members.models import Member

from .test_import import EXPECTED_ERRORS, ROWS, xlsx


@pytest.fixture
def workbook(tmp_path):
    def write(rows=ROWS):
        path = tmp_path / "党员.xlsx"
        path.write_bytes(xlsx(rows))
        return str(path)

    return write


def run(*args) -> str:
    out = StringIO()
    call_command("import_file", *args, stdout=out)
    return out.getvalue()


def test_the_dry_run_lists_the_errors_and_saves_nothing(tree, workbook, frozen_today):
    with pytest.raises(CommandError, match="本次只是预检,未导入任何数据"):
        run("members", workbook())
    assert not Member.objects.exists() and not ImportBatch.objects.exists()


def test_commit_as_a_user_imports_within_the_users_scope(tree, county_admin, workbook, frozen_today):
    output = run("members", workbook(), "--commit", "--user", county_admin.username)
    batch = ImportBatch.objects.get()
    # Row 8's number is not on record here; row 6 (乙社区) is outside the county admin's scope.
    assert batch.created_by == county_admin and batch.imported_rows == 4
    assert "已导入 4 条党员记录" in output and "行 6,列“所在党组织编码”" in output
    assert len(batch.errors) == len(EXPECTED_ERRORS) - 1
    assert AuditEntry.objects.filter(object_id=str(batch.pk), action="import.commit").exists()


def test_unknown_kind_user_or_file_get_a_chinese_message(tree, workbook):
    with pytest.raises(CommandError, match="导入类型“nothing”不存在"):
        run("nothing", workbook())
    with pytest.raises(CommandError, match="账号“nobody”不存在"):
        run("members", workbook(), "--commit", "--user", "nobody")
    with pytest.raises(CommandError, match="无法读取文件"):
        run("members", "/nonexistent/党员.xlsx")
