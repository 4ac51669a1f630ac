"""i18n.sms: encoding, UTF-16 units and part counts."""

from __future__ import annotations

import pytest

from i18n.sms import sms_size, truncate_to_units, utf16_units


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("[" * 80, "GSM-7", 160, 1),  # extension characters cost two septets
        ("ก" * 70, "UCS-2", 70, 1),
        ("ก" * 71, "UCS-2", 71, 2),
        ("ก" * 134, "UCS-2", 134, 2),
        ("ก" * 135, "UCS-2", 135, 3),
        ("REPORT " + "ກ", "UCS-2", 8, 1),  # one Lao letter forces UCS-2 for the whole message
        ("😀" * 35, "UCS-2", 70, 1),  # astral characters count two units
        ("", "GSM-7", 0, 1),
    ],
)
def test_sms_size(text: str, encoding: str, units: int, parts: int) -> None:
    size = sms_size(text)
    assert (size.encoding, size.units, size.parts) == (encoding, units, parts)


def test_truncate_never_splits_a_character() -> None:
    text = "😀" * 10
    cut = truncate_to_units(text, 7)
    assert utf16_units(cut) <= 7
    assert cut.endswith("…")
    assert "\ud83d" not in cut
    assert truncate_to_units("short", 10) == "short"
