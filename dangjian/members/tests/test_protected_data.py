"""Protected personal data: sealed at rest, bound to its place, found by blind index, masked, unmasked with audit."""

import os
from datetime import date
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from dangjian.core.crypto import DecryptionError, key_id
from dangjian.core.errors import NotPermitted
from dangjian.core.models import AuditEntry
from dangjian.members import protected, services
from dangjian.members.models import Member

from .conftest import id_number

PHONE = "13912348765"
ADDRESS = "浙江省杭州市西湖区文三路九十九号"


def database_text() -> str:
    """Every row of every table as text: what a stolen dump or backup would show."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    if connection.vendor == "sqlite":
        parts.extend(connection.connection.iterdump())
    return "\n".join(parts)


def test_a_database_dump_shows_no_clear_id_number_phone_or_address(
    tree, make_member, system_actor, dept_admin, actor_for
):
    number = id_number(date(1975, 8, 9), 123)
    member = make_member(tree["branch_a"], id_number=number, phone=PHONE, address=ADDRESS)
    services.update_member(system_actor, member, phone="13700001111", address=ADDRESS + "二栋")
    services.reveal_member(actor_for(dept_admin), member)
    dump = database_text()
    assert "张三" in dump  # the dump did read the members table
    for secret in (number, number.lower(), PHONE, "13700001111", ADDRESS, ADDRESS[:10]):
        assert secret not in dump, f"{secret} is stored in clear"
    assert member.id_number_masked in dump and "4405**********1238"[:4] in dump


def test_sealed_values_open_only_in_their_own_row_and_column(tree, make_member):
    first = make_member(tree["branch_a"], phone=PHONE)
    second = make_member(tree["branch_a"], phone="13600000000")
    assert protected.reveal(first, "phone") == PHONE
    assert first.phone_enc.startswith(key_id(bytes.fromhex(settings.DATA_KEY)) + ":")
    with pytest.raises(DecryptionError):
        protected.open_sealed("phone", second.row_key, first.phone_enc)  # copied to another row
    with pytest.raises(DecryptionError):
        protected.open_sealed("address", first.row_key, first.phone_enc)  # copied to another column


def test_exact_search_by_id_number_uses_the_blind_index(tree, make_member):
    number = id_number(date(1970, 1, 2), 35)
    wanted = make_member(tree["branch_a"], name="李四", id_number=number)
    make_member(tree["branch_a"], name="王五")
    for typed in (
        number,
        number.lower(),
        "".join(chr(ord(c) + 0xFEE0) for c in number),
        number[:6] + number[8:17],
    ):
        assert list(services.find_by_id_number(Member.objects.all(), typed)) == [wanted]
    assert not services.find_by_id_number(Member.objects.all(), number[:-1]).exists()
    assert wanted.id_number_index != protected.id_index(number).upper()
    with override_settings(INDEX_KEY="00" * 32):
        # Another index key gives another index: the index is useless without the key.
        assert not services.find_by_id_number(Member.objects.all(), number).exists()


def test_masks_show_only_what_a_list_needs(tree, make_member):
    member = make_member(tree["branch_a"], id_number="440524188001010014", phone=PHONE, address=ADDRESS)
    assert member.id_number_masked == "4405**********0014"
    assert member.phone_masked == "139****8765"
    assert member.address_masked == "浙江省杭州市****"


def test_unmasking_needs_the_permission_and_is_audited(
    tree, make_member, dept_admin, county_admin, secretary, outsider, actor_for
):
    member = make_member(tree["branch_a"], phone=PHONE)
    for user in (secretary, outsider):
        with pytest.raises(NotPermitted):
            services.reveal_member(actor_for(user), member)
    assert not AuditEntry.objects.filter(action="member.unmask").exists()
    for user in (dept_admin, county_admin):
        values = services.reveal_member(actor_for(user), member, purpose="核对档案")
        assert values["phone"] == PHONE and values["id_number"].startswith("440524")
    entries = AuditEntry.objects.filter(action="member.unmask").order_by("seq")
    assert [e.actor_name for e in entries] == ["dept_admin", "county_admin"]
    assert entries[0].after == {"fields": ["id_number", "phone", "address"], "purpose": "核对档案"}
    assert entries[0].object_id == str(member.pk) and entries[0].org_path == tree["branch_a"].path


def test_the_audit_log_never_holds_protected_values(tree, make_member, system_actor):
    member = make_member(tree["branch_a"], phone=PHONE)
    services.update_member(system_actor, member, phone="13500000000")
    entry = AuditEntry.objects.get(action="member.update")
    assert entry.before["phone"] == entry.after["phone"] == "******"
    assert "13500000000" not in str(entry.after) and "13500000000" not in str(entry.before)


def test_key_rotation_re_encrypts_in_batches_and_keeps_every_value(tree, make_member):
    members = [make_member(tree["branch_a"], phone=f"1380000000{i}", address=f"地址{i}号") for i in range(5)]
    old_key = settings.DATA_KEY
    new_key = "11" * 16
    out = StringIO()
    with override_settings(DATA_KEY=new_key), mock.patch.dict(os.environ, {"DANGJIAN_OLD_DATA_KEYS": ""}):
        call_command("rotate_member_keys", batch_size=2, old_keys=old_key, stdout=out)
        assert "其中 5 名" in out.getvalue()
        new_id = key_id(bytes.fromhex(new_key))
        for i, member in enumerate(members):
            member.refresh_from_db()
            assert member.phone_enc.startswith(new_id + ":") and member.id_number_enc.startswith(new_id + ":")
            assert protected.reveal(member, "phone") == f"1380000000{i}"
            assert protected.reveal(member, "address") == f"地址{i}号"
        assert AuditEntry.objects.filter(action="member.rekey").count() == 3  # batches of 2, 2, 1
        again = StringIO()
        call_command("rotate_member_keys", stdout=again)
        assert "其中 0 名" in again.getvalue()
    with pytest.raises(DecryptionError):
        protected.reveal(members[0], "phone")  # the old key alone no longer opens it


def test_rotation_stops_with_a_message_when_the_old_key_is_missing(tree, make_member):
    make_member(tree["branch_a"])
    with override_settings(DATA_KEY="22" * 16), pytest.raises(Exception, match="缺少旧密钥"):
        call_command("rotate_member_keys", stdout=StringIO())
