"""Telegram: `POST /webhooks/telegram` receives an `Update` (https://core.telegram.org/bots/api#update),
checked with `X-Telegram-Bot-Api-Secret-Token` (the secret given to setWebhook,
https://core.telegram.org/bots/api#setwebhook) and validated as aiogram's typed `Update`.

Events: a private message or menu choice is an `Inbound`; a text in a group (where centres sit) is a
`GroupText`; a press on an alert button (data `a:…`) is a `ButtonPress`. `update_id` is the dedup key.
Every callback query is answered, in the webhook response itself (the Bot API allows one method there);
replies go out after it, plain text (no Markdown an underscore could break), menus as inline buttons. The
polling bot (`bots/telegram.py`) feeds the same typed Update to `events_of`.
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import Any

from aiogram.types import Message, Update
from pydantic import ValidationError

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
from gateway.channels.events import ButtonPress, Event, GroupText, Inbound, Reply, Result
from gateway.channels.sending import Outgoing
from gateway.channels.telegram import client
from i18n.catalog import text as t

CHANNEL = "telegram"
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_VOICE_BYTES = 10 * 1024 * 1024
MENU_PREFIX = "o:"  # a reporter's menu choice; alert buttons carry signed data starting "a:"
ALERT_PREFIX = "a:"
LOCATION_BUTTON = "@location"  # the share-location button in place of menu options
GROUPS = ("group", "supergroup")


def verify(cc: ChannelContext, req: WebRequest) -> Update:
    """The secret token Telegram echoes in every webhook call (constant-time), then the typed Update."""
    secret = cc.settings.telegram_webhook_secret
    if not secret:
        raise WebhookNotConfigured("TELEGRAM_WEBHOOK_SECRET is not set on this gateway")
    given = req.header("X-Telegram-Bot-Api-Secret-Token") or ""
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise Forbidden("X-Telegram-Bot-Api-Secret-Token does not match")
    try:
        data = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("body is not UTF-8 JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise BadRequest("not a Telegram Update (no update_id)")
    try:
        return Update.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})[:3]
        raise BadRequest(f"not a Telegram Update ({', '.join(fields)})") from None


def media_of(message: Message) -> tuple[dict[str, Any], ...]:
    """Photo (largest size under the limit) and voice/audio references of a message, to fetch later."""
    media: list[dict[str, Any]] = []
    photos = [p for p in message.photo or [] if (p.file_size or 0) <= MAX_PHOTO_BYTES]
    if photos:
        best = max(photos, key=lambda p: (p.width * p.height, p.file_size or 0))
        media.append({"kind": "photo", "provider": CHANNEL, "file_id": best.file_id, "size": best.file_size})
    for item in (message.voice, message.audio):
        if item is not None and (item.file_size or 0) <= MAX_VOICE_BYTES:
            media.append({"kind": "voice", "provider": CHANNEL, "file_id": item.file_id, "size": item.file_size,
                          "mime_type": item.mime_type})
    return tuple(media)


def _hint(language_code: str | None) -> str | None:
    return (language_code or "")[:2] or None


def events_of(update: Update) -> tuple[list[Event], str | None]:
    """The events of an update, and the id of a callback query to answer (or None)."""
    received = datetime.now(UTC)
    event_id = f"upd:{update.update_id}"
    callback = update.callback_query
    if callback is not None:
        data = callback.data or ""
        message = callback.message
        chat = message.chat if message is not None else None
        user = callback.from_user
        if data.startswith(ALERT_PREFIX):
            text = message.text or "" if isinstance(message, Message) else ""
            return [ButtonPress(CHANNEL, event_id, data, str(user.id), str(chat.id) if chat else None,
                                str(message.message_id) if message is not None else None,
                                getattr(message, "message_thread_id", None), text or "", callback.id)], callback.id
        if data.startswith(MENU_PREFIX) and chat is not None and chat.type == "private":
            return [Inbound(CHANNEL, event_id, f"tg:{user.id}", data[len(MENU_PREFIX):], received,
                            language_hint=_hint(user.language_code))], callback.id
        return [], callback.id
    message = update.message
    if message is None or message.from_user is None:
        return [], None  # edited messages, channel posts, member updates: nothing for anyone
    user = message.from_user
    if message.chat.type in GROUPS:
        if not message.text:
            return [], None
        replied = message.reply_to_message
        return [GroupText(CHANNEL, event_id, str(message.chat.id), str(user.id), message.text,
                          str(message.message_id), message.message_thread_id,
                          str(replied.message_id) if replied is not None else None)], None
    if message.chat.type != "private":
        return [], None
    loc = (message.location.latitude, message.location.longitude) if message.location else None
    text = message.text or message.caption or ""
    media = media_of(message)
    if not text and loc is None and not media:
        return [], None
    return [Inbound(CHANNEL, event_id, f"tg:{user.id}", text, received, language_hint=_hint(user.language_code),
                    location=loc, media=media)], None


def parse(cc: ChannelContext, req: WebRequest, update: Update) -> Parsed:
    """The update's events; an update with none is acknowledged (200) so Telegram does not retry it."""
    events, callback_id = events_of(update)
    response = None if events else _answer_callback(callback_id)
    return Parsed(events, response=response, extra={"callback_id": callback_id})


