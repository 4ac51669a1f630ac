"""One sender per centre notify kind: send(target, text) -> provider message id, or raise."""

from __future__ import annotations


class SendError(Exception):
    """Sending failed; `retry_after` (seconds) is set when the provider said when to try again."""

    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class NotConfigured(Exception):
    """The gateway has no credentials for this channel (e.g. no TELEGRAM_BOT_TOKEN)."""
