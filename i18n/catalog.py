"""Translated texts by key and language, from the compiled gettext catalogs under `i18n/locales/`."""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from i18n import DEFAULT_LANGUAGE, LANGUAGES
from i18n.messages import ALL

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


class MissingTranslation(LookupError):
    """A catalog lacks a text, or a language has no catalog."""


def _ensure_compiled(lang: str) -> None:
    """Compile the .po when the .mo is missing or older (`make` does this; tests and CLIs may run first)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        with po.open("rb") as src:
            catalog = read_po(src, locale=lang)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as dst:
            write_mo(dst, catalog)
        tmp.replace(mo)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations for `lang` (one of th, lo, km, en)."""
    if lang not in LANGUAGES:
        raise MissingTranslation(f"no catalog for language {lang!r}")
    _ensure_compiled(lang)
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


def text(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang`, with `{placeholders}` filled from `values`."""
    source = ALL[key]
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    translated = translations(lang).gettext(source)
    return translated.format(**values) if values else translated


def missing(lang: str) -> list[str]:
    """Keys that have no translation in `lang` (an untranslated text comes back unchanged from gettext)."""
    cat = translations(lang)
    out = []
    for key, source in ALL.items():
        if lang != "en" and cat.gettext(source) == source:
            out.append(key)
    return out
