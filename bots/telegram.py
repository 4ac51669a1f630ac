"""`ntswatch telegram`: the Telegram bot in polling mode (works from an office with no public address), and
`ntswatch telegram set-webhook` for webhook mode.

Polling feeds the same parsing (gateway/channels/telegram), dedup and flow engine as the webhook; aiogram
routers: https://docs.aiogram.dev/en/latest/dispatcher/router.html. Replies are sent at once here, with the
menu as inline buttons; callback queries are always answered.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.types import CallbackQuery, ForceReply, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, Update

from flows.engine import Engine
from gateway.channels.telegram import (
    alert_button,
    group_question,
    inbound_of,
    keyboard,
    membership_command,
    reply_options,
)
from gateway.intake import accept
from workers import actions
from workers.context import Context, get_context
from workers.senders.telegram import make_bot, markup_from

log = logging.getLogger("ntswatch.telegram")
ALLOWED_UPDATES = ["message", "callback_query"]


async def _handle(ctx: Context, engine: Engine, update: Update) -> tuple[str | None, list[list[str]]]:
    msg, callback = inbound_of(update.model_dump(mode="json", exclude_none=True, by_alias=True))
    if msg is None:
        return None, []
    if callback is None and await asyncio.to_thread(membership_command, ctx, msg):  # JOIN, /invite, /broadcast
        return None, []
    result = await asyncio.to_thread(accept, ctx, engine, msg)
    if not result.reply or result.duplicate:
        return None, []
    return result.reply, reply_options(result.reply_info)


def _markup(options: list[list[str]]) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ForceReply | None:
    return markup_from(keyboard(options))


def build_router(ctx: Context, engine: Engine) -> Router:
    """The reporter conversation router (private chats; group messages are not reports)."""
    router = Router(name="reporter")

    @router.message()
    async def on_message(message: Message, event_update: Update) -> None:
        raw = event_update.model_dump(mode="json", exclude_none=True, by_alias=True)
        if await asyncio.to_thread(group_question, ctx, raw):  # a question for a reporter, typed in a group
            return
        reply, options = await _handle(ctx, engine, event_update)
        if reply:
            await message.answer(reply, parse_mode=None, reply_markup=_markup(options))

    @router.callback_query()
    async def on_choice(query: CallbackQuery, event_update: Update) -> None:
        if (query.data or "").startswith(actions.PREFIX):  # an alert button in a centre's group
            raw = event_update.model_dump(mode="json", exclude_none=True, by_alias=True)["callback_query"]
            await query.answer(await asyncio.to_thread(alert_button, ctx, raw))
            return
        reply, options = await _handle(ctx, engine, event_update)
        await query.answer()  # always: the button stops spinning even when the choice is stale
        if reply and query.message is not None:
            await query.message.answer(reply, parse_mode=None, reply_markup=_markup(options))

    return router


def run_polling() -> int:
    """Poll Telegram for updates until stopped."""
    ctx = get_context()
    engine = Engine(ctx.redis, ctx.gazetteer, ctx.settings.secret_key)
    bot = make_bot(ctx.settings)
    dp = Dispatcher()
    dp.include_router(build_router(ctx, engine))
    log.info("telegram bot polling via %s", ctx.settings.telegram_api_base)
    asyncio.run(dp.start_polling(bot, handle_signals=True, allowed_updates=ALLOWED_UPDATES))
    return 0


def set_webhook(drop_pending: bool = False) -> dict[str, Any]:
    """Register NTS_PUBLIC_URL/webhooks/telegram with TELEGRAM_WEBHOOK_SECRET (setWebhook)."""
    ctx = get_context()
    settings = ctx.settings
    if not settings.public_url or not settings.telegram_webhook_secret:
        raise SystemExit("NTS_PUBLIC_URL and TELEGRAM_WEBHOOK_SECRET are needed for webhook mode")
    url = f"{settings.public_url}/webhooks/telegram"

    async def run() -> bool:
        bot = make_bot(settings)
        try:
            return await bot.set_webhook(url=url, secret_token=settings.telegram_webhook_secret,
                                         allowed_updates=ALLOWED_UPDATES, drop_pending_updates=drop_pending)
        finally:
            await bot.session.close()

    return {"url": url, "ok": asyncio.run(run())}
