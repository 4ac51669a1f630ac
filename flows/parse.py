"""Read what a reporter wrote: commands, a one-line report, or the answer to the current question.

Thai, Lao and Khmer have no spaces between words, so every lookup scans phrases (`i18n.phrases`) and the
gazetteer instead of splitting on spaces. Numbers may be typed in any script: the text is normalised first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from flows.definitions import load_keywords
from i18n.normalize import normalize_text
from i18n.phrases import Folded, PhraseIndex
from reports.enums import Category
from reports.places import PRIORITY, Gazetteer, Place

CATEGORY_BY_KEY = {str(i + 1): c.value for i, c in enumerate(Category)}
WHEN_BY_KEY = {"1": "now", "2": "today", "3": "earlier"}
MAX_DETAILS = 1000  # characters kept from a report's free text

_LEADING_NUMBER = re.compile(r"^\s*#?([0-9]{1,2})(?![0-9])[\s.)]*")
# When a message names several categories, the first of these wins: the graver or more specific reading
# ("heroin smuggling" is drugs, "forced to cross" is trafficking, goods carried across is smuggling).
PRECEDENCE = (Category.DRUGS, Category.TRAFFICKING, Category.SMUGGLING, Category.MIGRATION, Category.OTHER)
ORDINARY = "ordinary"  # a word that holds a keyword but is not one ("สวนยาง")
# A point typed in an SMS ("17.57,104.59", "17.57 104.59") or inside a maps link ("?q=17.4,104.7", "@17.4,104.7,15z").
_COORDINATES = re.compile(r"(?<![0-9.])(-?[0-9]{1,2}\.[0-9]{2,8})\s*[, ]\s*(-?[0-9]{2,3}\.[0-9]{2,8})(?![0-9])")
_LINK = re.compile(r"https?://\S+")
# Words after which a reporter names the place ("ที่ดอนตาล", "ຢູ່ເຊຍງຄານ", "នៅប៉ោយប៉ែត", "at Tha Bo"): where a
# misspelt name is worth a fuzzy guess inside a sentence.
_PLACE_WORDS = re.compile(r"(?:ที่|แถว|อยู่|ใกล้|ຢູ່|ທີ່|ແຖວ|ໃກ້|នៅ|ក្បែរ|\bat |\bin |\bnear )\s*([^\s,.;!?]{5,24})")


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
    location: tuple[float, float] | None = None
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
def _ordinary() -> PhraseIndex[str]:
    return _index_of({ORDINARY: load_keywords().ordinary})


@cache
def _units() -> PhraseIndex[str]:
    return _index_of({"unit": load_keywords().units})


@cache
def _pairs() -> dict[str, tuple[PhraseIndex[str], ...]]:
    return {category: tuple(_index_of({"word": group}) for group in groups)
            for category, groups in load_keywords().pairs.items()}


@lru_cache(maxsize=64)
def _folded(text: str) -> tuple[Folded, tuple[tuple[int, int], ...]]:
    """`text` folded, and where everyday words that hold keywords sit in it (folded positions). Cached: one message
    is scanned for categories, time words and pairs, each over the same folding."""
    f = Folded(text)
    spans = []
    for fpos in range(len(f.folded)):
        word = _ordinary().match_at(f, fpos)
        if word is not None:
            spans.append((fpos, fpos + len(word.key)))
    return f, tuple(spans)


def _cut(spans: tuple[tuple[int, int], ...], fpos: int, length: int) -> bool:
    """Whether an everyday word overlaps the match at `fpos` and runs past it: "ขนยา|ง" is not drugs,
    "หมู|่บ้าน" is not a pig, "ดอก|ไม้" is not timber."""
    end = fpos + length
    return any(start < end and fpos < stop and (start < fpos or stop > end) for start, stop in spans)


def _words(index: PhraseIndex[str], text: str) -> list[str]:
    """The values of the phrases of `index` in `text`, left to right, skipping phrases an everyday word cuts."""
    f, spans = _folded(text)
    found: list[str] = []
    fpos = 0
    while fpos < len(f.folded):
        m = index.match_at(f, fpos)
        if m is None or _cut(spans, fpos, len(m.key)):
            fpos += 1
            continue
        found.append(m.values[0])
        fpos += len(m.key)
    return found


def _keypad(text: str) -> re.Match[str] | None:
    """A keypad number at the start of `text`, unless it counts something ("2 วันก่อน", "3 คน", "2 vans")."""
    m = _LEADING_NUMBER.match(text)
    if m is None or _units().match_prefix(text[m.end():]) is not None:
        return None
    return m


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
    """The category at the start of `text` (keypad 1-5 or a word), and where it ends; with `anywhere`, else
    the category words elsewhere in `text` say (by `PRECEDENCE`), with end 0."""
    m = _keypad(text)
    if m:
        return CATEGORY_BY_KEY.get(m.group(1)), (m.end() if m.group(1) in CATEGORY_BY_KEY else 0)
    found = _categories().match_prefix(text)
    if found is not None and not _cut(_folded(text)[1], 0, len(found.key)):
        return found.values[0], found.end
    if anywhere:
        named = set(_words(_categories(), text))
        for category in PRECEDENCE:
            if category.value in named:
                return category.value, 0
        for paired, groups in _pairs().items():
            if all(_words(group, text) for group in groups):
                return paired, 0
    return None, 0


def parse_when(text: str, keypad: bool = True) -> str | None:
    """now / today / earlier from a keypad number (the answer to "when?") or a time word anywhere in `text`."""
    m = _keypad(text)
    if m and keypad:
        return WHEN_BY_KEY.get(m.group(1))
    named = _words(_when(), text)
    return named[0] if named else None


def parse_coordinates(text: str) -> tuple[tuple[float, float], int, int] | None:
    """A latitude,longitude typed or linked in `text` (decimal degrees), with its span; None when the numbers
    cannot be a point on this border (the gazetteer says which district holds it)."""
    for m in _COORDINATES.finditer(text):
        lat, lon = float(m.group(1)), float(m.group(2))
        if 5.0 <= lat <= 21.0 and 97.0 <= lon <= 106.0:
            link = next((lm for lm in _LINK.finditer(text) if lm.start() <= m.start() < lm.end()), None)
            start, end = (link.start(), link.end()) if link else (m.start(), m.end())
            return (lat, lon), start, end
    return None


def _has_words(text: str, minimum: int = 3) -> bool:
    return sum(1 for ch in text if ch.isalpha()) >= minimum


def parse_report(text: str, gazetteer: Gazetteer) -> Found:
    """Fill what slots a free message fills.

    The one-line form is `<report word> <category> <place> <details…>` (the report word optional), and its
    category word decides. A message in another order still fills what it names: the category its words
    say, a place named anywhere (a district, a crossing, a town across the river, a province, a point or a
    maps link), a time word, with the message kept as the details.
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
        else:
            _find_place(slots, rest, gazetteer)
        if _has_words(rest, 2):
            slots.details = rest[:MAX_DETAILS]
        # "…ท่าอุเทน เมื่อวาน …" is yesterday; a number in the details ("2 vans") is not a keypad answer.
        slots.when = parse_when(rest, keypad=False) if rest else None
        return slots
    slots.category, _ = parse_category(rest, anywhere=True)
    _find_place(slots, rest, gazetteer)
    slots.when = parse_when(rest, keypad=False)
    # Keep the message as details only when it says more than the place name it contains.
    named = sum(1 for ch in slots.place_text if ch.isalpha())
    if (slots.category or slots.place) and _has_words(rest, 8 + named):
        slots.details = rest[:MAX_DETAILS]
    return slots