def _answer_callback(callback_id: str | None, text: str | None = None) -> WebResponse:
    if not callback_id:
        return WebResponse("", 200)
    answer: dict[str, Any] = {"method": "answerCallbackQuery", "callback_query_id": callback_id}
    if text:
        answer["text"] = text
    return WebResponse(json.dumps(answer, ensure_ascii=False), 200, "application/json")


def render(cc: ChannelContext, parsed: Parsed, results: list[Result]) -> Rendered:
    """Answer the callback query in the response; the reply (with its menu as buttons) goes after it."""
    later: list[Outgoing] = []
    toast = None
    for event, result in zip(parsed.events, results, strict=True):
        toast = result.toast or toast
        if isinstance(event, Inbound) and result.reply and result.reply.text and not result.duplicate:
            later.append(Outgoing(CHANNEL, event.address, result.reply.text, f"tg-{event.provider_id}",
                                  options=reply_options(result.reply)))
    return Rendered(_answer_callback(parsed.extra.get("callback_id"), toast), tuple(later))


def offline(parsed: Parsed, text: str) -> WebResponse:
    """While Redis is down: "received, we will reply soon" as a sendMessage in the webhook answer itself
    (https://core.telegram.org/bots/api#making-requests-when-getting-updates), no outbound call."""
    address = parsed.messages[0].address if parsed.messages else ""
    if not address.startswith("tg:"):
        return WebResponse("", 200)
    return WebResponse(json.dumps({"method": "sendMessage", "chat_id": int(address[3:]), "text": text},
                                  ensure_ascii=False), 200, "application/json")


def reply_options(reply: Reply | None) -> tuple[tuple[str, str], ...]:
    """The buttons under a reply: the menu's options, or the share-location button when asking "where?"."""
    if reply is None:
        return ()
    if reply.step == "place":
        return ((LOCATION_BUTTON, t(reply.language, "share_location")),)
    return reply.options


def keyboard(options: tuple[tuple[str, str], ...] | list[list[str]]) -> dict[str, Any] | None:
    """Reply markup: numbered options as inline buttons (two per row), or the share-location button."""
    if not options:
        return None
    if options[0][0] == LOCATION_BUTTON:
        return {"keyboard": [[{"text": options[0][1], "request_location": True}]], "resize_keyboard": True,
                "one_time_keyboard": True}
    buttons = [{"text": f"{n}. {label}", "callback_data": f"{MENU_PREFIX}{n}"} for n, label in options]
    return {"inline_keyboard": [buttons[i:i + 2] for i in range(0, len(buttons), 2)]}


def send(cc: ChannelContext, out: Outgoing) -> str:
    """A message to a person's private chat through the Bot API."""
    if not out.address.startswith("tg:"):
        raise BadRequest("not a Telegram address")
    target: dict[str, Any] = {"chat_id": int(out.address[3:])}
    markup = keyboard(out.options)
    if markup:
        target["reply_markup"] = markup
    return client.send(cc.settings, target, out.text)


ADAPTER = Adapter(name=CHANNEL, path="/webhooks/telegram", verify=verify, parse=parse, render=render, send=send,
                  offline=offline)
