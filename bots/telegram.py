"""`ntswatch telegram`: the Telegram bot in polling mode (works from an office without a public address).

Private chats only: a report is a 1:1 conversation, groups are where centres receive alerts. Updates go
through the same dedup and flow engine as every webhook channel (aiogram routers:
https://docs.aiogram.dev/en/latest/dispatcher/router.html).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC

from aiogram import Dispatcher, F, Router
from aiogram.types import Message

from flows.engine import Engine
from flows.inbound import Inbound
from gateway.intake import accept
from workers.context import Context, get_context
from workers.senders.telegram import make_bot

log = logging.getLogger("ntswatch.telegram")
CHANNEL = "telegram"


def inbound_from_message(message: Message) -> Inbound | None:
    """The `Inbound` of a private Telegram message (text or location), or None for anything else."""
    if message.chat.type != "private" or message.from_user is None:
        return None
    location = (message.location.latitude, message.location.longitude) if message.location else None
    text = message.text or message.caption or ""
    if not text and location is None:
        return None
    return Inbound(
        channel=CHANNEL,
        provider_id=f"{message.chat.id}:{message.message_id}",
        address=f"tg:{message.from_user.id}",
        text=text,
        received_at=message.date.astimezone(UTC),
        language_hint=(message.from_user.language_code or "")[:2] or None,
        location=location,
    )


def build_router(ctx: Context, engine: Engine) -> Router:
    """The reporter conversation router."""
    router = Router(name="reporter")

    @router.message(F.chat.type == "private")
    async def on_private(message: Message) -> None:
        msg = inbound_from_message(message)
        if msg is None:
            return
        result = await asyncio.to_thread(accept, ctx, engine, msg)
        if result.reply and not result.duplicate:
            await message.answer(result.reply, parse_mode=None)

    return router


def run_polling() -> int:
    """Poll Telegram for updates until stopped."""
    ctx = get_context()
    engine = Engine(ctx.redis, ctx.gazetteer, ctx.settings.secret_key)
    bot = make_bot(ctx.settings)
    dp = Dispatcher()
    dp.include_router(build_router(ctx, engine))
    log.info("telegram bot polling via %s", ctx.settings.telegram_api_base)
    asyncio.run(dp.start_polling(bot, handle_signals=True))
    return 0
