"""`ntswatch telegram`: the Telegram bot in polling mode (works from an office with no public address), and
`ntswatch telegram set-webhook` for webhook mode.

aiogram's Dispatcher receives typed `Update`s; one router hands each to the same parser as the webhook
(`gateway.channels.telegram.events_of`) and the same dispatcher (`gateway.intake.dispatch`), so polling and
webhook behave alike. Replies go straight back through aiogram's `Bot` (this process owns an event loop);
every callback query is answered. Routers: https://docs.aiogram.dev/en/latest/dispatcher/router.html
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update

from flows.engine import Engine
from gateway.channels import telegram
from gateway.channels.events import Inbound, Result
from gateway.channels.telegram import client
from gateway.intake import dispatch
from gateway.settings import Settings
from reports.context import Context

log = logging.getLogger("ntswatch.telegram")
ALLOWED_UPDATES = ["message", "callback_query"]


def make_bot(settings: Settings) -> Bot:
    """An aiogram Bot pointed at TELEGRAM_API_BASE (a self-hosted Bot API server or a test server)."""
    if not settings.telegram_bot_token:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set: the bot has nothing to poll")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(settings.telegram_bot_token, session=session)


async def handle_update(ctx: Context, engine: Engine, bot: Bot, update: Update) -> None:
    """One update: parsed like a webhook, dispatched, the reply sent and the callback query answered."""
    events, callback_id = telegram.events_of(update)
    results: list[Result] = [await asyncio.to_thread(dispatch, ctx, engine, e) for e in events]
    toast = next((r.toast for r in results if r.toast), None)
    for event, result in zip(events, results, strict=True):
        if isinstance(event, Inbound) and result.reply and result.reply.text and not result.duplicate:
            target = {"chat_id": int(event.address[3:]),
                      "reply_markup": telegram.keyboard(telegram.reply_options(result.reply))}
            await bot(client.message(target, result.reply.text))
    if callback_id:  # always: the button stops spinning even when the choice is stale
        await bot.answer_callback_query(callback_id, text=toast)


def build_router(ctx: Context, engine: Engine) -> Router:
    """The bot's one router: every message and button press goes through the gateway's dispatcher."""
    router = Router(name="gateway")

    @router.message()
    async def on_message(_message: object, bot: Bot, event_update: Update) -> None:
        await handle_update(ctx, engine, bot, event_update)

    @router.callback_query()
    async def on_press(_query: object, bot: Bot, event_update: Update) -> None:
        await handle_update(ctx, engine, bot, event_update)

    return router


def run_polling(ctx: Context) -> int:
    """Poll Telegram for updates until stopped."""
    bot = make_bot(ctx.settings)
    dp = Dispatcher()
    dp.include_router(build_router(ctx, Engine.for_context(ctx)))
    log.info("telegram bot polling via %s", ctx.settings.telegram_api_base)
    asyncio.run(dp.start_polling(bot, handle_signals=True, allowed_updates=ALLOWED_UPDATES))
    return 0


def set_webhook(ctx: Context, drop_pending: bool = False) -> dict[str, object]:
    """Register NTS_PUBLIC_URL/webhooks/telegram with TELEGRAM_WEBHOOK_SECRET (setWebhook)."""
    settings = ctx.settings
    if not settings.public_url or not settings.telegram_webhook_secret or not settings.telegram_bot_token:
        raise SystemExit("NTS_PUBLIC_URL, TELEGRAM_WEBHOOK_SECRET and TELEGRAM_BOT_TOKEN are needed for webhook mode")
    url = f"{settings.public_url}/webhooks/telegram"
    return {"url": url, "ok": client.set_webhook(settings, url, ALLOWED_UPDATES, drop_pending)}
