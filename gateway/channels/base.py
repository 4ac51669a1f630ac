"""What every channel shares: the adapter shape, webhook errors with their HTTP status, form parsing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flows.inbound import Inbound

if TYPE_CHECKING:
    from gateway.intake import Accepted
    from workers.context import Context


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


class NotConfigured(WebhookError):
    """The channel's credentials are not set on this gateway."""

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


@dataclass
class Parsed:
    """What a webhook request carries: reporter messages, and/or an answer that needs no flow step
    (a polling request, a follow event, a delivery receipt)."""

    messages: list[Inbound] = field(default_factory=list)
    response: WebResponse | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Adapter:
    """One reporter channel: how to verify and parse its webhook, render the reply, and send outbound.

    Registering an Adapter in `gateway/channels/registry.py` is all it takes to add a channel.
    """

    name: str
    path: str
    # verify returns the decoded body so that parse does not decode it again
    verify: Callable[[Context, WebRequest], Any]
    parse: Callable[[Context, WebRequest, Any], Parsed]
    render: Callable[[Context, Parsed, list[Accepted]], WebResponse]
    # send(ctx, address, text, options): options are numbered menu choices a channel may render as buttons
    send: Callable[[Context, str, str, list[list[str]]], str] | None = None
    status_map: Mapping[str, str] = field(default_factory=dict)
    methods: tuple[str, ...] = ("POST",)
    # offline(parsed, text): the answer while Redis is down and the messages sit in the spool (no Redis here)
    offline: Callable[[Parsed, str], WebResponse] | None = None
