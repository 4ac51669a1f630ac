"""End to end over real HTTP: signed Twilio webhooks to the running gateway, the RQ worker, and a local
Telegram Bot API server — one alert per report in the right group and topic, however often the provider
redelivers and however often a job runs."""

from __future__ import annotations

import re
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from redis import Redis
from werkzeug.serving import make_server

from gateway.app import create_app
from gateway.simulate import post_sms
from reports.context import Context
from tests.conftest import TWILIO_TOKEN
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import rq_queue, run_worker, sign, twilio_params
from workers import jobs


@pytest.fixture
def gateway_url(ctx: Context) -> Iterator[str]:
    """The gateway served over HTTP on a free port (the app NTS_PUBLIC_URL points at)."""
    server = make_server("127.0.0.1", 0, create_app(context=ctx), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def sms(gateway_url: str, sender: str, body: str) -> str:
    status, reply = post_sms(gateway_url + "/webhooks/twilio/sms", TWILIO_TOKEN, sender, body,
                             public_url="https://gateway.example.org/webhooks/twilio/sms")
    assert status == 200, reply
    return reply


CONVERSATIONS = [
    ("th", "+66812345678", ["สวัสดีครับ", "2", "ท่าอุเทน", "1", "เห็นเรือสองลำขนกล่องขึ้นฝั่ง", "1"],
     "-1001234567890", "ยาเสพติด"),
    ("lo", "+8562055512345", ["ສະບາຍດີ", "1", "ທ່າແຂກ", "2", "ມີລົດຕູ້ພາແມ່ຍິງຂ້າມໄປ", "1"],
     "-1004801000000", "ຄ້າມະນຸດ"),  # Mueang Nakhon Phanom's centre reads Lao
    ("km", "+85512345678", ["សួស្តី", "3", "ប៉ោយប៉ែត", "3", "មនុស្សដប់នាក់ឆ្លងព្រំដែនពេលយប់", "1"],
     "-1002706000000", "ลักลอบข้ามแดน"),
    ("en", "+66898765432", ["REPORT drugs Tha Uthen boat unloading bags at night"], "-1001234567890", "ยาเสพติด"),
]


@pytest.mark.parametrize(("lang", "sender", "messages", "chat_id", "category_word"), CONVERSATIONS,
                         ids=[c[0] for c in CONVERSATIONS])
def test_conversation_to_one_telegram_alert(gateway_url: str, ctx: Context, telegram: FakeTelegram, lang: str,
                                            sender: str, messages: list[str], chat_id: str,
                                            category_word: str) -> None:
    replies = [sms(gateway_url, sender, m) for m in messages]
    found = re.search(r"[0-9]{6,}", replies[-1])
    assert found, replies[-1]
    ticket = found.group(0)
    run_worker(ctx.redis)
    sent = telegram.sent()
    assert len(sent) == 1
    assert sent[0].params["chat_id"] == chat_id
    assert category_word in sent[0].params["text"]
    assert sender[4:] not in sent[0].params["text"]
    assert ticket in sent[0].params["text"]


def test_redelivered_message_sid_and_retried_jobs_alert_once(gateway_url: str, ctx: Context, redis: Redis,
                                                             telegram: FakeTelegram) -> None:
    params = twilio_params("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", sid="SM" + secrets.token_hex(16))
    body = urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign(params)}
    replies = []
    for _ in range(2):  # Twilio (or a proxy) delivers the same MessageSid twice
        req = urllib.request.Request(gateway_url + "/webhooks/twilio/sms", data=body, headers=headers)
        with urllib.request.urlopen(req, timeout=10) as resp:
            replies.append(resp.read())
    assert replies[0] == replies[1]
    run_worker(redis)
    # The worker's jobs run again (a retry after a crash, an operator's requeue): still one alert.
    report_ids = [k.decode().rsplit(":", 1)[1] for k in redis.scan_iter("nts:intake:*")]
    assert len(report_ids) == 1
    rq_queue(redis).enqueue(jobs.process_report, report_ids[0])
    run_worker(redis)
    assert len(telegram.sent()) == 1
    assert telegram.sent()[0].params["message_thread_id"] == "7"


def test_no_phone_number_or_secret_in_the_logs(gateway_url: str, ctx: Context, telegram: FakeTelegram,
                                               caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    for m in ["สวัสดีครับ", "2", "ท่าอุเทน", "1", "เห็นเรือสองลำ", "1", "STATUS 100009"]:
        sms(gateway_url, "+66812345678", m)
    run_worker(ctx.redis)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged  # the run did log (worker, rq)
    for secret in ("812345678", "0812345678", TWILIO_TOKEN, ctx.settings.secret_key, ctx.settings.api_token,
                   ctx.settings.telegram_bot_token):
        assert secret not in logged


def test_simulate_chats_over_signed_webhooks(gateway_url: str, ctx: Context, telegram: FakeTelegram,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from gateway.simulate import chat

    monkeypatch.setattr("sys.stdin", io.StringIO("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง\n"))
    # simulate signs for the URL it posts to; this app checks against NTS_PUBLIC_URL, so point it there.
    monkeypatch.setattr("gateway.simulate.post_sms", lambda url, token, sender, body: post_sms(
        url, token, sender, body, public_url="https://gateway.example.org/webhooks/twilio/sms"))
    assert chat(gateway_url, TWILIO_TOKEN, "th") == 0
    out = capsys.readouterr().out
    assert "รับแจ้งแล้ว เลขที่" in out and "SMS part(s)" in out
    assert chat(gateway_url, "", "th") == 2  # no token: a clear message, not a traceback
