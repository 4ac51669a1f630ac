"""A reporter's conversation as it is kept in Redis between two messages (JSON, under their pseudonym)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Slots:
    """What the report says so far."""

    category: str | None = None
    place_text: str = ""
    place: dict[str, Any] | None = None  # the resolved place (reports.places.Place.as_dict)
    location: list[float] | None = None  # [lat, lon] of a shared GPS point
    when: str | None = None
    details: str = ""

    def filled(self, slot: str) -> bool:
        """Whether the flow step `slot` ("category", "place", "when", "details") has its answer."""
        return bool(self.place_text if slot == "place" else getattr(self, slot))

    def clear(self, slot: str) -> None:
        """Forget the answer to `slot` (the reporter went back)."""
        if slot == "place":
            self.place_text, self.place = "", None
        else:
            setattr(self, slot, Slots.__dataclass_fields__[slot].default)


@dataclass
class Conversation:
    """One open report conversation."""

    flow: str
    started: float
    updated: float
    slots: Slots = field(default_factory=Slots)
    history: list[str] = field(default_factory=list)  # the slots in the order they were filled (for "0 back")
    messages: list[dict[str, Any]] = field(default_factory=list)  # {id, text, at} of every message in it
    media: list[dict[str, Any]] = field(default_factory=list)  # photo and voice references, fetched later
    step: str | None = None  # the question asked last
    place_tries: int = 0
    misses: int = 0  # answers not understood in a row: after two, the help text instead of the question again
    one_line: bool = False  # everything came in one message: no confirmation asked
    resume_offered: bool = False  # a USSD reporter cut off mid-report was asked "continue or restart?"

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Conversation:
        """Read the stored form (unknown keys from another version are ignored)."""
        data = json.loads(raw)
        known = {f.name for f in fields(cls)}
        slots = Slots(**{k: v for k, v in (data.pop("slots", None) or {}).items()
                         if k in Slots.__dataclass_fields__})
        return cls(slots=slots, **{k: v for k, v in data.items() if k in known})
