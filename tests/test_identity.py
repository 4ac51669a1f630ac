"""reports.identity: keyed pseudonyms and encrypted contacts."""

from __future__ import annotations

import pytest

from reports.identity import IdentityError, decrypt_contact, encrypt_contact, pseudonym
from tests.conftest import SECRET_KEY


def test_pseudonyms_are_keyed_and_stable() -> None:
    a = pseudonym(SECRET_KEY, "+66812345678")
    assert a == pseudonym(SECRET_KEY, "+66812345678") and a.startswith("R-") and len(a) == 12
    assert a != pseudonym(SECRET_KEY, "+66812345679")
    assert a != pseudonym("another-secret-key-0123456789", "+66812345678")
    with pytest.raises(IdentityError):
        pseudonym("short", "+66812345678")


def test_contact_encryption_round_trip_and_wrong_key() -> None:
    token = encrypt_contact(SECRET_KEY, "+66812345678")
    assert "812345678" not in token
    assert token != encrypt_contact(SECRET_KEY, "+66812345678")  # random IV
    assert decrypt_contact(SECRET_KEY, token) == "+66812345678"
    with pytest.raises(IdentityError):
        decrypt_contact("another-secret-key-0123456789", token)
