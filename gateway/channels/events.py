"""The typed events every channel parses its provider's payload into, and the reply shape it renders.

A channel decides nothing about what an event means: a private message may be a report, a STATUS question
or a member's JOIN; the dispatcher (gateway/intake.py) decides, and hands it to the reporters' conversation
(flows/) or to the centre's work (centres/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Inbound:
    """A person's message in a private chat, an SMS or a USSD hop, whatever channel it came by."""

    channel: str  # "twilio", "ussd", "smsgateway", "telegram", "line"
    provider_id: str  # the provider's message id: the dedup key
    address: str  # E.164 number or channel address ("tg:123", "line:U…"); never logged
    text: str
    received_at: datetime
    language_hint: str | None = None  # e.g. Telegram's language_code
    location: tuple[float, float] | None = None  # (lat, lon)
    media: tuple[dict[str, Any], ...] = field(default=())
    reply_token: str | None = None  # LINE: the single-use token that answers this event for free
    new_session: bool = False  # USSD: the first hop of a dial (the flow may offer to resume)


@dataclass(frozen=True)
class GroupText:
    """A text written in a group chat where a centre works (a Telegram group or forum, a LINE group or room)."""

    channel: str
    event_id: str  # the provider's id of this event (dedup)
    chat: str  # the group's id
    user: str  # who wrote it (Telegram user id, LINE user id)
    text: str
    message_id: str | None = None
    thread_id: int | None = None  # Telegram forum topic
    replied_to: str | None = None  # the message it replies to (Telegram) or quotes (LINE quotedMessageId)
    reply_token: str | None = None  # LINE


@dataclass(frozen=True)
class ButtonPress:
    """A press on a button the gateway put under an alert (the data is signed; checked by centres/)."""

    channel: str
    event_id: str
    data: str
    user: str
    chat: str | None = None
    message_id: str | None = None
    thread_id: int | None = None
    message_text: str = ""  # the alert as shown (Telegram edits it in place)
    callback_id: str | None = None  # Telegram: must always be answered
    reply_token: str | None = None  # LINE


@dataclass(frozen=True)
class Receipt:
    """A provider's delivery receipt for a message the gateway sent."""

    channel: str
    provider_message_id: str
    status: str  # "pending", "sent" or "failed" (the channel's status map)
    error: str = ""


Event = Inbound | GroupText | ButtonPress | Receipt


@dataclass(frozen=True)
class Reply:
    """What the gateway says back to a person, in their language.

    `text` is the whole reply as one SMS carries it. Channels with menus (USSD screens, Telegram keyboards,
    LINE quick replies) render `notice`, `title` and `options` instead. `final` is set when the conversation
    is over (USSD answers END); `ticket` when a report was completed; `step` names the question asked.
    """

    text: str
    language: str
    ticket: str | None = None
    report_id: str | None = None
    step: str | None = None
    title: str = ""
    notice: str = ""
    options: tuple[tuple[str, str], ...] = ()
    final: bool = True

    def to_json(self) -> dict[str, Any]:
        """A JSON form (USSD keeps the last reply in its session to page through it)."""
        return {"text": self.text, "language": self.language, "title": self.title, "notice": self.notice,
                "options": [list(o) for o in self.options], "final": self.final, "ticket": self.ticket,
                "step": self.step}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """Inverse of `to_json`."""
        return cls(text=data["text"], language=data["language"], title=data["title"], notice=data["notice"],
                   options=tuple((str(a), str(b)) for a, b in data["options"]), final=data["final"],
                   ticket=data.get("ticket"), step=data.get("step"))


@dataclass(frozen=True)
class Result:
    """What the dispatcher made of one event: the reply for the person (if any), whether it was a provider's
    redelivery, and for a button press the short answer shown on the button (Telegram's toast)."""

    reply: Reply | None = None
    duplicate: bool = False
    toast: str | None = None

    @property
    def text(self) -> str | None:
        """The reply's text, or None when the person gets no answer."""
        return self.reply.text if self.reply is not None and self.reply.text else None
