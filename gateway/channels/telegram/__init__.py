"""Telegram: `POST /webhooks/telegram` receives an `Update` (https://core.telegram.org/bots/api#update),
checked with `X-Telegram-Bot-Api-Secret-Token` (the secret given to setWebhook,
https://core.telegram.org/bots/api#setwebhook); `update.py` reads it into events.

Events: a private message or menu choice is an `Inbound`; a text in a group (where centres sit) is a
`GroupText`; a press on an alert button (data `a:…`) is a `ButtonPress`. `update_id` is the dedup key.
Every callback query is answered, in the webhook response itself (the Bot API allows one method there);
replies go out after it, plain text (no Markdown an underscore could break), menus as inline buttons. The
polling bot (`bots/telegram.py`) feeds the updates it fetches to the same `events_of`.
"""

from __future__ import annotations

import hmac
import json
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
from gateway.channels.events import Inbound, Reply, Result
from gateway.channels.sending import Outgoing
from gateway.channels.telegram import client
from gateway.channels.telegram.update import CHANNEL, MENU_PREFIX, events_of
from i18n.catalog import text as t

LOCATION_BUTTON = "@location"  # the share-location button in place of menu options


def verify(cc: ChannelContext, req: WebRequest) -> dict[str, Any]:
    """The secret token Telegram echoes in every webhook call (constant-time), then the JSON."""
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
    return data


def parse(cc: ChannelContext, req: WebRequest, update: dict[str, Any]) -> Parsed:
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
