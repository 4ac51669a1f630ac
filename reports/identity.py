"""Reporter identity stays home: centres see a keyed pseudonym; contact addresses are encrypted at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class IdentityError(ValueError):
    """The secret key is missing, or a stored contact cannot be decrypted with it."""


def _require(secret_key: str) -> bytes:
    if len(secret_key) < 16:
        raise IdentityError("NTS_SECRET_KEY must be set to at least 16 characters")
    return secret_key.encode()


def new_salt() -> str:
    """A reporter's random salt (128 bits, hex)."""
    return secrets.token_hex(16)


def alias(salt: str, center_id: str) -> str:
    """The name a centre knows a reporter by: "R-" and ten letters from (salt, centre). The same reporter is the
    same alias at one centre (a second report is seen as such) and another alias at every other centre, so an
    alert forwarded from one group cannot be linked with another district's; after FORGET the salt is new."""
    digest = hashlib.sha256(b"alias\x00" + salt.encode() + b"\x00" + center_id.encode()).digest()
    return "R-" + base64.b32encode(digest).decode()[:10]


def random_reporter_id() -> str:
    """An id for the reports of a reporter who said FORGET: random, so nothing leads back to the number."""
    return "F-" + base64.b32encode(secrets.token_bytes(10)).decode()[:10]


def pseudonym(secret_key: str, address: str) -> str:
    """A stable pseudonym such as "R-7K3Q9X2M4P" for a channel address (E.164 number, "tg:123", …).

    HMAC-SHA256 keyed with NTS_SECRET_KEY, so nobody without the key can go from pseudonym to number,
    not even by trying every Thai phone number.
    """
    digest = hmac.new(_require(secret_key), b"pseudonym\x00" + address.encode(), hashlib.sha256).digest()
    return "R-" + base64.b32encode(digest).decode()[:10]


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` for one `purpose` (invite codes, login codes, API tokens, PINs): only these are
    stored, and without NTS_SECRET_KEY nobody can test guesses against a copied database."""
    return hmac.new(_require(secret_key), purpose.encode() + b"\x00" + value.encode(), hashlib.sha256).hexdigest()


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ntswatch contact encryption").derive(
        _require(secret_key)
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_contact(secret_key: str, address: str) -> str:
    """Encrypt a contact address (authenticated, random IV) for storage."""
    return _fernet(secret_key).encrypt(address.encode()).decode()


def decrypt_contact(secret_key: str, token: str) -> str:
    """Decrypt what `encrypt_contact` stored; raises IdentityError with a wrong key or a tampered value."""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise IdentityError("stored contact cannot be decrypted with this NTS_SECRET_KEY") from exc


def cipher(secret_key: str) -> Fernet:
    """The authenticated cipher for anything else kept about a reporter on disk (the gateway's spool)."""
    return _fernet(secret_key)
