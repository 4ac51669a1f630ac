"""Which language a message is written in, from its script."""

from __future__ import annotations

from collections import Counter

_RANGES = (
    ("th", 0x0E00, 0x0E7F),
    ("lo", 0x0E80, 0x0EFF),
    ("km", 0x1780, 0x17FF),
    ("km", 0x19E0, 0x19FF),  # Khmer symbols
)


def script_counts(text: str) -> Counter[str]:
    """Count letters per language script (th, lo, km, en for Latin, other for anything else)."""
    counts: Counter[str] = Counter()
    for ch in text:
        code = ord(ch)
        if ch.isdigit() or not (ch.isalpha() or 0x0E00 <= code <= 0x17FF):
            continue
        for lang, lo, hi in _RANGES:
            if lo <= code <= hi:
                counts[lang] += 1
                break
        else:
            counts["en" if ch.isascii() else "other"] += 1
    return counts


def detect_language(text: str) -> str | None:
    """Return th/lo/km/en for the dominant script, "other" for an unread script, None when no letters."""
    counts = script_counts(text)
    if not counts:
        return None
    lang, _ = counts.most_common(1)[0]
    # A few Latin letters (a brand, "OK") inside a Thai/Lao/Khmer message do not make it English.
    if lang == "en":
        local = sum(n for k, n in counts.items() if k in ("th", "lo", "km"))
        if local * 3 >= counts["en"]:
            lang = max(("th", "lo", "km"), key=lambda k: counts[k])
    return lang
