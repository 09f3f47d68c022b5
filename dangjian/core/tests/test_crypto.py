import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core import crypto


def test_it_knows_the_sm3_test_vector():
    # GB/T 32905-2016, example 1: SM3("abc").
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


@given(st.text(max_size=200))
def test_it_round_trips_any_text(text):
    token = crypto.encrypt(text, "members.member.id_number.1")
    assert crypto.decrypt(token, "members.member.id_number.1") == text


def test_it_refuses_a_ciphertext_moved_to_another_row():
    token = crypto.encrypt("440510199001010014", "members.member.id_number.1")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, "members.member.id_number.2")


def test_it_uses_a_fresh_nonce_each_time():
    assert crypto.encrypt("same", "t.c.1") != crypto.encrypt("same", "t.c.1")


def test_the_blind_index_is_stable_and_keyed_by_purpose():
    assert crypto.blind_index("440510199001010014", "id") == crypto.blind_index("440510199001010014", "id")
    assert crypto.blind_index("440510199001010014", "id") != crypto.blind_index("440510199001010014", "phone")
