"""LINE Messaging API webhook: `POST /webhooks/line`, events in `{destination, events: [...]}`
(https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects), signed with
`X-Line-Signature` = base64(HMAC-SHA256(channel secret, raw body)), checked with line-bot-sdk's validator.

Events: a 1:1 chat's message, location, photo, recording or menu postback is an `Inbound`; a text in a
group or room (where centres sit) is a `GroupText`; a postback of an alert button is a `ButtonPress`.
`webhookEventId` is the dedup key (a redelivery, `deliveryContext.isRedelivery`, carries the same id). Each
event is parsed on its own: a malformed one is left out and logged, the rest of the delivery goes through.
The answer must come within 2 s, so replies go after it: the single-use reply token first, then a push with
`X-Line-Retry-Key`. Menus become quick replies (≤ 13).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from gateway.channels.base import (
    Adapter,
    BadRequest,
    ChannelContext,
    Forbidden,
    Parsed,
    Rendered,
    WebhookNotConfigured,
    WebRequest,
    WebResponse,
)
from gateway.channels.events import ButtonPress, Event, GroupText, Inbound, Result
from gateway.channels.line import client
from gateway.channels.sending import Outgoing, SendError

log = logging.getLogger("ntswatch.line")
CHANNEL = "line"
MENU_PREFIX = client.MENU_PREFIX
ALERT_PREFIX = "a:"
MAX_TEXT = 5000


def verify(cc: ChannelContext, req: WebRequest) -> dict[str, Any]:
    """Signature over the raw body, then the JSON."""
    secret = cc.settings.line_channel_secret
    if not secret:
        raise WebhookNotConfigured("LINE_CHANNEL_SECRET is not set on this gateway")
    try:
        body = req.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8") from exc
    from linebot.v3 import SignatureValidator  # line-bot-sdk loads its models with it: only LINE requests pay

    if not SignatureValidator(secret).validate(body, req.header("X-Line-Signature") or ""):
        raise Forbidden("X-Line-Signature does not match")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest("body is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise BadRequest("expected {destination, events: [...]}")
    return data


class EventError(ValueError):
    """One event of a delivery is malformed (it is left out; the others are handled)."""


def _str(value: Any, what: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or (required and str(value) == ""):
        raise EventError(f"{what} missing or not a string")
    return str(value)


def event_of(event: Any) -> Event | None:
    """The event's meaning for the gateway (None: nothing to act on); EventError when malformed."""
    if not isinstance(event, dict):
        raise EventError("an event must be an object")
    source = event.get("source")
    if not isinstance(source, dict):
        raise EventError("source missing")
    kind, received = event.get("type"), datetime.now(UTC)
    event_id = _str(event.get("webhookEventId") or hashlib.sha256(json.dumps(event, sort_keys=True).encode())
                    .hexdigest(), "webhookEventId")
    token = _str(event.get("replyToken"), "replyToken", required=False) or None
    user = _str(source.get("userId"), "source.userId", required=False)
    group = _str(source.get("groupId") or source.get("roomId"), "source.groupId", required=False)
    if kind == "postback":
        postback = event.get("postback")
        data = _str(postback.get("data") if isinstance(postback, dict) else None, "postback.data")
        if data.startswith(ALERT_PREFIX):
            return ButtonPress(CHANNEL, event_id, data, user, group or None, reply_token=token)
        if source.get("type") == "user" and user and data.startswith(MENU_PREFIX):
            return Inbound(CHANNEL, event_id, f"line:{user}", data[len(MENU_PREFIX):], received, reply_token=token)
        return None
    if source.get("type") in ("group", "room"):
        message = event.get("message")
        if kind != "message" or not isinstance(message, dict) or message.get("type") != "text" or not user:
            return None  # joins, stickers, photos in the group: the group's own business
        quoted = message.get("quotedMessageId")
        return GroupText(CHANNEL, event_id, group, user, _str(message.get("text"), "message.text")[:MAX_TEXT],
                         _str(message.get("id"), "message.id", required=False) or None, None,
                         str(quoted) if quoted else None, token)
    if source.get("type") != "user" or not user:
        return None
    address = f"line:{user}"
    if kind == "follow":
        return Inbound(CHANNEL, event_id, address, "", received, reply_token=token)  # a new friend: first question
    if kind != "message":
        return None
    message = event.get("message")
    if not isinstance(message, dict):
        raise EventError("message missing")
    mtype = message.get("type")
    if mtype == "text":
        return Inbound(CHANNEL, event_id, address, _str(message.get("text"), "message.text")[:MAX_TEXT], received,
                       reply_token=token)
    if mtype == "location":
        try:
            loc = (float(message["latitude"]), float(message["longitude"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise EventError("location message without coordinates") from exc
        if not (-90 <= loc[0] <= 90 and -180 <= loc[1] <= 180):
            raise EventError("location out of range")
        return Inbound(CHANNEL, event_id, address, "", received, location=loc, reply_token=token)
    if mtype in ("image", "audio"):
        media = {"kind": "photo" if mtype == "image" else "voice", "provider": CHANNEL,
                 "message_id": _str(message.get("id"), "message.id"), "size": None}
        return Inbound(CHANNEL, event_id, address, "", received, media=(media,), reply_token=token)
    return None  # stickers, video, files: not part of a report


def parse(cc: ChannelContext, req: WebRequest, data: dict[str, Any]) -> Parsed:
    """Every event of the request, each on its own; an empty list (LINE's URL check) answers 200."""
    events: list[Event] = []
    refused = 0
    for raw in data["events"]:
        try:
            found = event_of(raw)
        except EventError as exc:
            refused += 1
            log.warning("line event left out: %s", exc)
            continue
        if found is not None:
            events.append(found)
    return Parsed(events, response=WebResponse("", 200), extra={"refused": refused})


def render(cc: ChannelContext, parsed: Parsed, results: list[Result]) -> Rendered:
    """Every reply goes after the 200 (reply token first, push as fallback)."""
    later = []
    for event, result in zip(parsed.events, results, strict=True):
        if isinstance(event, Inbound) and result.reply and result.reply.text and not result.duplicate:
            later.append(Outgoing(CHANNEL, event.address, result.reply.text,
                                  f"line-{hashlib.sha256(event.provider_id.encode()).hexdigest()[:32]}",
                                  options=result.reply.options, reply_token=event.reply_token))
    return Rendered(WebResponse("", 200), tuple(later))


def send(cc: ChannelContext, out: Outgoing) -> str:
    """A message to a person: the event's reply token while it is valid, else a push (costs quota) with a retry
    key derived from the send's name, so a retried job is accepted once."""
    if not out.address.startswith("line:"):
        raise BadRequest("not a LINE address")
    message = client.text_message(out.text, out.options)
    if out.reply_token:
        try:
            return client.reply(cc.settings, out.reply_token, [message]) or "reply"
        except SendError as exc:
            if not exc.permanent:  # 400: the token expired or was used; anything else is worth a retry
                raise
    return client.push(cc.settings, out.address[5:], [message], client.retry_key(out.dedup_key))


ADAPTER = Adapter(name=CHANNEL, path="/webhooks/line", verify=verify, parse=parse, render=render, send=send)
