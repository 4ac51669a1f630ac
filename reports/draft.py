"""A completed report on its way from the gateway to the database: the one shape the conversation engine, the
offline batch upload and the web report page all produce, and the worker stores."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class ReportDraft:
    """A completed report on its way to the database (`nts:intake:<id>`): what the reporter said, resolved as
    far as the gateway could without the database, and who they are as a pseudonym with an encrypted contact."""

    id: str
    ticket: str
    reporter: str  # pseudonym
    contact: str | None  # the reporter's address, encrypted (None: nobody to answer, e.g. an anonymous web report)
    channel: str
    language: str
    category: str
    place_text: str = ""
    place: dict[str, Any] | None = None
    location: list[float] | None = None
    when: str = "now"
    details: str = ""
    one_line: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)  # {id, text, at}: provider ids kept once
    media: list[dict[str, Any]] = field(default_factory=list)  # references, fetched and checked by the worker
    received_at: float = field(default_factory=time.time)  # when it happened or was first said (epoch)
    client_id: str | None = None  # an offline item's own id (idempotent upload)
    collected_by: str | None = None  # who took it down: a community leader's device token, a member

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> ReportDraft:
        """Read the stored form (keys of another version are ignored)."""
        data = json.loads(raw)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
