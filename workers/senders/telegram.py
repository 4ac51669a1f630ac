"""Alerts to a centre's Telegram group (and forum topic) through aiogram, at TELEGRAM_API_BASE.

Bot API sendMessage: https://core.telegram.org/bots/api#sendmessage — 429 carries `retry_after`.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import (
    ForceReply,
    FSInputFile,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyParameters,
    User,
)

from gateway.settings import Settings
from workers.senders import NotConfigured, SendError


def markup_from(data: dict[str, Any] | None) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ForceReply | None:
    """aiogram's markup object for a reply_markup dict (inline buttons, a reply keyboard or a ForceReply)."""
    if not data:
        return None
    if "keyboard" in data:
        return ReplyKeyboardMarkup.model_validate(data)
    if data.get("force_reply"):
        return ForceReply.model_validate(data)
    return InlineKeyboardMarkup.model_validate(data)


def make_bot(settings: Settings) -> Bot:
    """An aiogram Bot pointed at TELEGRAM_API_BASE (a self-hosted Bot API server or a test server)."""
    if not settings.telegram_bot_token:
        raise NotConfigured("TELEGRAM_BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(settings.telegram_bot_token, session=session)


class _BotLoop:
    """One event-loop thread per process and one Bot per (token, API base), reused for every call.

    A Bot per call (asyncio.run, then session.close) costs ~280 ms: aiogram's close waits 250 ms for TLS
    shutdown, which capped a worker at about 4 alerts a second. A forked child makes its own loop.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.bots: dict[tuple[str, str], Bot] = {}
        threading.Thread(target=self.loop.run_forever, name="telegram-sender", daemon=True).start()
        atexit.register(self.close)

    def close(self) -> None:
        """Close the HTTP sessions at exit (quietly: the process is going away)."""
        for bot in self.bots.values():
            try:
                asyncio.run_coroutine_threadsafe(bot.session.close(), self.loop).result(1)
            except Exception:  # noqa: S110 (nothing to do about it at exit)
                pass

    def run(self, settings: Settings, call: Callable[[Bot], Coroutine[Any, Any, str]], timeout: float) -> str:
        key = (settings.telegram_bot_token, settings.telegram_api_base)
        bot = self.bots.get(key)
        if bot is None:
            bot = self.bots[key] = make_bot(settings)
        return asyncio.run_coroutine_threadsafe(call(bot), self.loop).result(timeout)


_loop: _BotLoop | None = None
_loop_lock = threading.Lock()


def _on_loop(settings: Settings, call: Callable[[Bot], Coroutine[Any, Any, str]], timeout: float = 30) -> str:
    global _loop
    with _loop_lock:
        if _loop is None or _loop.pid != os.getpid():
            _loop = _BotLoop()
        runner = _loop
    return runner.run(settings, call, timeout)


async def _send(bot: Bot, target: dict[str, Any], text: str) -> str:
    markup = target.get("reply_markup")
    # A reply in the alert's thread (the reporter's answer); sent anyway if that message was deleted.
    reply = ReplyParameters(message_id=target["reply_to"], allow_sending_without_reply=True) \
        if target.get("reply_to") else None
    # A mention of one member at the start of the text (a selective ForceReply opens the reply box for them
    # alone: https://core.telegram.org/bots/api#forcereply); offsets count UTF-16 units.
    mention = target.get("mention")
    entities = [MessageEntity(type="text_mention", offset=0, length=len(mention["name"].encode("utf-16-le")) // 2,
                              user=User(id=mention["user_id"], is_bot=False, first_name=mention["name"]))] \
        if mention else None
    message = await bot.send_message(
        chat_id=target["chat_id"],
        text=text,
        message_thread_id=target.get("thread_id"),
        parse_mode=None,  # plain text: an underscore in a place name must not break the alert
        entities=entities,
        reply_markup=markup_from(markup),
        reply_parameters=reply,
        request_timeout=20,
    )
    return str(message.message_id)


async def _send_media(bot: Bot, target: dict[str, Any], path: Path, caption: str) -> str:
    kind = target["media"]["kind"]
    common = {"chat_id": target["chat_id"], "message_thread_id": target.get("thread_id"), "caption": caption,
              "request_timeout": 60}
    if kind == "photo":
        message = await bot.send_photo(photo=FSInputFile(path), **common)
    else:
        message = await bot.send_voice(voice=FSInputFile(path), **common)
    return str(message.message_id)


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str, markup: dict[str, Any] | None) -> str:
    await bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id, parse_mode=None,
                                reply_markup=markup_from(markup))  # type: ignore[arg-type]
    return str(message_id)


def edit(settings: Settings, chat_id: int, message_id: int, text: str, markup: dict[str, Any] | None) -> str:
    """Rewrite an alert in place (after an action), keeping or removing its buttons."""
    return _guarded(lambda: _on_loop(settings, lambda bot: _edit(bot, chat_id, message_id, text, markup)))


def send_media(settings: Settings, target: dict[str, Any], path: Path, caption: str) -> str:
    """Send a stored photo or voice note to the group in `target`, captioned with the ticket."""
    return _guarded(lambda: _on_loop(settings, lambda bot: _send_media(bot, target, path, caption), 90))


def send(settings: Settings, target: dict[str, Any], text: str) -> str:
    """Send `text` to the group in `target`; return the Telegram message id."""
    return _guarded(lambda: _on_loop(settings, lambda bot: _send(bot, target, text)))


def _guarded(call: Callable[[], str]) -> str:
    """Map aiogram's errors to retry (429, 5xx, network) or give up (400/403)."""
    try:
        return call()
    except TelegramRetryAfter as exc:
        raise SendError(f"telegram 429: retry after {exc.retry_after}s", retry_after=exc.retry_after) from exc
    except (TelegramServerError, TelegramNetworkError) as exc:
        raise SendError(f"telegram unavailable: {type(exc).__name__}") from exc
    except TelegramAPIError as exc:
        # 400/403 (chat not found, bot removed from the group): retrying will not help.
        raise SendError(f"telegram refused: {exc.message}", permanent=True) from exc
    except (TimeoutError, OSError) as exc:
        raise SendError(f"telegram unreachable: {type(exc).__name__}") from exc
