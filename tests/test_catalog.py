"""i18n catalogs: complete in th/lo/km/en, each translation in its own script, placeholders kept."""

from __future__ import annotations

import re

import pytest

from i18n import LANGUAGES
from i18n.catalog import missing, text
from i18n.messages import ALL, REPORTER
from i18n.script import script_counts

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete(lang: str) -> None:
    assert missing(lang) == []


@pytest.mark.parametrize("lang", ["th", "lo", "km"])
@pytest.mark.parametrize("key", sorted(ALL))
def test_translation_is_in_the_right_script(lang: str, key: str) -> None:
    translated = text(lang, key)
    counts = script_counts(PLACEHOLDER.sub("", translated))
    local = counts[lang]
    foreign = sum(n for k, n in counts.items() if k not in (lang, "en"))
    assert local > 0, f"{lang}/{key} has no {lang} letters: {translated!r}"
    assert foreign == 0, f"{lang}/{key} mixes scripts: {translated!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", sorted(ALL))
def test_placeholders_are_kept(lang: str, key: str) -> None:
    assert set(PLACEHOLDER.findall(text(lang, key))) == set(PLACEHOLDER.findall(ALL[key]))


@pytest.mark.parametrize("lang", ["th", "lo", "km"])
def test_keypad_numbers_in_menus_are_ascii(lang: str) -> None:
    # Villagers type on keypads: menus show the digits the keys carry.
    for key in ("ask_category", "ask_when"):
        assert re.findall(r"\d", text(lang, key)) == re.findall(r"\d", REPORTER[key])


def test_review_list_is_current() -> None:
    """The list shipped for the centres' native speakers matches the names and catalogs (`make messages`)."""
    from i18n.review import REVIEW_FILE, names_to_review, render
    assert REVIEW_FILE.read_text("utf-8") == render()
    assert ("3409", "น้ำยืน", "km", "ណាំយឺន") in names_to_review()
