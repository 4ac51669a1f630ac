"""The one shape every channel parses its provider's payload into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from i18n.phones import country_language


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


def sender_language(msg: Inbound, raw_profile: dict[Any, Any] | None = None) -> str:
    """The language to answer `msg` in without running the flow: the remembered one, the channel's hint,
    the number's country, else Thai (rate limits, relay thanks, "received, we will reply soon")."""
    profile = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
               for k, v in (raw_profile or {}).items()}
    if profile.get("lang"):
        return str(profile["lang"])
    if msg.language_hint in ("th", "lo", "km", "en"):
        return msg.language_hint
    return (country_language(msg.address) if msg.address.startswith("+") else None) or "th"
