"""bots/telegram.py: the polling bot fetches updates from the (local) Bot API, confirms them once handled, and
sends them through the same parser, dedup and flow engine as the webhook; groups are not reports."""

from __future__ import annotations

from typing import Any

from bots.telegram import handle_update, run_polling
from flows.engine import Engine
from i18n.catalog import text as t
from reports.context import Context
from tests.fakes.telegram_api import FakeTelegram


def update(update_id: int, text: str, chat_type: str = "private", chat_id: int = 5550001,
           language_code: str = "th", **message: Any) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_800_000_000, "text": text, "chat": {"id": chat_id, "type": chat_type},
        "from": {"id": chat_id if chat_id > 0 else 5550001, "is_bot": False, "first_name": "Som",
                 "language_code": language_code}, **message}}


def feed(ctx: Context, *updates: dict[str, Any]) -> None:
    engine = Engine.for_context(ctx)
    for u in updates:
        handle_update(ctx, engine, u)


def test_polling_fetches_answers_and_confirms(ctx: Context, telegram: FakeTelegram) -> None:
    telegram.updates += [update(1, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง"), update(2, "สวัสดี", chat_id=5550002)]
    assert run_polling(ctx, stop_after=1.5) == 0
    replies = {c.params["chat_id"]: c.params["text"] for c in telegram.sent()}
    assert "รับแจ้งแล้ว เลขที่" in replies["5550001"]
    polls = [c for c in telegram.calls if c.method == "getUpdates"]
    assert polls[-1].params["offset"] == "3"  # both confirmed: Telegram will not send them again
    assert telegram.updates == []


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
    feed(ctx, update(4, "แจ้ง ยาเสพติด"), {"update_id": 5, "message": {
        "message_id": 5, "date": 1_800_000_000, "chat": {"id": 5550001, "type": "private"},
        "from": {"id": 5550001, "is_bot": False, "first_name": "Som"},
        "location": {"latitude": 17.57, "longitude": 104.6}}})
    assert [c.params["text"] for c in telegram.sent()] == [t("th", "ask_place"), t("th", "ask_when")]


def test_group_messages_are_not_reports(ctx: Context, telegram: FakeTelegram) -> None:
    feed(ctx, update(6, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือ", chat_type="supergroup", chat_id=-1001234567890))
    assert telegram.sent() == []


def test_a_malformed_update_is_skipped_and_the_next_handled(ctx: Context, telegram: FakeTelegram) -> None:
    bad = update(7, "สวัสดี")
    bad["message"]["from"]["id"] = "not-a-number"
    feed(ctx, bad, update(8, "สวัสดี"))
    assert [c.params["text"] for c in telegram.sent()] == [t("th", "ask_category")]


def test_a_menu_button_is_answered_and_its_spinner_stopped(ctx: Context, telegram: FakeTelegram) -> None:
    feed(ctx, update(9, "สวัสดี"), {"update_id": 10, "callback_query": {
        "id": "cb10", "from": {"id": 5550001, "is_bot": False, "first_name": "Som", "language_code": "th"},
        "chat_instance": "1", "data": "o:2",
        "message": {"message_id": 9, "date": 1, "chat": {"id": 5550001, "type": "private"}, "text": "?"}}})
    assert telegram.sent()[-1].params["text"] == t("th", "ask_place")
    assert [c.params["callback_query_id"] for c in telegram.sent("answerCallbackQuery")] == ["cb10"]
