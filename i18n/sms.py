"""SMS and USSD length budgets.

One Thai, Lao or Khmer character forces UCS-2 for the whole message: 70 UTF-16 units in a single SMS,
67 per part of a concatenated one. GSM-7 allows 160/153 septets, with extension-table characters costing two.
(3GPP TS 23.038; https://www.twilio.com/docs/glossary/what-sms-character-limit)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = "^{}\\[~]|€\f"
_GSM7_BASIC_SET = frozenset(_GSM7_BASIC)
_GSM7_EXTENDED_SET = frozenset(_GSM7_EXTENDED)

MAX_REPLY_PARTS = 2  # the budget: every reply fits in at most two SMS parts


@dataclass(frozen=True)
class SmsSize:
    """How an SMS text is encoded and what it costs."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int


def is_gsm7(text: str) -> bool:
    """True when every character of `text` exists in the GSM 03.38 alphabet (basic or extension)."""
    return all(ch in _GSM7_BASIC_SET or ch in _GSM7_EXTENDED_SET for ch in text)


def utf16_units(text: str) -> int:
    """Length of `text` in UTF-16 code units (astral characters such as emoji count twice)."""
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def sms_size(text: str) -> SmsSize:
    """Return encoding, length in that encoding's units, and the number of SMS parts."""
    if is_gsm7(text):
        units = sum(2 if ch in _GSM7_EXTENDED_SET else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = utf16_units(text)
        single, multi, encoding = 70, 67, "UCS-2"
    parts = 1 if units <= single else math.ceil(units / multi)
    return SmsSize(encoding, units, max(parts, 1))


def budget_units(text: str, parts: int = MAX_REPLY_PARTS) -> int:
    """How many units `parts` SMS parts hold in the encoding `text` needs."""
    if is_gsm7(text):
        return 160 if parts == 1 else 153 * parts
    return 70 if parts == 1 else 67 * parts


def truncate_to_units(text: str, max_units: int, ellipsis: str = "…") -> str:
    """Cut `text` to at most `max_units` UTF-16 units at a character boundary, marking the cut."""
    if utf16_units(text) <= max_units:
        return text
    keep = max_units - utf16_units(ellipsis)
    out: list[str] = []
    used = 0
    for ch in text:
        cost = utf16_units(ch)
        if used + cost > keep:
            break
        out.append(ch)
        used += cost
    # Do not leave a dangling combining mark (Thai/Lao/Khmer vowels and tones) stranded after a cut base.
    return "".join(out).rstrip() + ellipsis
