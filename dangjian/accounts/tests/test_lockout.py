from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from conftest import PASSWORD
from dangjian.accounts.services import check_login
from dangjian.core.models import AuditEntry

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(480))


def fail(username, times):
    return [check_login(username, "wrong-password").message for _ in range(times)]


def test_it_locks_after_five_failures_for_fifteen_minutes(secretary):
    with time_machine.travel(START, tick=False):
        messages = fail("secretary", 5)
        assert messages[:4] == ["用户名或密码错误。"] * 4
        assert "账号已锁定15分钟" in messages[4]
        assert check_login("secretary", PASSWORD).user is None
    with time_machine.travel(START + timedelta(minutes=14, seconds=59), tick=False):
        assert "已锁定" in check_login("secretary", PASSWORD).message
    with time_machine.travel(START + timedelta(minutes=15), tick=False):
        assert check_login("secretary", PASSWORD).user == secretary
    assert AuditEntry.objects.filter(action="user.locked", object_id=str(secretary.pk)).count() == 1


def test_four_failures_do_not_lock_and_success_resets_the_count(secretary):
    fail("secretary", 4)
    assert check_login("secretary", PASSWORD).user == secretary
    fail("secretary", 4)
    assert check_login("secretary", PASSWORD).user == secretary


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(secretary):
    assert check_login("nobody", "x").message == check_login("secretary", "x").message


def test_a_disabled_user_cannot_log_in(secretary):
    secretary.is_active = False
    secretary.save()
    assert check_login("secretary", PASSWORD).user is None
