"""i18n.script: the reporter's language from the script they write in."""

from __future__ import annotations

import pytest

from i18n.script import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("แจ้ง ยาเสพติด ท่าอุเทน", "th"),
        ("ແຈ້ງ ຢາເສບຕິດ ທ່າແຂກ", "lo"),
        ("រាយការណ៍ ជួញដូរមនុស្ស", "km"),
        ("REPORT drugs Tha Uthen", "en"),
        ("เห็นรถ Toyota ขนคน", "th"),  # a brand name does not make it English
        ("12345", None),
        ("...", None),
        ("我看见走私", "other"),  # Chinese: not a language we read
        ("မြန်မာ", "other"),  # Burmese
    ],
)
def test_detect_language(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang
