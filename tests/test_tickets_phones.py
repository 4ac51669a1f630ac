"""reports.tickets and i18n.phones: keypad tickets with a check digit; E.164 across three countries."""

from __future__ import annotations

import pytest

from i18n.phones import country_language, to_e164
from reports.tickets import FIRST_SEQUENCE, is_valid_ticket, make_ticket


def test_tickets_are_short_digits_with_a_check_digit() -> None:
    ticket = make_ticket(FIRST_SEQUENCE)
    assert ticket.isdigit() and len(ticket) == 6 and is_valid_ticket(ticket)


def test_every_single_digit_typo_and_adjacent_swap_is_caught() -> None:
    for seq in range(FIRST_SEQUENCE, FIRST_SEQUENCE + 300):
        ticket = make_ticket(seq)
        for i, digit in enumerate(ticket):
            for other in "0123456789":
                if other != digit:
                    assert not is_valid_ticket(ticket[:i] + other + ticket[i + 1:])
            if i + 1 < len(ticket) and ticket[i] != ticket[i + 1]:
                swapped = ticket[:i] + ticket[i + 1] + ticket[i] + ticket[i + 2:]
                assert not is_valid_ticket(swapped)


@pytest.mark.parametrize("bad", ["", "12345", "abcdef", "１０００１７", "1000 17"])
def test_malformed_tickets(bad: str) -> None:
    assert not is_valid_ticket(bad)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("0812345678", "TH", "+66812345678"),
        ("+66 81 234 5678", "TH", "+66812345678"),
        ("๐๘๑๒๓๔๕๖๗๘", "TH", "+66812345678"),  # Thai digits
        ("020 5555 1234", "LA", "+8562055551234"),
        ("+856 20 5555 1234", "TH", "+8562055551234"),  # a Lao SIM roaming in Thailand
        ("012 345 678", "KH", "+85512345678"),
        ("+855 12 345 678", "TH", "+85512345678"),
        ("12", "TH", None),
        ("not a number", "TH", None),
        ("", "TH", None),
    ],
)
def test_to_e164(raw: str, region: str, e164: str | None) -> None:
    assert to_e164(raw, region) == e164


def test_country_language_hint() -> None:
    assert [country_language(n) for n in ("+66812345678", "+8562055551234", "+85512345678", "+1555")] == [
        "th", "lo", "km", None]
