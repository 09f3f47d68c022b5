import pytest
from django.contrib.auth.hashers import make_password
from hypothesis import given
from hypothesis import strategies as st

from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.accounts.validators import CharacterClassValidator, character_classes
from dangjian.core.errors import ServiceError

SM3_FIRST = [
    "dangjian.accounts.hashers.PBKDF2SM3PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@pytest.fixture
def sm3_hashing(settings):
    settings.PASSWORD_HASHERS = SM3_FIRST


def test_it_hashes_new_passwords_with_pbkdf2_sm3(db, sm3_hashing):
    user = User.objects.create_user("zhang", password="Abcdef12")
    assert user.password.startswith("pbkdf2_sm3$")
    assert user.check_password("Abcdef12") and not user.check_password("abcdef12")


def test_it_upgrades_an_older_hash_on_login(db, sm3_hashing):
    user = User.objects.create(username="li", password=make_password("Abcdef12", hasher="pbkdf2_sha256"))
    assert user.password.startswith("pbkdf2_sha256$")
    assert services.check_login("li", "Abcdef12").user == user
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sm3$")


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abcdefgh", False),  # one class
        ("abcd1234", False),  # two classes
        ("xqzV7314", True),  # three
        ("mwp#4821", True),  # lower, digit, special
        ("党建wz7391", True),  # a Chinese character counts as special
        ("Ab1#", False),  # four classes but too short
    ],
)
def test_it_requires_eight_characters_of_three_classes(db, password, ok):
    user = User(username="wang")
    if ok:
        services.validate_new_password(password, user)
    else:
        with pytest.raises(ServiceError) as caught:
            services.validate_new_password(password, user)
        assert caught.value.field == "password"


@given(st.text(alphabet="abcdefghijklmnop", min_size=8, max_size=30))
def test_lowercase_only_is_always_too_simple(password):
    assert character_classes(password) == 1
    with pytest.raises(Exception, match="至少3类"):
        CharacterClassValidator().validate(password)
