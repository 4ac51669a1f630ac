"""Ticket numbers: digits only, short enough to type on a keypad, with a Damm check digit.

The Damm algorithm catches every single mistyped digit and every swap of two adjacent digits
(https://en.wikipedia.org/wiki/Damm_algorithm), which Luhn does not.
"""

from __future__ import annotations

import re

from stdnum import damm

FIRST_SEQUENCE = 10000  # tickets start at six digits: 10000 + check digit


def make_ticket(sequence: int) -> str:
    """The ticket for a sequence number: its digits followed by the Damm check digit."""
    base = str(sequence)
    return base + damm.calc_check_digit(base)


def is_valid_ticket(ticket: str) -> bool:
    """True when `ticket` is all ASCII digits, at least six long, and its check digit matches."""
    return bool(re.fullmatch(r"[0-9]{6,12}", ticket)) and damm.is_valid(ticket)
