"""LINE webhook: signature over the raw body, text/location/image/postback/follow events, webhookEventId
dedup, quick replies, reply token first and push with X-Line-Retry-Key as the fallback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

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
from tests.conftest import LINE_SECRET
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import is_received_update, run_worker

PATH = "/webhooks/line"
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 3000


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def signature(body: bytes, secret: str = LINE_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(client: FlaskClient, body: bytes, sig: str | None) -> int:
    headers = {"X-Line-Signature": sig} if sig is not None else {}
    return client.post(PATH, data=body, headers=headers, content_type="application/json").status_code


def texts(line_api: FakeAPI) -> list[str]:
    return [m["text"] for r in line_api.received("POST", "/v2/bot/message/") for m in r.body["messages"]]


CASES = [
    Case("one-line report replied with the ticket", "message__one_line_th", 200, reply="รับแจ้งแล้ว เลขที่"),
    Case("redelivery with the same webhookEventId: handled once", "message__one_line_th", 200, reply="เลขที่",
         repeat=2),
    Case("a new friend gets the first question", "follow", 200, reply=t("th", "ask_category")),
    Case("unfollow: 200, nothing", "unfollow", 200, stores=False),
    Case("group message is not a report", "message__group_text", 200, stores=False),
    Case("sticker: 200, nothing", "message__sticker", 200, stores=False),
    Case("LINE's URL check with no events", "verify__empty", 200, stores=False),
    Case("wrong signature", "message__one_line_th", 403, stores=False, sign="bad"),
    Case("no signature", "message__one_line_th", 403, stores=False, sign="none"),
    Case("body changed after signing", "message__one_line_th", 403, stores=False, sign="tampered"),
    Case("events not a list", "bad__events_not_list", 400, stores=False),
    Case("not JSON (signed)", None, 400, stores=False, body=b"{nope"),
    Case("broken UTF-8", None, 400, stores=False, body=b'{"events": ["\xe0\xb8"]}'),
    Case("oversized", None, 413, stores=False, body=b'{"events": [], "x": "' + b"a" * 70_000 + b'"}'),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_line_webhook(client: FlaskClient, redis: Redis, line_api: FakeAPI, case: Case) -> None:
    body = case.body if case.body is not None else json.dumps(load_fixture("line", case.fixture or ""),
                                                              ensure_ascii=False).encode()
    sig: str | None = {"good": signature(body), "bad": signature(body, "wrong"), "none": None,
                       "tampered": signature(body)}[case.sign]
    if case.sign == "tampered":
        body = body.replace("ท่าอุเทน".encode(), "เชียงของ".encode())
    for _ in range(case.repeat):
        assert post(client, body, sig) == case.status
    if not case.stores:
        assert_nothing_stored(redis)
        return
    run_worker(redis)
    sent = [s for s in texts(line_api) if not is_received_update(s)]
    assert len(sent) == 1 and case.reply and case.reply in sent[0]
    assert line_api.received("POST", "/v2/bot/message/reply")[0].headers["authorization"] == \
        "Bearer test-line-access-token"


def test_menus_are_quick_replies(client: FlaskClient, redis: Redis, line_api: FakeAPI) -> None:
    body = json.dumps(load_fixture("line", "follow")).encode()
    post(client, body, signature(body))
    run_worker(redis)
    message = line_api.received("POST", "/v2/bot/message/reply")[0].body["messages"][0]
    items = message["quickReply"]["items"]
    assert len(items) == 5 <= 13
    assert [i["action"]["data"] for i in items] == ["o:1", "o:2", "o:3", "o:4", "o:5"]
    assert all(len(i["action"]["label"]) <= 20 for i in items)


def test_expired_reply_token_falls_back_to_push_with_a_retry_key(client: FlaskClient, redis: Redis,
                                                                  line_api: FakeAPI) -> None:
    line_api.route("POST", "/v2/bot/message/reply", lambda req: (400, {"message": "Invalid reply token"}))
    body = json.dumps(load_fixture("line", "message__one_line_th"), ensure_ascii=False).encode()
    post(client, body, signature(body))
    run_worker(redis)
    pushes = [p for p in line_api.received("POST", "/v2/bot/message/push")
              if not is_received_update(p.body["messages"][0]["text"])]
    assert len(pushes) == 1
    assert pushes[0].body["to"] == "U4af4980629d2e4d9f0b1c2d3e4f5a6b7"
    key = pushes[0].headers["x-line-retry-key"]
    assert len(key) == 36 and key.count("-") == 4  # a UUID, the same for every retry of this event


def test_push_already_accepted_is_not_an_error(client: FlaskClient, redis: Redis, line_api: FakeAPI) -> None:
    line_api.route("POST", "/v2/bot/message/reply", lambda req: (400, {"message": "Invalid reply token"}))
    line_api.route("POST", "/v2/bot/message/push", lambda req: (409, {"message": "The retry key is already accepted"}))
    body = json.dumps(load_fixture("line", "message__one_line_th"), ensure_ascii=False).encode()
    post(client, body, signature(body))
    run_worker(redis)  # must drain: 409 means a previous attempt was delivered


def test_postback_location_and_image_make_a_report(client: FlaskClient, ctx: Context, line_api: FakeAPI,
                                                   telegram: FakeTelegram) -> None:
    line_api.route("GET", "/v2/bot/message/354718705033693859/content", lambda req: (200, JPEG))
    for name in ("follow", "postback__category_2", "message__location"):
        body = json.dumps(load_fixture("line", name)).encode()
        assert post(client, body, signature(body)) == 200
    for n, text in enumerate(["1"]):
        event = {**load_fixture("line", "message__one_line_th")["events"][0], "webhookEventId": f"E{n}",
                 "message": {"id": "9", "type": "text", "quoteToken": "q", "text": text}}
        body = json.dumps({"destination": "U", "events": [event]}).encode()
        post(client, body, signature(body))
    body = json.dumps(load_fixture("line", "message__image")).encode()
    post(client, body, signature(body))  # the photo answers "what did you see?"
    event = {**load_fixture("line", "message__one_line_th")["events"][0], "webhookEventId": "E9",
             "message": {"id": "10", "type": "text", "quoteToken": "q", "text": "1"}}
    body = json.dumps({"destination": "U", "events": [event]}).encode()
    post(client, body, signature(body))
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.execute(select(Report)).scalar_one()
    assert (report.channel, report.category, report.center_id, report.resolved_via) == ("line", "drugs", "4803",
                                                                                         "gps")
    assert report.media and report.media[0]["content_type"] == "image/jpeg"
    assert len(telegram.sent("sendPhoto")) == 1


ONE_LINERS = {"th": ("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", "4803"),
              "lo": ("ແຈ້ງ ຢາເສບຕິດ ທ່າແຂກ ເຫັນເຮືອຂົນຂອງ", "4801"),
              "km": ("រាយការណ៍ ជួញដូរមនុស្ស ប៉ោយប៉ែត ឃើញឡានដឹកមនុស្ស", "2706"),
              "en": ("REPORT smuggling Chiang Khong trucks full of cigarettes", "5703")}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_report_in_every_language(client: FlaskClient, ctx: Context, line_api: FakeAPI, lang: str) -> None:
    text, centre = ONE_LINERS[lang]
    event: dict[str, Any] = {**load_fixture("line", "message__one_line_th")["events"][0],
                             "webhookEventId": f"E-{lang}",
                             "message": {"id": "1", "type": "text", "quoteToken": "q", "text": text}}
    body = json.dumps({"destination": "U", "events": [event]}, ensure_ascii=False).encode()
    assert post(client, body, signature(body)) == 200
    run_worker(ctx.redis)
    assert t(lang, "report_received", ticket="X").split("X")[0] in texts(line_api)[0]
    with ctx.sessions() as s:
        report = s.execute(select(Report)).scalar_one()
    assert (report.channel, report.language, report.center_id) == ("line", lang, centre)
