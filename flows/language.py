"""Which language to answer a person in when the conversation engine does not run (a rate limit, thanks for
an answer to the centre, "received, we will reply soon" while Redis is down)."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.channels.events import Inbound
from i18n import DEFAULT_LANGUAGE, LANGUAGES
from i18n.phones import country_language


def sender_language(msg: Inbound, profile: Mapping[str, str] | None = None) -> str:
    """The remembered language, the channel's hint, the number's country, else Thai."""
    remembered = (profile or {}).get("lang")
    if remembered in LANGUAGES:
        return str(remembered)
    if msg.language_hint in LANGUAGES:
        return str(msg.language_hint)
    return (country_language(msg.address) if msg.address.startswith("+") else None) or DEFAULT_LANGUAGE
