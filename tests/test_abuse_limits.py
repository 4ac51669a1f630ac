"""Rate limit per sender and the reply-loop guard: a polite answer once, then silence; honest keypad
answers never trip them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flows.engine import Engine
from gateway import intake
from gateway.channels.events import Inbound
from i18n.catalog import text as t
from reports.context import Context
from tests.conftest import make_context
from tests.helpers import rq_queue


def send(ctx: Context, text: str, sender: str = "+8562055512345") -> str | None:
    engine = Engine.for_context(ctx)
    return intake.accept(ctx, engine, Inbound("twilio", f"SM{time.time_ns()}", sender, text,
                                              datetime.now(UTC))).text


def test_a_flood_gets_one_polite_answer_in_the_senders_language_then_silence(ctx: Context) -> None:
    replies = [send(ctx, f"ສະບາຍດີ {n}") for n in range(intake.RATE_LIMIT + 3)]
    assert all(r for r in replies[: intake.RATE_LIMIT])
    assert replies[intake.RATE_LIMIT] == t("lo", "rate_limited")
    assert replies[intake.RATE_LIMIT + 1:] == [None, None]
    assert send(ctx, "hello", sender="+66812345678")  # other senders are not affected


def test_an_auto_responder_loop_is_cut_off(ctx: Context) -> None:
    echo = "Sorry, I am away from my phone right now."
    replies = [send(ctx, echo) for _ in range(intake.LOOP_LIMIT + 2)]
    assert all(replies[: intake.LOOP_LIMIT]) and replies[intake.LOOP_LIMIT:] == [None, None]


def test_keypad_answers_repeat_without_tripping_the_guard(ctx: Context) -> None:
    for _ in range(3):  # three reports in a row, answered with the same keys
        for text in ["สวัสดี", "2", "ท่าอุเทน", "1", "เรือ", "1"]:
            assert send(ctx, text, sender="+66812345678")
    assert rq_queue(ctx.redis).count == 3


def test_an_address_guessing_secrets_is_blocked_but_others_are_not(ctx: Context) -> None:
    from gateway.app import create_app
    from gateway.web import guard
    from tests.conftest import USSD_SECRET

    client = create_app(context=ctx).test_client()

    def ussd(secret: str, addr: str) -> int:
        return client.post(f"/webhooks/ussd?secret={secret}", data="sessionId=S1&serviceCode=*1%23&"
                           "phoneNumber=%2B66812345678&text=", content_type="application/x-www-form-urlencoded",
                           environ_base={"REMOTE_ADDR": addr}).status_code

    assert [ussd(f"guess{n}", "203.0.113.7") for n in range(guard.REFUSAL_LIMIT)] == [401] * guard.REFUSAL_LIMIT
    assert ussd("guess-last", "203.0.113.7") == 401  # the refusal that crosses the limit
    resp = client.post(f"/webhooks/ussd?secret={USSD_SECRET}", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0  # even the right secret now
    assert client.get("/api/reports", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 429
    assert ussd(USSD_SECRET, "198.51.100.20") == 200  # the provider's address is not affected
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 200


def test_provider_redeliveries_do_not_count_as_the_sender_repeating(ctx: Context) -> None:
    engine = Engine.for_context(ctx)
    msg = Inbound("twilio", "SM" + "7" * 32, "+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง",
                  datetime.now(UTC))
    first = intake.accept(ctx, engine, msg).text
    again = [intake.accept(ctx, engine, msg) for _ in range(intake.LOOP_LIMIT + intake.RATE_LIMIT)]
    assert first and all(a.duplicate and a.reply is not None and a.reply.text == first for a in again)
    # the same sender's next, different message is still answered
    reply = send(ctx, "สถานะ 100017", sender="+66812345678")
    assert reply and reply != t("th", "rate_limited")


def test_behind_a_proxy_the_guesser_is_blocked_not_the_proxy(ctx: Context) -> None:

    from flask.testing import FlaskClient

    from gateway.app import create_app
    from gateway.web import guard
    from tests.conftest import USSD_SECRET

    def ussd(client: FlaskClient, secret: str, forwarded_for: str) -> int:
        return client.post(f"/webhooks/ussd?secret={secret}", data="sessionId=S1&serviceCode=*1%23&"
                           "phoneNumber=%2B66812345678&text=", content_type="application/x-www-form-urlencoded",
                           headers={"X-Forwarded-For": forwarded_for},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code  # nginx on the same host

    behind = create_app(context=make_context(ctx.settings.replace(proxy_hops=1))).test_client()
    for n in range(guard.REFUSAL_LIMIT + 1):
        ussd(behind, f"guess{n}", "203.0.113.7")
    assert ussd(behind, USSD_SECRET, "203.0.113.7") == 429
    assert ussd(behind, USSD_SECRET, "198.51.100.20") == 200  # the provider, through the same proxy
    # A guesser cannot slip out by forging the header: only the last hop (the proxy's own entry) counts.
    assert ussd(behind, USSD_SECRET, "198.51.100.99, 203.0.113.7") == 429
    # Without NTS_PROXY_HOPS the header is not trusted at all: the address is the connection's.
    ctx.redis.flushdb()
    direct = create_app(context=ctx).test_client()
    for n in range(guard.REFUSAL_LIMIT + 1):
        ussd(direct, f"guess{n}", f"192.0.2.{n}")
    assert ussd(direct, USSD_SECRET, "198.51.100.20") == 429
