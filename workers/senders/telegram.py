"""Alerts to a centre's Telegram group (and forum topic) through aiogram, at TELEGRAM_API_BASE.

Bot API sendMessage: https://core.telegram.org/bots/api#sendmessage — 429 carries `retry_after`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import FSInputFile, InlineKeyboardMarkup, ReplyKeyboardMarkup

from gateway.settings import Settings
from workers.senders import NotConfigured, SendError


def markup_from(data: dict[str, Any] | None) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """aiogram's markup object for a reply_markup dict (inline buttons or a reply keyboard)."""
    if not data:
        return None
    if "keyboard" in data:
        return ReplyKeyboardMarkup.model_validate(data)
    return InlineKeyboardMarkup.model_validate(data)


def make_bot(settings: Settings) -> Bot:
    """An aiogram Bot pointed at TELEGRAM_API_BASE (a self-hosted Bot API server or a test server)."""
    if not settings.telegram_bot_token:
        raise NotConfigured("TELEGRAM_BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(settings.telegram_bot_token, session=session)


async def _send(settings: Settings, target: dict[str, Any], text: str) -> str:
    bot = make_bot(settings)
    try:
        markup = target.get("reply_markup")
        message = await bot.send_message(
            chat_id=target["chat_id"],
            text=text,
            message_thread_id=target.get("thread_id"),
            parse_mode=None,  # plain text: an underscore in a place name must not break the alert
            reply_markup=markup_from(markup),
            request_timeout=20,
        )
        return str(message.message_id)
    finally:
        await bot.session.close()


async def _send_media(settings: Settings, target: dict[str, Any], path: Path, caption: str) -> str:
    bot = make_bot(settings)
    try:
        kind = target["media"]["kind"]
        common = {"chat_id": target["chat_id"], "message_thread_id": target.get("thread_id"), "caption": caption,
                  "request_timeout": 60}
        if kind == "photo":
            message = await bot.send_photo(photo=FSInputFile(path), **common)
        else:
            message = await bot.send_voice(voice=FSInputFile(path), **common)
        return str(message.message_id)
    finally:
        await bot.session.close()


async def _edit(settings: Settings, chat_id: int, message_id: int, text: str, markup: dict[str, Any] | None) -> str:
    bot = make_bot(settings)
    try:
        await bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id, parse_mode=None,
                                    reply_markup=markup_from(markup))  # type: ignore[arg-type]
        return str(message_id)
    finally:
        await bot.session.close()


def edit(settings: Settings, chat_id: int, message_id: int, text: str, markup: dict[str, Any] | None) -> str:
    """Rewrite an alert in place (after an action), keeping or removing its buttons."""
    return _guarded(lambda: asyncio.run(_edit(settings, chat_id, message_id, text, markup)))


def send_media(settings: Settings, target: dict[str, Any], path: Path, caption: str) -> str:
    """Send a stored photo or voice note to the group in `target`, captioned with the ticket."""
    return _guarded(lambda: asyncio.run(_send_media(settings, target, path, caption)))


def send(settings: Settings, target: dict[str, Any], text: str) -> str:
    """Send `text` to the group in `target`; return the Telegram message id."""
    return _guarded(lambda: asyncio.run(_send(settings, target, text)))


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
