"""centres/broadcasts.py: villagers subscribe with NEWS <district> (th/lo/km/en) and stop with STOP; a centre's
broadcast reaches its members and subscribers once each, in each one's language, within the channel's rate,
with STOP and FORGET honoured up to the moment of sending; lost jobs are swept; bad broadcasts are refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from centres import broadcasts
from flows.engine import Engine
from gateway.app import create_app
from gateway.channels.events import Inbound
from gateway.cli import main
from gateway.intake import accept
from i18n.catalog import text as t
from reporters.retention import purge_contacts
from reports.context import Context, install
from reports.models import AuditEvent, BroadcastSend, Reporter, Subscription
from tests.conftest import ALL_BACKENDS, TELEGRAM_WEBHOOK_SECRET, make_context
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import rq_queue, run_worker
from workers.sweeper import sweep

SMS_PATH = "/2010-04-01/Accounts/"
THAI, LAO, KHMER = "+66812345678", "+8562055512345", "+85512345678"
SECRETARY, POLICE = "+66811113333", "+66811112222"  # Tha Uthen's members with phones (tests/fixtures/centers.yaml)
HEAD_TELEGRAM = "111"
THA_UTHEN = "4803"


def say(ctx: Context, sender: str, text: str, channel: str = "twilio") -> str | None:
    engine = Engine.for_context(ctx)
    return accept(ctx, engine, Inbound(channel, f"m{time.time_ns()}", sender, text, datetime.now(UTC))).text


def sms_to(twilio_api: FakeAPI, number: str) -> list[str]:
    return [r.body["Body"] for r in twilio_api.received("POST", SMS_PATH) if r.body["To"] == number]


def subscribed(ctx: Context) -> None:
    """Three villagers of Tha Uthen asked for news, in Thai, Lao and Khmer."""
    assert say(ctx, THAI, "รับข่าว ท่าอุเทน") == t("th", "news_subscribed", district="ท่าอุเทน")
    assert say(ctx, LAO, "ຮັບຂ່າວ ທ່າອຸເທນ") == t("lo", "news_subscribed", district="ທ່າອຸເທນ")
    assert say(ctx, KHMER, "ទទួលព័ត៌មាន Tha Uthen") == t("km", "news_subscribed", district="Tha Uthen")
    run_worker(ctx.redis)


def center(ctx: Context) -> broadcasts.Center:
    return ctx.centers.by_id[THA_UTHEN]


@ALL_BACKENDS
def test_subscribe_then_a_template_reaches_everyone_once_in_their_language(
        ctx: Context, twilio_api: FakeAPI, telegram: FakeTelegram) -> None:
    subscribed(ctx)
    with ctx.sessions() as s:
        assert sorted(sub.district_code for sub in s.execute(select(Subscription)).scalars()) == [THA_UTHEN] * 3
    texts = broadcasts.template_texts("fake_jobs", center(ctx), ctx.gazetteer)
    broadcast_id, members, subscribers = broadcasts.create(ctx, center(ctx), texts, "all", "cli")
    assert (members, subscribers) == (3, 3)
    run_worker(ctx.redis)
    for number, lang, district in ((THAI, "th", "ท่าอุเทน"), (LAO, "lo", "ທ່າອຸເທນ"), (KHMER, "km", "Tha Uthen")):
        news = [s for s in sms_to(twilio_api, number) if s != t(lang, "news_subscribed", district=district)]
        assert news == [f"{t(lang, 'bc_fake_jobs', district=district)} {t(lang, 'bc_footer')}"]
    for officer in (SECRETARY, POLICE):  # members without Telegram: by SMS, in the centre's language
        assert sms_to(twilio_api, officer) == [f"📢 {texts['th']}"]
    (dm,) = [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == HEAD_TELEGRAM]
    assert dm == f"📢 {texts['th']}"
    broadcasts.send_batch(ctx, broadcast_id)  # run again: nothing is sent twice
    assert len(twilio_api.received("POST", SMS_PATH)) == 3 + 2  # (NEWS was answered in the TwiML reply)
    with ctx.sessions() as s:
        assert broadcasts.summary(s, broadcast_id) == {"sent": 6}
        done = [e.detail for e in s.execute(select(AuditEvent)).scalars() if e.event == "broadcast_done"]
    assert done == [{"broadcast": broadcast_id, "sent": 6}]


def test_stop_and_forget_between_queueing_and_sending_are_honoured(ctx: Context, twilio_api: FakeAPI) -> None:
    subscribed(ctx)
    broadcast_id, _, subscribers = broadcasts.create(ctx, center(ctx), {"th": "อบรมอาสา 5 ธ.ค."}, "subscribers",
                                                     "cli")
    assert subscribers == 3
    ctx.redis.delete(f"rq:queue:{rq_queue(ctx.redis).name}")  # hold the broadcast back a moment
    assert say(ctx, THAI, "หยุด") == t("th", "stopped")
    assert say(ctx, LAO, "ລຶບຂໍ້ມູນ") == t("lo", "forgotten")
    run_worker(ctx.redis)
    assert broadcasts.send_batch(ctx, broadcast_id) == "done"
    assert [s for s in sms_to(twilio_api, THAI) if "อบรม" in s] == []
    assert [s for s in sms_to(twilio_api, LAO) if "อบรม" in s] == []
    # The Khmer villager gets the Thai text (no Khmer one was written) with how to stop in Khmer.
    assert [s for s in sms_to(twilio_api, KHMER) if "อบรม" in s] == [f"อบรมอาสา 5 ธ.ค. {t('km', 'bc_footer')}"]
    with ctx.sessions() as s:
        rows = {r.recipient.split(":")[0]: r for r in s.execute(select(BroadcastSend)).scalars()}
        skipped = sorted(r.last_error or "" for r in s.execute(select(BroadcastSend)).scalars()
                         if r.status == "skipped")
        ended = s.execute(select(Subscription).where(Subscription.ended_at.is_not(None))).scalars().all()
    # STOP ends one subscription; FORGET removes the other with everything that named the reporter
    assert rows and skipped == ["unsubscribed", "unsubscribed"] and len(ended) == 1


def test_news_needs_a_district_and_remembers_the_last_report(ctx: Context) -> None:
    assert say(ctx, KHMER, "ទទួលព័ត៌មាន") == t("km", "news_ask_place")
    assert say(ctx, THAI, "NEWS xyzzy") == t("en", "news_ask_place")
    assert say(ctx, THAI, "แจ้ง ยาเสพติด อรัญประเทศ เห็นรถขนยา")
    assert say(ctx, THAI, "รับข่าว") == t("th", "news_subscribed", district="อรัญประเทศ")
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        (sub,) = s.execute(select(Subscription)).scalars()
        assert sub.district_code == "2706" and sub.ended_at is None


def test_rate_limit_spaces_sends_per_channel(ctx: Context) -> None:
    slow = make_context(ctx.settings.replace(broadcast_rates={"sms": 0.5, "telegram": 4}))
    now = 1_000_000.0
    assert broadcasts.take_slot(slow, "twilio", now) == 0.0
    assert broadcasts.take_slot(slow, "smsgateway", now + 0.5) == pytest.approx(1.5)  # both SMS routes share it
    assert broadcasts.take_slot(slow, "telegram", now) == 0.0  # another channel is not held up
    assert broadcasts.take_slot(slow, "telegram", now + 0.1) == pytest.approx(0.15)  # 4/s: every 0.25 s
    assert broadcasts.take_slot(slow, "telegram", now + 0.25) == 0.0
    assert broadcasts.take_slot(slow, "twilio", now + 2) == 0.0
    # A whole second of asking as fast as possible lets exactly the rate through.
    asks = [now + 10 + i / 1000 for i in range(1000)]
    granted = [at for at in asks if broadcasts.take_slot(slow, "telegram", at) == 0]
    assert len(granted) == 4


def test_a_slow_channel_continues_in_a_scheduled_job(ctx: Context, twilio_api: FakeAPI,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    slow = make_context(ctx.settings.replace(broadcast_rates={"sms": 0.1, "telegram": 25}))
    install(slow)
    try:
        monkeypatch.setattr(broadcasts, "SLEEP_AT_MOST_S", 0.0)  # never sleep in a worker for a slot
        broadcast_id, members, _ = broadcasts.create(slow, center(slow), {"th": "ประชุม"}, "members", "cli")
        slow.redis.delete(f"rq:queue:{rq_queue(slow.redis).name}")
        outcome = broadcasts.send_batch(slow, broadcast_id)
        assert outcome.startswith("continues in")
        with slow.sessions() as s:
            assert broadcasts.summary(s, broadcast_id) == {"sent": 2, "pending": 1}  # Telegram + one SMS
        scheduled = [j for j in rq_queue(slow.redis).scheduled_job_registry.get_job_ids()
                     if j.startswith(f"broadcast-{broadcast_id}-")]
        assert len(scheduled) == 1 and members == 3
    finally:
        install(ctx)


def test_a_refused_member_is_dead_lettered_and_the_rest_still_go(ctx: Context, telegram: FakeTelegram,
                                                                 twilio_api: FakeAPI) -> None:
    telegram.fail_with(403, "Forbidden: bot can't initiate conversation with a user")
    broadcasts.create(ctx, center(ctx), {"th": "ประชุมด่วน"}, "members", "cli")
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        rows = {r.recipient: (r.status, r.attempts) for r in s.execute(select(BroadcastSend)).scalars()}
    assert rows[f"member:telegram:{HEAD_TELEGRAM}"] == ("dead", 1)
    assert sorted(v for k, v in rows.items() if k.startswith("member:sms")) == [("sent", 1), ("sent", 1)]


def test_a_passing_failure_is_retried_later_not_lost(ctx: Context, twilio_api: FakeAPI) -> None:
    twilio_api.fail_next(503, {"code": 20500, "message": "Service Unavailable"})
    broadcast_id, _, _ = broadcasts.create(ctx, center(ctx), {"th": "ประชุม"}, "members", "cli")
    ctx.redis.delete(f"rq:queue:{rq_queue(ctx.redis).name}")
    assert broadcasts.send_batch(ctx, broadcast_id).startswith("continues in")
    with ctx.sessions.begin() as s:
        retrying = [r for r in s.execute(select(BroadcastSend)).scalars() if r.status == "retrying"]
        assert len(retrying) == 1
        retrying[0].next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)  # its time has come
    assert broadcasts.send_batch(ctx, broadcast_id) == "done"
    with ctx.sessions() as s:
        assert broadcasts.summary(s, broadcast_id) == {"sent": 3}


def test_the_sweeper_queues_a_lost_broadcast_again(ctx: Context, twilio_api: FakeAPI) -> None:
    broadcast_id, _, _ = broadcasts.create(ctx, center(ctx), {"th": "ประชุม"}, "members", "cli")
    ctx.redis.delete(f"rq:queue:{rq_queue(ctx.redis).name}")  # the job is lost with Redis
    assert sweep(ctx).broadcasts == 0  # not overdue yet
    assert sweep(ctx, now=time.time() + ctx.settings.sweep_grace_s + 1).broadcasts == 1
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        assert broadcasts.summary(s, broadcast_id) == {"sent": 3}


@pytest.mark.parametrize("texts, error", [
    ({}, "needs a text"),
    ({"th": "   "}, "needs a text"),
    ({"xx": "hello"}, "unknown language"),
    ({"th": "ก" * 130}, r"ยาวเกิน 2 SMS \(1[45]\d จาก 134\)"),
    ({"en": "a" * 300}, r"ยาวเกิน 2 SMS \(3\d\d จาก 134\)"),  # a Thai villager gets it with a Thai footer
    ({"th": "ok", "en": "a" * 300}, r"ยาวเกิน 2 SMS \(3\d\d จาก 306\)"),  # in English, to English readers
])
def test_bad_broadcasts_are_refused(ctx: Context, texts: dict[str, str], error: str) -> None:
    with pytest.raises(broadcasts.BroadcastError, match=error):
        broadcasts.create(ctx, center(ctx), texts, "all", "cli")
    with pytest.raises(broadcasts.BroadcastError, match="audience"):
        broadcasts.create(ctx, center(ctx), {"th": "ok"}, "everyone", "cli")
    with pytest.raises(broadcasts.BroadcastError, match="date and a place"):
        broadcasts.template_texts("training", center(ctx), ctx.gazetteer)


def test_training_template_in_four_languages_fits_two_sms(ctx: Context) -> None:
    texts = broadcasts.template_texts("training", center(ctx), ctx.gazetteer, date(2026, 12, 5), "ที่ว่าการอำเภอ")
    assert "5/12/2569" in texts["th"] and "5/12/2026" in texts["en"] and "ທ່າອຸເທນ" in texts["lo"]
    assert broadcasts.check_texts(texts, center(ctx)) == texts


def test_subscribers_keep_their_contact_until_they_stop(ctx: Context) -> None:
    subscribed(ctx)
    later = datetime.now(UTC) + timedelta(days=400)
    assert purge_contacts(ctx, later) == 0
    say(ctx, THAI, "STOP")
    run_worker(ctx.redis)
    assert purge_contacts(ctx, later) == 1
    with ctx.sessions() as s:
        assert sum(1 for r in s.execute(select(Reporter)).scalars() if r.contact_enc) == 2


# -- from the bot and the command line ----------------------------------------------------------------------

@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def private_message(client: FlaskClient, user_id: int, text: str) -> None:
    update = {"update_id": time.time_ns() % 10**9, "message": {
        "message_id": 5, "date": int(time.time()), "text": text,
        "from": {"id": user_id, "is_bot": False, "first_name": "x"},
        "chat": {"id": user_id, "type": "private"}}}
    resp = client.post("/webhooks/telegram", data=json.dumps(update), content_type="application/json",
                       headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET})
    assert resp.status_code == 200


@pytest.mark.parametrize("user, text, answer", [
    (111, "/broadcast อบรมอาสาแจ้งข่าว 5 ธ.ค. ที่ว่าการอำเภอ", "queued"),
    (111, "/broadcast", t("th", "bc_usage")),
    (111, "/broadcast " + "ยาว" * 60, t("th", "bc_too_long", units=200, limit=134)),
    (999, "/broadcast ข่าวปลอม", t("th", "bc_refused")),
])
def test_broadcast_from_the_telegram_bot(client: FlaskClient, ctx: Context, telegram: FakeTelegram,
                                         twilio_api: FakeAPI, user: int, text: str, answer: str) -> None:
    private_message(client, user, text)
    run_worker(ctx.redis)
    replies = [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == str(user)]
    if answer == "queued":
        assert t("th", "bc_queued", id="X", count=3, members=3, subscribers=0).split("X")[0] in replies[0]
        assert sms_to(twilio_api, SECRETARY) == ["📢 อบรมอาสาแจ้งข่าว 5 ธ.ค. ที่ว่าการอำเภอ"]
    else:
        assert replies == [answer]
        assert twilio_api.received("POST", SMS_PATH) == []


def test_cli_queues_a_template_and_reports_progress(ctx: Context, twilio_api: FakeAPI,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["centers", "broadcast", "--center", THA_UTHEN, "--template", "training", "--date", "2026-12-05",
                 "--place", "วัดศรีบุญเรือง", "--audience", "members"]) == 0
    broadcast_id = capsys.readouterr().out.split()[1]
    run_worker(ctx.redis)
    assert main(["centers", "broadcast", "--status", broadcast_id]) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 3
    assert main(["centers", "broadcast", "--center", THA_UTHEN, "--text", "th"]) == 2
    assert main(["centers", "broadcast", "--center", "nowhere", "--text", "th=x"]) == 2
    assert "LANG=TEXT" in capsys.readouterr().err


@pytest.mark.parametrize("body, status, error", [
    ({"center": THA_UTHEN, "texts": {"th": "ประชุมอาสา 5 ธ.ค."}, "audience": "members"}, 202, None),
    ({"center": THA_UTHEN, "template": "training", "date": "2026-12-05", "place": "วัด"}, 202, None),
    ("not an object", 400, "JSON object"),
    ({"center": "nowhere", "texts": {"th": "x"}}, 404, "unknown centre"),
    ({"center": THA_UTHEN, "texts": ["th", "x"]}, 400, "texts"),
    ({"center": THA_UTHEN}, 400, "texts must map"),
    ({"center": THA_UTHEN, "texts": {"th": "ก" * 200}}, 422, "ยาวเกิน"),
    # A value outside its type is a 400 naming the field (issue 12: the OpenAPI model validates the input).
    ({"center": THA_UTHEN, "texts": {"th": "x"}, "audience": "everyone"}, 400, "audience"),
    ({"center": THA_UTHEN, "template": "training", "date": "5 Dec", "place": "วัด"}, 400, "date"),
    ({"center": THA_UTHEN, "template": "nonsense"}, 400, "template"),
    ({"center": THA_UTHEN, "texts": {"th": "x"}, "sender": "Governor"}, 400, "sender"),
])
def test_broadcast_api(client: FlaskClient, ctx: Context, body: object, status: int, error: str | None) -> None:
    from tests.conftest import API_TOKEN

    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    resp = client.post("/api/broadcasts", data=json.dumps(body, ensure_ascii=False), content_type="application/json",
                       headers=auth)
    assert resp.status_code == status, resp.get_json()
    if error is not None:
        assert error in resp.get_json()["error"]
        return
    created = resp.get_json()
    assert created["members"] == 3 and "+66" not in resp.get_data(as_text=True)
    run_worker(ctx.redis)
    got = client.get(f"/api/broadcasts/{created['id']}", headers=auth).get_json()
    assert got["counts"] == {"sent": 3}  # no villager has subscribed here: the three members
    assert client.get(f"/api/broadcasts/{created['id']}").status_code == 401
    assert client.get("/api/broadcasts/NOPE", headers=auth).status_code == 404


@pytest.mark.parametrize("role, answer", [("head", "queued"), ("coordinator", t("th", "bc_refused"))])
def test_broadcast_from_line(ctx: Context, line_api: FakeAPI, twilio_api: FakeAPI, role: str, answer: str) -> None:
    import base64
    import hashlib
    import hmac

    from reports.models import Membership
    from tests.conftest import LINE_SECRET

    account = "U" + "c" * 32
    with ctx.sessions.begin() as s:  # joined with an invite from LINE
        s.add(Membership(center_id=THA_UTHEN, role=role, name="Khun Noi", line_user_id=account))
    body = json.dumps({"destination": "U" + "0" * 32, "events": [{
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000), "webhookEventId": "evB1",
        "deliveryContext": {"isRedelivery": False}, "replyToken": "rtB1", "source": {"type": "user", "userId": account},
        "message": {"type": "text", "id": "m1", "text": "/broadcast ประชุมอาสาวันศุกร์ ที่ศาลาวัด"}}]},
        ensure_ascii=False)
    sig = base64.b64encode(hmac.new(LINE_SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    with create_app(context=ctx).test_client() as client:
        for _ in range(2):  # a redelivered event is one broadcast
            assert client.post("/webhooks/line", data=body.encode(), content_type="application/json",
                               headers={"X-Line-Signature": sig}).status_code == 200
    run_worker(ctx.redis)
    (reply,) = [r.body["messages"][0]["text"] for r in line_api.received("POST", "/v2/bot/message/reply")]
    if answer == "queued":
        assert reply.startswith(t("th", "bc_queued", id="X", count=0, members=0, subscribers=0).split("X")[0])
        assert sms_to(twilio_api, SECRETARY) == ["📢 ประชุมอาสาวันศุกร์ ที่ศาลาวัด"]
    else:
        assert reply == answer and twilio_api.received("POST", SMS_PATH) == []
