import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dangjian.core.audit import verify_chain
from dangjian.core.models import AuditEntry


def test_it_chains_every_entry_and_verifies(tree, capsys):
    assert AuditEntry.objects.count() == 6
    call_command("verify_audit")
    assert "OK: 6 条审计日志" in capsys.readouterr().out


def test_editing_an_entry_in_the_database_breaks_the_chain(tree):
    third = AuditEntry.objects.get(seq=3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET actor_name = %s WHERE id = %s", ["someone", third.pk])
    assert verify_chain().seq == 3
    with pytest.raises(CommandError, match="第 3 条"):
        call_command("verify_audit")


def test_deleting_an_entry_breaks_the_chain(tree):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = 2")
    assert verify_chain().seq == 2


def test_deleting_the_last_entry_breaks_the_chain(tree):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = 6")
    assert verify_chain().seq == 6


def test_a_rehearsal_appends_nothing_and_takes_no_lock(tree, system_actor):
    from django.db import transaction

    from dangjian.core import audit
    from dangjian.core.models import AuditChainHead

    head_before = AuditChainHead.objects.get(pk=1).last_seq
    with transaction.atomic():
        with audit.rehearsal():
            assert audit.record(system_actor, "org.update", tree["city"], org=tree["city"]) is None
        # Outside the rehearsal the chain grows again.
        assert audit.record(system_actor, "org.update", tree["city"], org=tree["city"]) is not None
    assert AuditChainHead.objects.get(pk=1).last_seq == head_before + 1
