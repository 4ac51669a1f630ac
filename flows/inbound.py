"""The one shape every channel parses its provider's payload into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Inbound:
    """A message from a reporter, whatever channel it came by."""

    channel: str  # "twilio", "ussd", "telegram", …
    provider_id: str  # the provider's message id: the dedup key
    address: str  # E.164 number or channel address ("tg:123"); never logged
    text: str
    received_at: datetime
    language_hint: str | None = None  # e.g. Telegram's language_code
    location: tuple[float, float] | None = None  # (lat, lon)
    media: tuple[dict[str, Any], ...] = field(default=())
