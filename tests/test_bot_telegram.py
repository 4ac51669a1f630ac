"""bots.telegram: private messages go through the same dedup and flow engine; groups are ignored."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Dispatcher
from aiogram.types import Update

from bots.telegram import build_router, make_bot
from flows.engine import Engine
from i18n.catalog import text as t
from reports.context import Context
from tests.fakes.telegram_api import FakeTelegram


def update(update_id: int, text: str, chat_type: str = "private", chat_id: int = 5550001,
           language_code: str = "th", **message: Any) -> Update:
    return Update.model_validate({
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_800_000_000, "text": text,
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": 5550001, "is_bot": False, "first_name": "Som", "language_code": language_code},
            **message,
        },
    })


def feed(ctx: Context, *updates: Update) -> None:
    async def run() -> None:
        bot = make_bot(ctx.settings)
        dp = Dispatcher()
        dp.include_router(build_router(ctx, Engine.for_context(ctx)))
        try:
            for u in updates:
                await dp.feed_update(bot, u)
        finally:
            await bot.session.close()

    asyncio.run(run())


def test_private_one_line_report_gets_its_ticket(ctx: Context, telegram: FakeTelegram) -> None:
    feed(ctx, update(1, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง"))
    sent = telegram.sent()
    assert len(sent) == 1 and sent[0].params["chat_id"] == "5550001"
    assert "รับแจ้งแล้ว เลขที่" in sent[0].params["text"]


def test_redelivered_update_is_answered_once(ctx: Context, telegram: FakeTelegram) -> None:
    feed(ctx, update(2, "สวัสดี"), update(2, "สวัสดี"))
    assert [c.params["text"] for c in telegram.sent()] == [t("th", "ask_category")]


def test_language_code_is_a_hint_for_digits_only(ctx: Context, telegram: FakeTelegram) -> None:
    feed(ctx, update(3, "2", language_code="lo"))
    assert telegram.sent()[0].params["text"] == t("lo", "ask_place")


def test_location_pin_answers_where(ctx: Context, telegram: FakeTelegram) -> None:
    feed(ctx, update(4, "แจ้ง ยาเสพติด"),
         Update.model_validate({"update_id": 5, "message": {
             "message_id": 5, "date": 1_800_000_000, "chat": {"id": 5550001, "type": "private"},
             "from": {"id": 5550001, "is_bot": False, "first_name": "Som"},
             "location": {"latitude": 17.57, "longitude": 104.6}}}))
    assert [c.params["text"] for c in telegram.sent()] == [t("th", "ask_place"), t("th", "ask_when")]


def test_group_messages_are_not_reports(ctx: Context, telegram: FakeTelegram) -> None:
    feed(ctx, update(6, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือ", chat_type="supergroup", chat_id=-1001234567890))
    assert telegram.sent() == []
