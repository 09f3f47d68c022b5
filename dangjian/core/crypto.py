"""国密 primitives: SM3 hashing, SM4-GCM encryption with bound context, HMAC-SM3 blind index.

All from the ``cryptography`` library; nothing cryptographic is written by hand here.
"""

import functools
import hashlib
import hmac as std_hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

NONCE_BYTES = 12
TAG_BYTES = 16


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


@functools.lru_cache(maxsize=16)
def key_id(key: bytes) -> str:
    """A short public name for a key, stored beside each ciphertext so rotation knows which key it needs.

    Cached: a bulk import seals three values per row, and hashing the key each time cost more than sealing.
    """
    return sm3_hex(b"dangjian-key-id" + key)[:8]


@functools.lru_cache(maxsize=16)
def _key_bytes(hex_key: str) -> bytes:
    return bytes.fromhex(hex_key)


def _data_key() -> bytes:
    return _key_bytes(settings.DATA_KEY)


@functools.lru_cache(maxsize=16)
def _sm4(key: bytes) -> algorithms.SM4:
    """The cipher object of a key, made once: a bulk import seals millions of values with the same key."""
    return algorithms.SM4(key)


def encrypt(plaintext: str, associated_data: str) -> str:
    """Encrypt with SM4-GCM. The result is ``keyid:nonce:ciphertext+tag`` in hex.

    ``associated_data`` binds the ciphertext to its place (table, column, row), so a value
    copied to another row or column fails to decrypt instead of showing the wrong person's data.
    """
    key = _data_key()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(_sm4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated_data.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return f"{key_id(key)}:{nonce.hex()}:{(body + encryptor.tag).hex()}"


class DecryptionError(Exception):
    pass


def decrypt(token: str, associated_data: str, keys: dict[str, bytes] | None = None) -> str:
    kid, nonce_hex, body_hex = token.split(":")
    keys = keys or {key_id(_data_key()): _data_key()}
    if kid not in keys:
        raise DecryptionError(f"unknown key id {kid}")
    raw = bytes.fromhex(body_hex)
    decryptor = Cipher(_sm4(keys[kid]), modes.GCM(bytes.fromhex(nonce_hex), raw[-TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(associated_data.encode())
    try:
        return (decryptor.update(raw[:-TAG_BYTES]) + decryptor.finalize()).decode()
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not match its key or place") from exc


def keyring() -> dict[str, bytes]:
    """Every key that may open a value: the current one and the retired ones still named in
    ``DANGJIAN_OLD_DATA_KEYS`` (hex, comma-separated) while a rotation re-encrypts old rows."""
    keys = [_data_key()]
    keys += [
        bytes.fromhex(k.strip()) for k in os.environ.get("DANGJIAN_OLD_DATA_KEYS", "").split(",") if k.strip()
    ]
    return {key_id(key): key for key in keys}


def encrypt_bytes(data: bytes, associated_data: str) -> bytes:
    """SM4-GCM for files (an uploaded spreadsheet): key id (8 bytes), nonce, ciphertext and tag, in binary."""
    key = _data_key()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated_data.encode())
    body = encryptor.update(data) + encryptor.finalize()
    return key_id(key).encode() + nonce + body + encryptor.tag


def decrypt_bytes(blob: bytes, associated_data: str) -> bytes:
    kid, nonce, body = blob[:8].decode(), blob[8 : 8 + NONCE_BYTES], blob[8 + NONCE_BYTES :]
    keys = keyring()
    if kid not in keys:
        raise DecryptionError(f"unknown key id {kid}")
    decryptor = Cipher(algorithms.SM4(keys[kid]), modes.GCM(nonce, body[-TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(associated_data.encode())
    try:
        return decryptor.update(body[:-TAG_BYTES]) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not match its key or place") from exc


def blind_index(value: str, purpose: str) -> str:
    """HMAC-SM3 of a normalized value with the separate index key, for exact-match search."""
    mac = crypto_hmac.HMAC(_key_bytes(settings.INDEX_KEY), hashes.SM3())
    mac.update(purpose.encode() + b"\x00" + value.encode())
    return mac.finalize().hex()


def constant_time_equal(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())


def sm3_pbkdf2(password: str, salt: str, iterations: int) -> bytes:
    # hashlib calls OpenSSL, which carries SM3; the same implementation the cryptography package uses.
    return hashlib.pbkdf2_hmac("sm3", password.encode(), salt.encode(), iterations)
