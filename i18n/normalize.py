"""Normalise what people type before anything is matched.

Plain NFC is not enough for the scripts on this border: it does not unify Thai SARA AM (U+0E33) with
NIKHAHIT + SARA AA, nor the Lao equivalents; the Lao HO-clusters have two spellings in daily use, and Khmer's
COENG TA and COENG DA are typed for one another.
"""

from __future__ import annotations

import re
import unicodedata

# Digits of every script we read, to ASCII.
_DIGITS = {}
for _base in (0x0E50, 0x0ED0, 0x17E0):  # Thai ๐, Lao ໐, Khmer ០
    for _i in range(10):
        _DIGITS[_base + _i] = ord("0") + _i
for _i in range(10):  # full-width digits from some phone keyboards
    _DIGITS[0xFF10 + _i] = ord("0") + _i

# Invisible characters that break matching, and bidirectional controls that could be used to disguise
# text shown to officers: dropped outright.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E, 0x061C, 0x200E, 0x200F,
     *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
_TRANSLATE = {**_DIGITS, **_INVISIBLE}

# Thai: NIKHAHIT (+ optional tone mark) + SARA AA  ->  (tone mark +) SARA AM.  Lao: the same with its own letters.
_THAI_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")
_THAI_AM_TONE_AFTER = re.compile("\u0e33([\u0e48-\u0e4b])")
_LAO_AM = re.compile("\u0ecd([\u0ec8-\u0ecb]?)\u0eb2")
_LAO_AM_TONE_AFTER = re.compile("\u0eb3([\u0ec8-\u0ecb])")
# Lao HO clusters: ຫລ -> ຫຼ, ຫນ -> ໜ, ຫມ -> ໝ (both spellings are in daily use).
_LAO_HO = (("\u0eab\u0ea5", "\u0eab\u0ebc"), ("\u0eab\u0e99", "\u0edc"), ("\u0eab\u0ea1", "\u0edd"))
# Khmer: COENG DA and COENG TA look the same under a consonant and people type either (ស្ដី/ស្តី); NIKAHIT typed
# before AA is the same sign as AA + NIKAHIT (ាំ).
_KHMER = (("\u17d2\u178a", "\u17d2\u178f"), ("\u17c6\u17b6", "\u17b6\u17c6"))
# Other control characters (C0/C1 except tab/newline) never belong in a report.
# A lone surrogate (from a JSON "\\ud800" escape) is not a character at all.
_CONTROL = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")

# Buddhist-era years: Thai BE = CE + 543 (Lao BE is the same count).
BE_OFFSET = 543


def normalize_text(text: str) -> str:
    """Return `text` in one canonical form: NFC, ASCII digits, no invisible or control characters."""
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATE)
    text = _CONTROL.sub("", text)
    text = _THAI_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    # A tone mark typed after SARA AM belongs before it (visually identical, different code points).
    text = _THAI_AM_TONE_AFTER.sub(lambda m: m.group(1) + "\u0e33", text)
    text = _LAO_AM.sub(lambda m: m.group(1) + "\u0eb3", text)
    text = _LAO_AM_TONE_AFTER.sub(lambda m: m.group(1) + "\u0eb3", text)
    for old, new in _LAO_HO + _KHMER:
        text = text.replace(old, new)
    # CRLF and a lone CR (old phones) are line breaks too.
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def match_key(text: str) -> str:
    """Return the form used for keyword and place matching: normalised, case-folded, without spaces."""
    text = normalize_text(text).casefold()
    return re.sub(r"[\s\-'’.,:;!?()\"/]+", "", text)


def be_to_ce(year: int) -> int:
    """Convert a Buddhist-era year to the common era; common-era years pass through unchanged."""
    return year - BE_OFFSET if year >= 2400 else year


def ce_to_be(year: int) -> int:
    """Convert a common-era year to the Thai Buddhist era (for alerts rendered in Thai)."""
    return year + BE_OFFSET
