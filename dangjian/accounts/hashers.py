"""PBKDF2 with SM3 as the password hash (GM/T 0004), through Django's own PBKDF2 machinery."""

import hashlib

from django.contrib.auth.hashers import PBKDF2PasswordHasher


def _sm3():
    return hashlib.new("sm3")


class PBKDF2SM3PasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sm3"
    digest = staticmethod(_sm3)