def _find_place(slots: Found, text: str, gazetteer: Gazetteer) -> None:
    """A place anywhere in a sentence: a point or maps link, a name the gazetteer knows (everyday words that
    are also names only after ต./ເມືອງ/ស្រុក…), or a misspelt name after "ที่"/"ຢູ່"/"នៅ"/"at"."""
    point = parse_coordinates(text)
    if point is not None:
        (lat, lon), _start, _end = point
        slots.location = (lat, lon)
        slots.place = gazetteer.locate(lat, lon)
        slots.place_text = f"{lat:.5f},{lon:.5f}"
        return
    place = gazetteer.search(text, max_priority=PRIORITY["province"], fuzzy=False)
    if place is None:
        # Villagers often start with the place: the first word is worth a fuzzy guess too ("ເຂມມະລາດ ມີ…").
        first = text.split(" ", 1)[0]
        candidates = [m.group(1) for m in _PLACE_WORDS.finditer(text)] + ([first] if " " in text else [])
        for candidate in candidates:
            place = gazetteer.search(candidate, max_priority=PRIORITY["province"])
            if place is not None and "fuzzy" in place.flags:
                break
            place = None
    if place is not None:
        slots.place, slots.place_text = place, place.matched


def parse_place(text: str, gazetteer: Gazetteer) -> Place | None:
    """The place in an answer to "where?" (any name the gazetteer knows, typos tolerated)."""
    return gazetteer.search(normalize_text(text))
