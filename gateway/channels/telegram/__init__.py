"""Telegram bot in webhook mode: `POST /webhooks/telegram` receives an `Update`
(https://core.telegram.org/bots/api#update), checked with `X-Telegram-Bot-Api-Secret-Token`
(the secret given to setWebhook, https://core.telegram.org/bots/api#setwebhook).

Reports come from private chats; groups are where centres receive alerts, so group messages are not
reports. `update_id` is the dedup key. Menus become inline keyboards whose buttons send the option number
back as callback data; every callback query is answered (in the webhook response itself, which the Bot
API allows for one method). Replies go out through the Bot API as jobs, plain text (no Markdown an
underscore could break). The polling bot (`ntswatch telegram`, bots/telegram.py) shares this parsing.
"""

from __future__ import annotations

import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any

from flows import keys
from flows.engine import Reply
from flows.inbound import Inbound
from gateway.channels.base import (
    Adapter,
    BadRequest,
    Forbidden,
    NotConfigured,
    Parsed,
    WebRequest,
    WebResponse,
)
from gateway.intake import Accepted
from i18n import DEFAULT_LANGUAGE
from i18n.catalog import text as t
from reports.membership import JOIN_COMMAND
from workers import actions, relay
from workers.broadcasts import BROADCAST_COMMAND
from workers.context import Context
from workers.queue import get_queue

CHANNEL = "telegram"
INVITE = re.compile(r"^/invite\s+([A-Za-z]+)\s+(.{1,80})$", re.IGNORECASE)
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_VOICE_BYTES = 10 * 1024 * 1024
CALLBACK_PREFIX = "o:"
LOCATION_BUTTON = "@location"  # reporter menu choices; centre alert buttons (signed) use other prefixes


def verify(ctx: Context, req: WebRequest) -> dict[str, Any]:
    """The secret token Telegram echoes in every webhook call, compared in constant time."""
    secret = ctx.settings.telegram_webhook_secret
    if not secret:
        raise NotConfigured("TELEGRAM_WEBHOOK_SECRET is not set on this gateway")
    given = req.header("X-Telegram-Bot-Api-Secret-Token") or ""
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise Forbidden("X-Telegram-Bot-Api-Secret-Token does not match")
    try:
        update = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("body is not UTF-8 JSON") from exc
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise BadRequest("not a Telegram Update (no update_id)")
    return update


