"""Protected personal data of members: sealing, opening, masking, the blind index and the unmask permission.

Ciphertexts are bound (SM4-GCM associated data) to ``members_member.<column>.<row_key>``: a value copied
into another row or column fails to open instead of showing someone else's data. ``row_key`` is a random
UUID given to the row before it is first saved, so a row is sealed before its insert.

Keys: the current data key (settings.DATA_KEY) seals; opening also accepts the retired keys listed in
``DANGJIAN_OLD_DATA_KEYS`` (hex, comma-separated) so that rows not yet re-encrypted by
``manage.py rotate_member_keys`` stay readable during a rotation.
"""

from dangjian.accounts.roles import UNMASKING_ROLES
from dangjian.core import crypto

TABLE = "members_member"
PROTECTED_FIELDS = ("id_number", "phone", "address")
ID_INDEX_PURPOSE = "member.id_number"


def associated_data(column: str, row_key) -> str:
    return f"{TABLE}.{column}.{row_key}"


def seal(column: str, row_key, value: str) -> str:
    return crypto.encrypt(value, associated_data(column, row_key)) if value else ""


def open_sealed(column: str, row_key, token: str, keys: dict[str, bytes] | None = None) -> str:
    return crypto.decrypt(token, associated_data(column, row_key), keys or crypto.keyring()) if token else ""


def id_index(normalized_id_number: str) -> str:
    """The blind index of an 18-character, normalized ID number (HMAC-SM3, the separate index key)."""
    return crypto.blind_index(normalized_id_number, ID_INDEX_PURPOSE)


def mask_id_number(value: str) -> str:
    """4405**********0014: the area's first four digits and the last four, as DESIGN.md shows."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678 for a mobile number; the last four digits otherwise."""
    if len(value) >= 11:
        return value[:3] + "****" + value[-4:]
    if len(value) > 4:
        return "*" * (len(value) - 4) + value[-4:]
    return "*" * len(value)


def mask_address(value: str) -> str:
    """The first six characters (province and city, usually) and stars: enough to know the region."""
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else value[:2] + "****"


MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "address": mask_address}


def protect(member, column: str, value: str) -> None:
    """Put ``value`` into the member's sealed and masked columns (and the blind index for the ID number)."""
    value = value or ""
    setattr(member, f"{column}_enc", seal(column, member.row_key, value))
    setattr(member, f"{column}_masked", MASKERS[column](value))
    if column == "id_number":
        member.id_number_index = id_index(value)


def reveal(member, column: str) -> str:
    return open_sealed(column, member.row_key, getattr(member, f"{column}_enc"))


def can_unmask(user, org) -> bool:
    """Whether ``user`` may see protected fields of a member of ``org`` in clear.

    Only a role in UNMASKING_ROLES held at the org or above it; the asking itself is audited by the caller.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    paths = getattr(user, "_unmask_paths", None)
    if paths is None:
        paths = list(
            user.role_assignments.active()
            .filter(role__in=sorted(UNMASKING_ROLES), org__isnull=False)
            .values_list("org__path", flat=True)
        )
        user._unmask_paths = paths
    return any(org.path.startswith(path) for path in paths)
