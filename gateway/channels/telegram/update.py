"""An `Update` (https://core.telegram.org/bots/api#update) to the gateway's events, checking the type of every
field it reads: an id that is not a number, a chat that is missing, a location out of range is a clear
`BadRequest` (400), never a crash later. Fields the gateway does not read are not looked at.

Used by the webhook (gateway/channels/telegram) and the polling bot (bots/telegram.py) alike.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from gateway.channels.base import BadRequest
from gateway.channels.events import ButtonPress, Event, GroupText, Inbound

CHANNEL = "telegram"
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_VOICE_BYTES = 10 * 1024 * 1024
MENU_PREFIX = "o:"  # a reporter's menu choice; alert buttons carry signed data starting "a:"
ALERT_PREFIX = "a:"
GROUPS = ("group", "supergroup")
MAX_TEXT = 4096


def _obj(data: dict[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any] | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise BadRequest(f"{where}.{key} must be an object")
    return value


def _int(data: dict[str, Any], key: str, where: str, required: bool = True) -> int | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
        raise BadRequest(f"{where}.{key} must be a whole number")
    return value


def _str(data: dict[str, Any], key: str, where: str, required: bool = False) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{where}.{key} must be a string")
    return value


def _user(data: dict[str, Any], where: str) -> tuple[int, str | None]:
    user = _obj(data, "from", where, required=True)
    assert user is not None
    user_id = int(_int(user, "id", f"{where}.from") or 0)
    if not 0 < user_id < 2**53:  # user ids are positive and fit 52 bits (https://core.telegram.org/bots/api#user)
        raise BadRequest(f"{where}.from.id is not a user id")
    return user_id, (_str(user, "language_code", f"{where}.from")[:2] or None)


def _chat(message: dict[str, Any], where: str) -> tuple[int, str]:
    chat = _obj(message, "chat", where, required=True)
    assert chat is not None
    return int(_int(chat, "id", f"{where}.chat") or 0), _str(chat, "type", f"{where}.chat", required=True)


def _location(message: dict[str, Any]) -> tuple[float, float] | None:
    place = _obj(message, "location", "message")
    if place is None:
        return None
    lat, lon = place.get("latitude"), place.get("longitude")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon)):
        raise BadRequest("message.location needs numeric latitude and longitude")
    assert isinstance(lat, int | float) and isinstance(lon, int | float)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest("message.location out of range")
    return float(lat), float(lon)


def media_of(message: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Photo (largest size under the limit) and voice/audio references of a message, to fetch later."""
    media: list[dict[str, Any]] = []
    sizes = message.get("photo") or []
    if not isinstance(sizes, list):
        raise BadRequest("message.photo must be a list")
    photos = []
    for p in sizes:
        if not isinstance(p, dict) or not isinstance(p.get("file_id"), str):
            raise BadRequest("message.photo[] needs a file_id")
        size = p.get("file_size") if isinstance(p.get("file_size"), int) else None
        if (size or 0) <= MAX_PHOTO_BYTES:
            area = (p.get("width") or 0) * (p.get("height") or 0) if all(
                isinstance(p.get(k) or 0, int) for k in ("width", "height")) else 0
            photos.append((area, size or 0, p["file_id"], size))
    if photos:
        _, _, file_id, size = max(photos)
        media.append({"kind": "photo", "provider": CHANNEL, "file_id": file_id, "size": size})
    for kind in ("voice", "audio"):
        item = _obj(message, kind, "message")
        if item is None:
            continue
        file_id = _str(item, "file_id", f"message.{kind}", required=True)
        size = item.get("file_size") if isinstance(item.get("file_size"), int) else None
        if (size or 0) <= MAX_VOICE_BYTES:
            media.append({"kind": "voice", "provider": CHANNEL, "file_id": file_id, "size": size,
                          "mime_type": _str(item, "mime_type", f"message.{kind}") or None})
    return tuple(media)


def events_of(update: dict[str, Any]) -> tuple[list[Event], str | None]:
    """The events of an update, and the id of a callback query to answer (or None)."""
    update_id = _int(update, "update_id", "update")
    event_id = f"upd:{update_id}"
    received = datetime.now(UTC)
    callback = _obj(update, "callback_query", "update")
    if callback is not None:
        callback_id = _str(callback, "id", "callback_query", required=True)
        user, hint = _user(callback, "callback_query")
        data = _str(callback, "data", "callback_query")
        message = _obj(callback, "message", "callback_query")
        chat_id, chat_type = _chat(message, "callback_query.message") if message is not None else (None, "")
        if data.startswith(ALERT_PREFIX):
            message_id = thread_id = None
            shown = ""
            if message is not None:
                message_id = _int(message, "message_id", "callback_query.message", required=False)
                thread_id = _int(message, "message_thread_id", "callback_query.message", required=False)
                shown = _str(message, "text", "callback_query.message")
            return [ButtonPress(CHANNEL, event_id, data[:300], str(user), None if chat_id is None else str(chat_id),
                                None if message_id is None else str(message_id), thread_id, shown, callback_id)], \
                callback_id
        if data.startswith(MENU_PREFIX) and chat_type == "private":
            return [Inbound(CHANNEL, event_id, f"tg:{user}", data[len(MENU_PREFIX):][:16], received,
                            language_hint=hint)], callback_id
        return [], callback_id
    message = _obj(update, "message", "update")
    if message is None or message.get("from") is None:
        return [], None  # edited messages, channel posts, member updates: nothing for anyone
    user, hint = _user(message, "message")
    chat_id, chat_type = _chat(message, "message")
    text = (_str(message, "text", "message") or _str(message, "caption", "message"))[:MAX_TEXT]
    if chat_type in GROUPS:
        if not _str(message, "text", "message"):
            return [], None
        replied = _obj(message, "reply_to_message", "message")
        replied_id = _int(replied, "message_id", "message.reply_to_message") if replied is not None else None
        return [GroupText(CHANNEL, event_id, str(chat_id), str(user), text,
                          str(_int(message, "message_id", "message")),
                          _int(message, "message_thread_id", "message", required=False),
                          str(replied_id) if replied_id is not None else None)], None
    if chat_type != "private":
        return [], None
    location = _location(message)
    media = media_of(message)
    if not text and location is None and not media:
        return [], None
    return [Inbound(CHANNEL, event_id, f"tg:{user}", text, received, language_hint=hint, location=location,
                    media=media)], None
