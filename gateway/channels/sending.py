"""What every channel's sending side shares: the errors a provider call ends in, and the message to a
person that a channel sends outside a webhook answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class SendError(Exception):
    """Sending failed; `retry_after` (seconds) is set when the provider said when to try again, `permanent`
    when trying again cannot help (a 400/403: blocked bot, unknown chat)."""

    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class NotConfigured(SendError):
    """The gateway has no credentials for this provider (e.g. no TELEGRAM_BOT_TOKEN): one line in the log and
    the send is skipped, never retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Outgoing:
    """A message to one person (a reporter, or a member in a private chat) on one channel.

    `options` are numbered menu choices a channel may render as buttons; `reply_token` is LINE's single-use
    token of the event being answered; `retry_key` makes a retried LINE push idempotent; `dedup_key` names the
    send for the send-once ledger.
    """

    channel: str
    address: str
    text: str
    dedup_key: str
    options: tuple[tuple[str, str], ...] = ()
    reply_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, encrypt: Any) -> dict[str, Any]:
        """A JSON form for a job, the address encrypted with `encrypt` (identity stays home, even in Redis)."""
        return {"channel": str(self.channel), "address": encrypt(self.address), "text": self.text,
                "dedup_key": self.dedup_key, "options": [list(o) for o in self.options],
                "reply_token": self.reply_token, "extra": self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any], decrypt: Any) -> Outgoing:
        """Inverse of `to_json`."""
        return cls(channel=data["channel"], address=decrypt(data["address"]), text=data["text"],
                   dedup_key=data["dedup_key"], options=tuple((str(a), str(b)) for a, b in data.get("options", ())),
                   reply_token=data.get("reply_token"), extra=dict(data.get("extra") or {}))
