"""Answering a member where they acted: in the Telegram group (or private chat) or topic, with a LINE reply
token (a push to the group when it has expired), or by SMS. `origin` is the small JSON description of that
place the member events carry through their jobs."""

from __future__ import annotations

from typing import Any

from gateway.channels.line import client as line
from gateway.channels.sending import SendError
from gateway.channels.sms import send_sms
from gateway.channels.telegram import client as telegram
from reports.context import Context


def telegram_origin(chat_id: int | str, thread_id: int | None = None, reply_to: str | int | None = None,
                    user_id: str | None = None) -> dict[str, Any]:
    """A Telegram chat (and topic, and the message answered)."""
    return {"surface": "telegram", "chat_id": int(chat_id), "thread_id": thread_id,
            "reply_to": int(reply_to) if reply_to and str(reply_to).isdigit() else None, "user_id": user_id}


def line_origin(reply_token: str | None, to: str | None = None) -> dict[str, Any]:
    """A LINE event's reply token, and the group or user to push to when it has expired."""
    return {"surface": "line", "reply_token": reply_token or "", "to": to or ""}


def say(ctx: Context, origin: dict[str, Any], text: str, key: str | None = None) -> str:
    """Send `text` where `origin` points; the provider's message id ("" when there is nowhere to answer).

    `key` names the message for LINE's push retry key (the reply token is single-use and short-lived)."""
    surface = origin.get("surface")
    if surface == "telegram":
        return telegram.send(ctx.settings, {"chat_id": origin["chat_id"], "thread_id": origin.get("thread_id"),
                                            "reply_to": origin.get("reply_to"),
                                            "no_preview": origin.get("no_preview")}, text)
    if surface == "line":
        if origin.get("reply_token"):
            try:
                return line.reply_text(ctx.settings, origin["reply_token"], text)
            except SendError as exc:
                if not exc.permanent or not origin.get("to") or key is None:
                    raise
        if origin.get("to") and key is not None:
            return line.push(ctx.settings, origin["to"], [line.text_message(text)], line.retry_key(key))
        return ""
    if surface == "sms" and origin.get("to"):
        return send_sms(ctx.settings, origin["to"], text)
    return ""
