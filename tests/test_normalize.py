"""i18n.normalize: the forms people type, unified before matching."""

from __future__ import annotations

import pytest

from i18n.normalize import be_to_ce, ce_to_be, match_key, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("๑๒๓๔๕", "12345"),  # Thai digits
        ("໐໑໒໓", "0123"),  # Lao digits
        ("០១២៣៤៥៦៧៨៩", "0123456789"),  # Khmer digits
        ("ท\u0e4d\u0e32", "ท\u0e33"),  # Thai NIKHAHIT + SARA AA -> SARA AM
        ("น\u0e4d\u0e49\u0e32", "น\u0e49\u0e33"),  # with a tone mark typed in between
        ("น\u0e33\u0e49", "น\u0e49\u0e33"),  # tone mark typed after SARA AM
        ("ຄ\u0ecd\u0eb2", "ຄ\u0eb3"),  # Lao NIGGAHITA + AA -> AM
        ("ຫລວງ", "ຫຼວງ"),  # Lao HO-LO cluster
        ("ຫນອງ", "ໜອງ"),  # Lao HO-NO
        ("ຫມາ", "ໝາ"),  # Lao HO-MO
        ("ท่า\u200bอุเทน", "ท่าอุเทน"),  # zero-width space
        ("abc\u202edef", "abcdef"),  # right-to-left override dropped
        ("a\x00b\x07c", "abc"),  # control characters
        ("  two   spaces\t\tand tabs  ", "two spaces and tabs"),
        ("line1\r\n\r\nline2", "line1\nline2"),
        ("１２３", "123"),  # full-width digits
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_match_key_ignores_case_spaces_and_punctuation() -> None:
    assert match_key("Tha-Uthen") == match_key("tha uthen") == "thauthen"
    assert match_key("อ. ท่า อุเทน") == "อท่าอุเทน"


@pytest.mark.parametrize(("be", "ce"), [(2569, 2026), (2567, 2024), (2026, 2026)])
def test_buddhist_era(be: int, ce: int) -> None:
    assert be_to_ce(be) == ce
    if be != ce:
        assert ce_to_be(ce) == be
