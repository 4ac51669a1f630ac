"""Telegram webhook: secret token, Update parsing, update_id dedup, inline keyboards, callback queries
always answered, location and photo, group messages ignored, set-webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from gateway.app import create_app
from i18n import LANGUAGES
from i18n.catalog import text as t
from reports.context import Context
from reports.models import Report
from tests.channels import Case, assert_nothing_stored, load_fixture
from tests.conftest import TELEGRAM_WEBHOOK_SECRET
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import is_received_update, run_worker

PATH = "/webhooks/telegram"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000
OGG = b"OggS" + b"\x00" * 3000


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def post(client: FlaskClient, update: object, secret: str | None = TELEGRAM_WEBHOOK_SECRET) -> tuple[int, str]:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    body = update if isinstance(update, bytes) else json.dumps(update, ensure_ascii=False).encode()
    resp = client.post(PATH, data=body, headers=headers, content_type="application/json")
    return resp.status_code, resp.get_data(as_text=True)


def replies(telegram: FakeTelegram, chat_id: str = "5550001") -> list[dict[str, str]]:
    return [c.params for c in telegram.sent() if c.params.get("chat_id") == chat_id]


CASES = [
    Case("one-line report: ticket back in the chat", "message__one_line_th", 200, reply="รับแจ้งแล้ว เลขที่"),
    Case("/start opens the category menu", "message__start", 200, reply=t("th", "ask_category")),
    Case("redelivered update_id answered once", "message__one_line_th", 200, reply="เลขที่", repeat=3),
    Case("menu button choice", "callback__category_2", 200, reply=t("th", "ask_place")),
    Case("group message is not a report", "message__group_text", 200, stores=False),
    Case("edited message ignored", "edited_message", 200, stores=False),
    Case("button press in a group: answered, nothing else", "callback__from_group", 200, stores=False),
    Case("wrong secret token", "message__one_line_th", 403, stores=False, sign="bad"),
    Case("no secret token", "message__one_line_th", 403, stores=False, sign="none"),
    Case("not an Update", "no_update_id", 400, stores=False),
    Case("not JSON", None, 400, stores=False, body=b"{oops"),
    Case("broken UTF-8", None, 400, stores=False, body=b'{"update_id": 1, "message": "\xe0\xb8"}'),
    Case("oversized", None, 413, stores=False, body=b'{"update_id": 1, "x": "' + b"a" * 70_000 + b'"}'),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_telegram_webhook(client: FlaskClient, redis: Redis, telegram: FakeTelegram, case: Case) -> None:
    update: object = case.body if case.body is not None else load_fixture("telegram", case.fixture or "")
    secret = {"good": TELEGRAM_WEBHOOK_SECRET, "bad": "nope", "none": None}[case.sign]
    answers = []
    for _ in range(case.repeat):
        status, body = post(client, update, secret)
        assert status == case.status, body
        answers.append(body)
    if isinstance(update, dict) and "callback_query" in update and case.status == 200:
        assert json.loads(answers[0]) == {"method": "answerCallbackQuery",
                                          "callback_query_id": update["callback_query"]["id"]}
    if not case.stores:
        assert_nothing_stored(redis)
        return
    run_worker(redis)
    sent = [r for r in replies(telegram) if not is_received_update(r["text"])]
    assert len(sent) == 1
    assert case.reply and case.reply in sent[0]["text"]


def test_menus_come_as_inline_buttons(client: FlaskClient, redis: Redis, telegram: FakeTelegram) -> None:
    post(client, load_fixture("telegram", "message__start"))
    run_worker(redis)
    markup = json.loads(replies(telegram)[0]["reply_markup"])
    buttons = [b for row in markup["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["o:1", "o:2", "o:3", "o:4", "o:5"]
    assert buttons[1]["text"] == f"2. {t('th', 'cat_drugs')}"
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)


def test_location_pin_answers_where(client: FlaskClient, redis: Redis, telegram: FakeTelegram) -> None:
    post(client, {**load_fixture("telegram", "message__start"), "update_id": 1})
    post(client, load_fixture("telegram", "callback__category_2"))
    post(client, load_fixture("telegram", "message__location"))
    run_worker(redis)
    assert replies(telegram)[-1]["text"] == t("th", "ask_when")


def test_photo_is_fetched_checked_and_sent_with_the_alert(client: FlaskClient, ctx: Context,
                                                          telegram: FakeTelegram) -> None:
    telegram.files["AgACAgUAAxkBAAIBlarge"] = JPEG
    post(client, load_fixture("telegram", "message__photo_with_caption"))
    run_worker(ctx.redis)
    photos = [c for c in telegram.sent("sendPhoto")]
    assert len(photos) == 1 and photos[0].params["chat_id"] == "-1001234567890"
    assert photos[0].params["message_thread_id"] == "7" and photos[0].params["caption"].startswith("#")
    with ctx.sessions() as s:
        report = s.execute(select(Report)).scalar_one()
    assert report.media[0]["content_type"] == "image/jpeg" and report.media[0]["size"] == len(JPEG)
    assert photos[0].params["caption"] == f"#{report.ticket}"
    assert [c.params["file_id"] for c in telegram.calls if c.method == "getFile"] == ["AgACAgUAAxkBAAIBlarge"]


def test_a_file_that_is_not_a_picture_is_refused(client: FlaskClient, ctx: Context, telegram: FakeTelegram) -> None:
    telegram.files["AgACAgUAAxkBAAIBlarge"] = b"MZ\x90\x00 this is a Windows program"
    post(client, load_fixture("telegram", "message__photo_with_caption"))
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.execute(select(Report)).scalar_one()
    assert report.media == [] and "media_refused" in report.flags
    assert telegram.sent("sendPhoto") == []
    assert len([c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]) == 1  # the alert still goes


def test_voice_note_answers_what_did_you_see(client: FlaskClient, ctx: Context, telegram: FakeTelegram) -> None:
    telegram.files["AwACAgUAAxkBAAIBvoice"] = OGG
    for n, text in enumerate(["แจ้ง ยาเสพติด ท่าอุเทน", "1"]):
        post(client, {**load_fixture("telegram", "message__start"), "update_id": 10 + n,
                      "message": {**load_fixture("telegram", "message__start")["message"], "text": text}})
    post(client, load_fixture("telegram", "message__voice"))
    run_worker(ctx.redis)
    assert "🎤" in replies(telegram)[-1]["text"]  # the confirmation shows the voice note as the details


ANSWERS = {"th": ["สวัสดี", "o:2", "ท่าอุเทน", "o:1", "เรือสองลำ", "o:1"],
           "lo": ["ສະບາຍດີ", "o:1", "ທ່າແຂກ", "o:2", "ລົດຕູ້ພາແມ່ຍິງ", "o:1"],
           "km": ["សួស្តី", "o:3", "ប៉ោយប៉ែត", "o:3", "មនុស្សដប់នាក់", "o:1"],
           "en": ["hello", "o:4", "Chiang Khong", "o:2", "pickup with cigarettes", "o:1"]}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_report_in_every_language_by_buttons(client: FlaskClient, ctx: Context, telegram: FakeTelegram,
                                               lang: str) -> None:
    user = {"id": 7000 + LANGUAGES.index(lang), "is_bot": False, "first_name": "R"}
    chat = {"id": user["id"], "type": "private"}
    for n, answer in enumerate(ANSWERS[lang]):
        if answer.startswith("o:"):
            update = {"update_id": 100 + n, "callback_query": {"id": f"cb{n}", "from": user, "data": answer,
                      "chat_instance": "1", "message": {"message_id": n, "chat": chat, "date": 1, "text": "."}}}
        else:
            update = {"update_id": 100 + n, "message": {"message_id": n, "from": user, "chat": chat, "date": 1,
                                                         "text": answer}}
        assert post(client, update)[0] == 200
    run_worker(ctx.redis)
    last = [r for r in replies(telegram, str(user["id"])) if not is_received_update(r["text"])][-1]["text"]
    assert t(lang, "report_received", ticket="X").split("X")[0] in last
    with ctx.sessions() as s:
        report = s.execute(select(Report)).scalar_one()
    assert (report.channel, report.language) == ("telegram", lang)


def test_set_webhook_registers_url_and_secret(ctx: Context, telegram: FakeTelegram) -> None:
    from bots.telegram import set_webhook

    assert set_webhook(ctx) == {"url": "https://gateway.example.org/webhooks/telegram", "ok": True}
    call = next(c for c in telegram.calls if c.method == "setWebhook")
    assert call.params["url"] == "https://gateway.example.org/webhooks/telegram"
    assert call.params["secret_token"] == TELEGRAM_WEBHOOK_SECRET
    assert json.loads(call.params["allowed_updates"]) == ["message", "callback_query"]


def test_where_comes_with_a_share_location_button(client: FlaskClient, redis: Redis, telegram: FakeTelegram) -> None:
    post(client, {**load_fixture("telegram", "message__start"), "update_id": 1})
    post(client, load_fixture("telegram", "callback__category_2"))
    run_worker(redis)
    markup = json.loads(replies(telegram)[-1]["reply_markup"])
    assert markup["keyboard"] == [[{"text": t("th", "share_location"), "request_location": True}]]
