"""Read what a reporter wrote: commands, a one-line report, or the answer to the current question.

Thai, Lao and Khmer have no spaces between words, so every lookup scans phrases (`i18n.phrases`) and the
gazetteer instead of splitting on spaces. Numbers may be typed in any script: the text is normalised first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from flows.definitions import load_keywords
from i18n.normalize import normalize_text
from i18n.phrases import PhraseIndex
from reports.enums import Category
from reports.places import PRIORITY, Gazetteer, Place

CATEGORY_BY_KEY = {str(i + 1): c.value for i, c in enumerate(Category)}
WHEN_BY_KEY = {"1": "now", "2": "today", "3": "earlier"}
MAX_DETAILS = 1000  # characters kept from a report's free text

_LEADING_NUMBER = re.compile(r"^\s*#?([0-9]{1,2})(?![0-9])[\s.)]*")


@dataclass(frozen=True)
class Command:
    """A command word at the start of a message, with what follows it."""

    name: str  # status, stop, forget, cancel, back, yes, report, language
    rest: str
    language: str | None = None  # for "language"; the language the command word was written in


@dataclass
class Found:
    """What one message says about the report's slots."""

    category: str | None = None
    place: Place | None = None
    place_text: str = ""
    when: str | None = None
    details: str = ""
    report_word: bool = False


@cache
def _commands() -> PhraseIndex[str]:
    index: PhraseIndex[str] = PhraseIndex()
    kw = load_keywords()
    for name, words in kw.commands.items():
        for w in words:
            index.add(w, name)
    for lang, words in kw.languages.items():
        for w in words:
            index.add(w, f"language:{lang}")
    return index


def _index_of(table: dict[str, tuple[str, ...]]) -> PhraseIndex[str]:
    index: PhraseIndex[str] = PhraseIndex()
    for value, words in table.items():
        for w in words:
            index.add(w, value)
    return index


@cache
def _categories() -> PhraseIndex[str]:
    return _index_of(load_keywords().categories)


@cache
def _when() -> PhraseIndex[str]:
    return _index_of(load_keywords().when)


@cache
def _polite() -> tuple[PhraseIndex[str], PhraseIndex[str]]:
    before: PhraseIndex[str] = PhraseIndex()
    after: PhraseIndex[str] = PhraseIndex()
    kw = load_keywords()
    for w in kw.polite_before:
        before.add(w, "polite")
    for w in kw.polite_after:
        after.add(w, "polite")
    return before, after


_NOISE = re.compile(r"^[\s.,;:!?…~\-*'\"()\[\]<>/\\|_=+^]+|[\s.,;:!?…~\-*'\"()\[\]<>/\\|_=+^]+$")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]+")


def _trailing_particles(text: str) -> str:
    """`text` without the particles and punctuation at its end ("1234567 ครับ" → "1234567", "ค่ะ" → "")."""
    _before, after = _polite()
    rest = _NOISE.sub("", _EMOJI.sub(" ", text))
    for _ in range(4):  # "ค่ะ นะคะ ขอบคุณค่ะ": a few in a row
        hits = [h for h in after.scan(rest) if h.end == len(rest)]
        if not hits:
            break
        rest = _NOISE.sub("", rest[:hits[-1].start])
    return rest


def parse_command(text: str) -> Command | None:
    """The command a message starts with, if any ("STATUS 100017", "ยกเลิก", "ไทย"), courtesy and punctuation
    aside ("ยกเลิกค่ะ", "STOP.", "ใช่ครับ", "ขอหยุดส่งนะคะ", "please stop"); "?" alone asks for help."""
    core = _NOISE.sub("", _EMOJI.sub(" ", text))
    if text.strip() and not core.strip() and "?" in text:
        return Command("help", "")
    m = _commands().match_prefix(core)
    if m is None:
        before, _after = _polite()
        polite = before.match_prefix(core)
        if polite is None:
            return None
        core = core[polite.end:].strip()
        m = _commands().match_prefix(core)
        if m is None:
            return None
    rest = _trailing_particles(core[m.end:].strip())
    name = m.values[0]
    if name.startswith("language:"):
        if rest:  # "ไทย" alone chooses the language; "ไทย…" followed by more is not a command
            return None
        return Command("language", "", name.split(":", 1)[1])
    if name in ("cancel", "back", "stop", "forget", "yes", "help") and rest:
        return None  # "ส่ง ยาบ้า…" or "stop the boat" is text, not a command
    return Command(name, rest)


def parse_ticket(text: str) -> str | None:
    """The digits of a ticket number in `text` (spaces and dashes people add are ignored)."""
    digits = re.sub(r"[\s\-]", "", normalize_text(text))
    m = re.search(r"[0-9]{6,12}", digits)
    return m.group(0) if m else None


def parse_category(text: str, anywhere: bool = False) -> tuple[str | None, int]:
    """The category at the start of `text` (keypad 1-5 or a word), and where it ends."""
    m = _LEADING_NUMBER.match(text)
    if m:
        return CATEGORY_BY_KEY.get(m.group(1)), (m.end() if m.group(1) in CATEGORY_BY_KEY else 0)
    found = _categories().match_prefix(text)
    if found is not None:
        return found.values[0], found.end
    if anywhere:
        hits = _categories().scan(text)
        if hits:
            return hits[0].values[0], 0
    return None, 0


def parse_when(text: str) -> str | None:
    """now / today / earlier from a keypad number or a time word anywhere in `text`."""
    m = _LEADING_NUMBER.match(text)
    if m:
        return WHEN_BY_KEY.get(m.group(1))
    hits = _when().scan(text)
    return hits[0].values[0] if hits else None


def _has_words(text: str, minimum: int = 3) -> bool:
    return sum(1 for ch in text if ch.isalpha()) >= minimum


def parse_report(text: str, gazetteer: Gazetteer) -> Found:
    """Fill what slots a free message fills.

    The one-line form is `<report word> <category> <place> <details…>` (the report word optional). A
    message in another order still fills what it names: a category word and a district or crossing
    anywhere, with the whole message kept as details.
    """
    text = normalize_text(text)
    slots = Found()
    rest = text
    word = _commands().match_prefix(rest)
    if word is not None and word.values[0] == "report":
        slots.report_word = True
        rest = rest[word.end:].strip()
    category, end = parse_category(rest)
    if category is not None and end:
        slots.category = category
        rest = rest[end:].strip()
        at = gazetteer.match_prefix(rest)
        if at is not None:
            slots.place, place_end = at
            slots.place_text = rest[:place_end].strip()
            rest = rest[place_end:].strip()
        if _has_words(rest, 2):
            slots.details = rest[:MAX_DETAILS]
        slots.when = parse_when(rest) if rest else None  # "…ท่าอุเทน เมื่อวาน …": yesterday, not "now"
        return slots
    # Free order: pick out a category word and a well-known place; keep the message as the details.
    slots.category, _ = parse_category(rest, anywhere=True)
    place = gazetteer.search(rest, max_priority=PRIORITY["neighbour"], fuzzy=False)
    if place is not None:
        slots.place, slots.place_text = place, place.matched
    slots.when = parse_when(rest) if not _LEADING_NUMBER.match(rest) else None
    # Keep the message as details only when it says more than the place name it contains.
    named = sum(1 for ch in slots.place_text if ch.isalpha())
    if (slots.category or slots.place) and _has_words(rest, 8 + named):
        slots.details = rest[:MAX_DETAILS]
    return slots


def parse_place(text: str, gazetteer: Gazetteer) -> Place | None:
    """The place in an answer to "where?" (any name the gazetteer knows, typos tolerated)."""
    return gazetteer.search(normalize_text(text))
