"""What every channel's webhook side shares: the adapter shape, webhook errors with their HTTP status, strict
form parsing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from redis import Redis

from gateway.channels.events import Event, Inbound, Result
from gateway.channels.sending import Outgoing
from gateway.settings import Settings


class WebhookError(Exception):
    """A request the gateway refuses; `status` is the HTTP answer, nothing is stored."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(WebhookError):
    """Malformed body or missing fields."""

    status = 400


class Forbidden(WebhookError):
    """Wrong signature or secret."""

    status = 403


class Unauthorized(WebhookError):
    """Missing or wrong shared secret (USSD, SMSSync)."""

    status = 401


class WebhookNotConfigured(WebhookError):
    """The channel's webhook secret is not set on this gateway."""

    status = 503


def parse_form(body: bytes, content_type: str) -> dict[str, str]:
    """Decode an application/x-www-form-urlencoded body strictly (bad percent-escapes or UTF-8 → 400)."""
    if content_type.split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise BadRequest(f"expected a form body, got {content_type or 'no content type'!r}")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), encoding="utf-8",
                          errors="strict", max_num_fields=200)
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not valid UTF-8") from exc
    except ValueError as exc:
        # Not the parser's message: it quotes the body, and the body may hold a phone number.
        raise BadRequest("malformed form body") from exc
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise BadRequest(f"field {key!r} given twice")
        params[key] = value
    return params


@dataclass(frozen=True)
class WebRequest:
    """A webhook request as the channels see it (no Flask objects inside channel code)."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]
    content_type: str
    method: str
    signed_url: str  # the public URL the provider signed (NTS_PUBLIC_URL + path + query)
    remote_addr: str = ""

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively (HTTP header names are not case-sensitive)."""
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class WebResponse:
    """What the webhook answers."""

    body: str | bytes
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class ChannelContext:
    """All a channel may use: the settings (its secrets and API base) and Redis for its own transport state
    (USSD sessions, the SMSSync outbox). No database, no job queue: what a message means is not its business."""

    settings: Settings
    redis: Redis


@dataclass
class Parsed:
    """What a webhook request carries: events for the dispatcher, and/or an answer that needs none
    (a polling request, LINE's URL check, an event nobody acts on)."""

    events: list[Event] = field(default_factory=list)
    response: WebResponse | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def messages(self) -> list[Inbound]:
        """The person-to-gateway messages among the events (what the spool keeps while Redis is down)."""
        return [e for e in self.events if isinstance(e, Inbound)]


@dataclass(frozen=True)
class Rendered:
    """The webhook's answer, and messages to send after it (chat replies cannot ride the answer)."""

    response: WebResponse
    later: tuple[Outgoing, ...] = ()


@dataclass(frozen=True)
class Adapter:
    """One channel: how to verify and parse its webhook, render the answer, and send to a person.

    Registering an Adapter in `gateway/channels/registry.py` is all it takes to add a channel.
    """

    name: str
    path: str
    # verify returns the decoded body so that parse does not decode it again
    verify: Callable[[ChannelContext, WebRequest], Any]
    parse: Callable[[ChannelContext, WebRequest, Any], Parsed]
    render: Callable[[ChannelContext, Parsed, list[Result]], Rendered]
    # send(ctx, message) -> the provider's message id: a message to a person outside a webhook answer
    send: Callable[[ChannelContext, Outgoing], str] | None = None
    status_map: Mapping[str, str] = field(default_factory=dict)
    methods: tuple[str, ...] = ("POST",)
    # offline(parsed, text): the answer while Redis is down and the messages sit in the spool (no Redis here)
    offline: Callable[[Parsed, str], WebResponse] | None = None
