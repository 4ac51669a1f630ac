"""Find known phrases in text written without spaces (Thai, Lao, Khmer) or with them (English).

Phrases are compared after `match_key` folding (case, spaces and punctuation ignored), longest first,
so "ลักลอบข้ามแดน" beats "ลักลอบ" and nothing depends on where a reporter put spaces. Latin phrases need
word boundaries so that "natan" is not found inside "national".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Generic, TypeVar

from i18n.normalize import match_key

T = TypeVar("T")
_SEPARATORS = frozenset("-'’.,:;!?()\"/")


@dataclass(frozen=True)
class PhraseMatch(Generic[T]):
    """A phrase found in a text: its span in the original text and the values registered for it."""

    start: int
    end: int
    key: str
    values: tuple[T, ...]


class Folded:
    """A text folded for matching, remembering where each folded character came from."""

    def __init__(self, text: str) -> None:
        self.text = text
        chars: list[str] = []
        self.positions: list[int] = []
        for i, ch in enumerate(text):
            if ch.isspace() or ch in _SEPARATORS:
                continue
            low = ch.lower()
            chars.append(low)
            self.positions.extend([i] * len(low))
        self.folded = "".join(chars)

    def fpos_of(self, index: int) -> int:
        """The folded position of the first kept character at or after original `index`."""
        for fpos, pos in enumerate(self.positions):
            if pos >= index:
                return fpos
        return len(self.folded)


class PhraseIndex(Generic[T]):
    """Phrases mapped to values, matched longest-first at a position or anywhere in a text."""

    def __init__(self) -> None:
        self._values: dict[str, list[T]] = {}
        self._buckets: dict[str, list[str]] = defaultdict(list)

    def add(self, phrase: str, value: T, min_len: int = 1) -> None:
        """Register `phrase` (any script, any spacing) for `value`."""
        key = match_key(phrase)
        if len(key) < min_len:
            return
        values = self._values.get(key)
        if values is None:
            self._values[key] = [value]
            self._buckets[key[0]].append(key)
        elif value not in values:
            values.append(value)

    def keys(self) -> list[str]:
        """Every folded phrase."""
        return list(self._values)

    def values(self, key: str) -> tuple[T, ...]:
        """The values of a folded phrase."""
        return tuple(self._values.get(key, ()))

    def match_at(self, f: Folded, fpos: int) -> PhraseMatch[T] | None:
        """The longest phrase starting at folded position `fpos`."""
        if fpos >= len(f.folded):
            return None
        best: str | None = None
        text = f.text
        for key in self._buckets.get(f.folded[fpos], ()):
            if (best is not None and len(key) <= len(best)) or not f.folded.startswith(key, fpos):
                continue
            start, end = f.positions[fpos], f.positions[fpos + len(key) - 1] + 1
            if key.isascii() and key[0].isalnum() and (
                (start > 0 and text[start - 1].isascii() and text[start - 1].isalnum())
                or (end < len(text) and text[end].isascii() and text[end].isalpha())  # "STATUS100009" is fine
            ):
                continue
            best = key
        if best is None:
            return None
        start, end = f.positions[fpos], f.positions[fpos + len(best) - 1] + 1
        return PhraseMatch(start, end, best, tuple(self._values[best]))

    def match_prefix(self, text: str) -> PhraseMatch[T] | None:
        """The longest phrase at the very start of `text`."""
        return self.match_at(Folded(text), 0)

    def scan(self, text: str) -> list[PhraseMatch[T]]:
        """Every phrase in `text`, left to right, longest first, not overlapping."""
        f = Folded(text)
        found: list[PhraseMatch[T]] = []
        fpos = 0
        while fpos < len(f.folded):
            m = self.match_at(f, fpos)
            if m is None:
                fpos += 1
            else:
                found.append(m)
                fpos += len(m.key)
        return found