def media_of(message: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Photo (largest size under the limit) and voice/audio references of a message, to fetch later."""
    media: list[dict[str, Any]] = []
    photos = [p for p in message.get("photo") or [] if (p.get("file_size") or 0) <= MAX_PHOTO_BYTES]
    if photos:
        best = max(photos, key=lambda p: (p.get("width", 0) * p.get("height", 0), p.get("file_size") or 0))
        media.append({"kind": "photo", "provider": CHANNEL, "file_id": best["file_id"],
                      "size": best.get("file_size")})
    for kind in ("voice", "audio"):
        item = message.get(kind)
        if isinstance(item, dict) and (item.get("file_size") or 0) <= MAX_VOICE_BYTES:
            media.append({"kind": "voice", "provider": CHANNEL, "file_id": item["file_id"],
                          "size": item.get("file_size"), "mime_type": item.get("mime_type")})
    return tuple(media)


def inbound_of(update: dict[str, Any]) -> tuple[Inbound | None, dict[str, Any] | None]:
    """The reporter's message in an update (or None), and a callback query to answer (or None)."""
    received = datetime.now(UTC)
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        data = str(callback.get("data") or "")
        message = callback.get("message") or {}
        chat = message.get("chat") or {}
        user = callback.get("from") or {}
        if not data.startswith(CALLBACK_PREFIX) or chat.get("type") != "private" or "id" not in user:
            return None, callback
        return Inbound(CHANNEL, f"upd:{update['update_id']}", f"tg:{user['id']}", data[len(CALLBACK_PREFIX):],
                       received, language_hint=(user.get("language_code") or "")[:2] or None), callback
    message = update.get("message")
    if not isinstance(message, dict):
        return None, None  # edited messages, channel posts, member updates: nothing to report
    chat, user = message.get("chat") or {}, message.get("from") or {}
    if chat.get("type") != "private" or "id" not in user:
        return None, None
    location = message.get("location")
    loc = (float(location["latitude"]), float(location["longitude"])) if isinstance(location, dict) else None
    text = str(message.get("text") or message.get("caption") or "")
    media = media_of(message)
    if not text and loc is None and not media:
        return None, None
    return Inbound(CHANNEL, f"upd:{update['update_id']}", f"tg:{user['id']}", text, received,
                   language_hint=(user.get("language_code") or "")[:2] or None, location=loc, media=media), None


def parse(ctx: Context, req: WebRequest, update: dict[str, Any]) -> Parsed:
    """A report message or menu choice; an alert button; anything else is acknowledged (200) so Telegram
    does not retry."""
    msg, callback = inbound_of(update)
    extra = {"callback_id": callback.get("id") if callback else None}
    if group_question(ctx, update):
        return Parsed(response=WebResponse("", 200), extra=extra)
    if callback is not None and str(callback.get("data") or "").startswith(actions.PREFIX):
        answer = alert_button(ctx, callback)
        return Parsed(response=_answer_callback(extra["callback_id"], answer), extra=extra)
    if msg is None:
        return Parsed(response=_answer_callback(extra["callback_id"]), extra=extra)
    if callback is None and membership_command(ctx, msg):
        return Parsed(response=WebResponse("", 200), extra=extra)
    return Parsed([msg], extra=extra)


def membership_command(ctx: Context, msg: Inbound) -> bool:
    """`JOIN <code>` from a new member, `/invite <role> <name>` or `/broadcast <text>` from a head or
    secretary: handled by a job (once per update), not by the report flow."""
    join, invite = JOIN_COMMAND.match(msg.text.strip()), INVITE.match(msg.text.strip())
    broadcast = BROADCAST_COMMAND.match(msg.text.strip())
    if join is None and invite is None and broadcast is None:
        return False
    if ctx.redis.set(keys.dedup("telegram-member", msg.provider_id), 1, nx=True, ex=ctx.settings.dedup_ttl_s):
        user = int(msg.address[3:])
        if join is not None:
            get_queue(ctx.redis).enqueue_call("workers.joining.join", args=(join.group(1), CHANNEL, str(user),
                                                                            str(user), msg.language_hint))
        elif invite is not None:
            get_queue(ctx.redis).enqueue_call("workers.joining.invite", args=(user, user, invite.group(1).lower(),
                                                                              invite.group(2).strip()))
        elif broadcast is not None:  # a head or secretary's awareness message (workers/broadcasts.py)
            get_queue(ctx.redis).enqueue_call("workers.broadcasts.from_bot", args=(
                CHANNEL, str(user), str(user), (broadcast.group(1) or "").strip()[:1000]))
    return True


def alert_button(ctx: Context, callback: dict[str, Any]) -> str:
    """A press on an alert button: checked (signature, membership), applied by a job; the text to show."""
    decoded = actions.verify(ctx.settings.secret_key, str(callback.get("data") or ""))
    user = callback.get("from") or {}
    message = callback.get("message") or {}
    if decoded is None or "id" not in user:
        return t(DEFAULT_LANGUAGE, "act_not_member")
    action, ticket, center_id = decoded
    center = ctx.centers.by_id.get(center_id)
    member = actions.member_by_telegram(center, int(user["id"])) if center else None
    if center is None or member is None:
        get_queue(ctx.redis).enqueue_call("workers.actions.refuse",
                                          args=(ticket, center_id, "telegram", f"user:{user['id']}"))
        return t(center.language if center else DEFAULT_LANGUAGE, "act_not_member")
    chat = message.get("chat") or {}
    if action == actions.ASK:
        relay.open_question(ctx, CHANNEL, str(chat.get("id")), str(user["id"]), ticket, center_id,
                            {"name": member.name, "role": member.role})
        get_queue(ctx.redis).enqueue_call("workers.relay.prompt", args=(
            CHANNEL, {"chat_id": chat.get("id"), "thread_id": message.get("message_thread_id"), "user_id": user["id"]},
            ticket, center_id,
            {"name": member.name, "role": member.role}))
        return t(center.language, "ask_placeholder")
    get_queue(ctx.redis).enqueue_call(
        "workers.actions.apply_telegram_action",
        args=(ticket, action, center_id, {"name": member.name, "role": member.role},
              int((message.get("chat") or {}).get("id", 0)), int(message.get("message_id", 0)),
              str(message.get("text") or "")))
    return t(center.language, "act_received")


def group_question(ctx: Context, update: dict[str, Any]) -> bool:
    """A member's message in a centre's group after they pressed "ask the reporter", or their reply to the
    prompt: relayed by a job. Other group messages are the group's own conversation and are left alone
    (one Redis read; one more for a reply)."""
    message = update.get("message")
    if not isinstance(message, dict):
        return False
    chat, user = message.get("chat") or {}, message.get("from") or {}
    text = str(message.get("text") or "").strip()
    if chat.get("type") not in ("group", "supergroup") or "id" not in user or not text:
        return False
    pending = relay.take_question(ctx, CHANNEL, str(chat.get("id")), str(user["id"]))
    replied_to = (message.get("reply_to_message") or {}).get("message_id")
    if pending is None and replied_to is not None:  # a reply to an "ask" prompt, the window closed or not
        prompt = relay.prompt_answered(ctx, str(chat.get("id")), str(replied_to))
        center = ctx.centers.by_id.get(prompt["center"]) if prompt else None
        if prompt is None or center is None:
            return False
        if not ctx.redis.set(keys.dedup("telegram-ask", str(update["update_id"])), 1, nx=True,
                             ex=ctx.settings.dedup_ttl_s):
            return True  # a redelivered reply: asked the first time
        member = actions.member_by_telegram(center, int(user["id"]))
        if member is None:
            get_queue(ctx.redis).enqueue_call("workers.actions.refuse", args=(
                prompt["ticket"], center.id, "telegram", f"user:{user['id']}"))
            return True
        pending = {**prompt, "member": {"name": member.name, "role": member.role}}
    if pending is None:
        return False
    get_queue(ctx.redis).enqueue_call("workers.relay.ask_from_group", args=(pending, text[:1000], {
        "kind": CHANNEL, "chat_id": chat["id"], "thread_id": message.get("message_thread_id"),
        "message_id": message.get("message_id")}), job_id=f"tg-ask-{update['update_id']}")
    return True


def _answer_callback(callback_id: str | None, text: str | None = None) -> WebResponse:
    if not callback_id:
        return WebResponse("", 200)
    answer: dict[str, Any] = {"method": "answerCallbackQuery", "callback_query_id": callback_id}
    if text:
        answer["text"] = text
    return WebResponse(json.dumps(answer, ensure_ascii=False), 200, "application/json")


def render(ctx: Context, parsed: Parsed, results: list[Accepted]) -> WebResponse:
    """Queue the reply (with the menu as buttons) and answer the callback query, if any, right here."""
    from workers.outbound import queue_reply

    result = results[0]
    msg = parsed.messages[0]
    if result.reply and not result.duplicate:
        options = reply_options(result.reply_info)
        queue_reply(ctx, CHANNEL, msg.address, result.reply, dedup_key=f"tg-{msg.provider_id}", options=options)
    return _answer_callback(parsed.extra.get("callback_id"))


def offline(parsed: Parsed, text: str) -> WebResponse:
    """While Redis is down: "received, we will reply soon" as a sendMessage in the webhook answer itself
    (https://core.telegram.org/bots/api#making-requests-when-getting-updates), no outbound call."""
    address = parsed.messages[0].address
    if not address.startswith("tg:"):
        return WebResponse("", 200)
    return WebResponse(json.dumps({"method": "sendMessage", "chat_id": int(address[3:]), "text": text},
                                  ensure_ascii=False), 200, "application/json")


def reply_options(info: Reply | None) -> list[list[str]]:
    """The buttons under a reply: the menu's options, or the share-location button when asking "where?"."""
    if info is None:
        return []
    if info.step == "place":
        return [[LOCATION_BUTTON, t(info.language, "share_location")]]
    return [list(o) for o in info.options]


def keyboard(options: list[list[str]]) -> dict[str, Any] | None:
    """Reply markup: numbered options as inline buttons (two per row), or the share-location button."""
    if not options:
        return None
    if options[0][0] == LOCATION_BUTTON:
        return {"keyboard": [[{"text": options[0][1], "request_location": True}]], "resize_keyboard": True,
                "one_time_keyboard": True}
    buttons = [{"text": f"{n}. {label}", "callback_data": f"{CALLBACK_PREFIX}{n}"} for n, label in options]
    return {"inline_keyboard": [buttons[i:i + 2] for i in range(0, len(buttons), 2)]}


def send(ctx: Context, address: str, text: str, options: list[list[str]] | None = None) -> str:
    """A message to a reporter's private chat through the Bot API."""
    from workers.senders import telegram

    if not address.startswith("tg:"):
        raise BadRequest("not a Telegram address")
    target: dict[str, Any] = {"chat_id": int(address[3:])}
    markup = keyboard(options or [])
    if markup:
        target["reply_markup"] = markup
    return telegram.send(ctx.settings, target, text)


ADAPTER = Adapter(name=CHANNEL, path="/webhooks/telegram", verify=verify, parse=parse, render=render, send=send,
                  offline=offline)
