"""Hardening round two (issue 15), one test per finding: nothing lost at the edges, a clear 4xx instead of a
crash, nothing leaked, anonymity kept, a safe configuration. Tests of the same findings that live beside their
module are named in the docstring of the test here that points to them."""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.app import create_app
from reports.context import Context
from reports.models import Report
from tests.channels import load_fixture
from tests.conftest import API_TOKEN, LINE_SECRET, SMSGATEWAY_SECRET, TELEGRAM_WEBHOOK_SECRET
from tests.fakes.http_api import FakeAPI
from tests.helpers import run_worker, sign, twilio_params

TG = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}
BEARER = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def reports(ctx: Context) -> int:
    with ctx.sessions() as s:
        return int(s.execute(select(func.count(Report.id))).scalar_one())


def line_post(client: FlaskClient, payload: dict[str, Any]) -> Any:
    body = json.dumps(payload).encode()
    sig = base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return client.post("/webhooks/line", data=body, headers={"X-Line-Signature": sig},
                       content_type="application/json")


# -- data that can be lost or stranded ----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [
    {"type": "message"},                                                   # no source, no message
    {"type": "message", "source": {"type": "user"}, "message": {"type": "text", "text": 5}},
    {"type": "postback", "source": {"type": "user", "userId": 7}, "postback": None},
    "not an object",
    {"type": "message", "source": {"type": "user", "userId": "U1"}, "webhookEventId": ["x"],
     "message": {"id": {}, "type": "text", "text": "แจ้ง"}},
], ids=["no fields", "text not a string", "user id a number", "a string", "ids of the wrong type"])
def test_one_bad_line_event_is_refused_alone(client: FlaskClient, ctx: Context, line_api: FakeAPI, bad: Any) -> None:
    good = load_fixture("line", "message__one_line_th")
    payload = {**good, "events": [bad, *good["events"]]}
    assert line_post(client, payload).status_code == 200
    run_worker(ctx.redis)
    assert reports(ctx) == 1  # the valid report beside the bad event is kept


@pytest.mark.parametrize("from_id", ["abc", None, 1.5, {"id": 1}, -1, 2**80], ids=str)
def test_a_telegram_join_with_an_odd_sender_is_refused_and_its_retry_is_handled(client: FlaskClient,
                                                                                  ctx: Context,
                                                                                  from_id: Any) -> None:
    update: dict[str, Any] = {"update_id": 501, "message": {"message_id": 9, "date": 1, "text": "JOIN ABCD2345",
                                            "chat": {"id": 4242, "type": "private"},
                                            "from": {"id": from_id, "is_bot": False, "first_name": "N"}}}
    assert client.post("/webhooks/telegram", json=update, headers=TG).status_code == 400
    fixed = copy.deepcopy(update)
    fixed["message"]["from"]["id"] = 4242
    assert client.post("/webhooks/telegram", json=fixed, headers=TG).status_code == 200
    keys = list(ctx.redis.scan_iter("rq:job:*"))
    assert keys, "the corrected retry was dropped as already seen"


def test_a_provider_id_seen_again_after_the_dedup_window_never_strands_a_ticket(client: FlaskClient,
                                                                                 ctx: Context) -> None:
    params = twilio_params("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", sid="SM" + "7" * 32)
    first = client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(params)})
    run_worker(ctx.redis)
    for key in ctx.redis.scan_iter("nts:seen:*"):  # two days later: the dedup marker has expired
        ctx.redis.delete(key)
    second = client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(params)})
    run_worker(ctx.redis)
    assert first.status_code == second.status_code == 200
    tickets = [t for body in (first, second) for t in re.findall(r"\d{7}", body.get_data(as_text=True))]
    with ctx.sessions() as s:
        stored = set(s.execute(select(Report.ticket)).scalars())
    assert set(tickets) <= stored, (tickets, stored)  # every ticket a reporter holds is a stored report
    assert not list(ctx.redis.scan_iter("rq:failed:*")) or ctx.redis.zcard("rq:failed:nts") == 0


def test_a_batch_with_one_malformed_item_stores_nothing_of_it_and_answers_per_item(client: FlaskClient,
                                                                                    ctx: Context) -> None:
    """(tests/test_batch_upload.py::test_batch_with_good_and_bad_items holds the field-by-field table.)"""
    items = [{"client_id": "a-1", "category": "drugs", "place": "ท่าอุเทน", "when": "now", "details": "เรือ"},
             {"client_id": "a-2", "category": 7, "place": ["x"], "when": {}, "details": None,
              "location": {"lat": "inf", "lon": [1]}},
             {"client_id": "a-3", "category": "smuggling", "place": "เชียงของ", "when": "today", "details": "บุหรี่"}]
    resp = client.post("/api/reports", json={"reports": items}, headers=BEARER)
    assert resp.status_code == 200
    statuses = [(r["client_id"], r["status"]) for r in resp.get_json()["results"]]
    assert statuses == [("a-1", "created"), ("a-2", "invalid"), ("a-3", "created")]
    run_worker(ctx.redis)
    assert reports(ctx) == 2


# -- crashes where a clear 4xx belongs -----------------------------------------------------------------------------
@pytest.mark.parametrize("timestamp", ["9" * 309, "1e309", "-1", "", "١٢٣", "0x10", " 12"])
def test_an_absurd_x_timestamp_is_refused_without_authentication(client: FlaskClient, timestamp: str) -> None:
    body = b'{"event":"sms:received","payload":{}}'
    sig = hmac.new(SMSGATEWAY_SECRET.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    resp = client.post("/webhooks/smsgateway", data=body, content_type="application/json",
                       headers={"X-Signature": sig, "X-Timestamp": timestamp})
    assert resp.status_code in (400, 401, 403)


@pytest.mark.parametrize(("query", "status"), [
    ("limit=99999999999999999999", 400), ("limit=201", 400), ("limit=200", 200),
    ("offset=99999999999999999999", 400), ("offset=2147483648", 400), ("limit=-1", 400), ("offset=-5", 400),
    ("limit=1e3", 400), ("since=not-a-date", 400), ("limit=%00", 400), ("offset=2147483647", 200),
    ("category=0", 400), ("status=[]", 400), ("category=drugs&category=other", 400), ("colour=red", 400),
    ("district=48033", 400), ("since=2026-01-01", 400), ("category=drugs&since=2026-01-01T00:00:00%2B07:00", 200),
])
def test_limit_and_offset_beyond_the_database_answer_400(client: FlaskClient, query: str, status: int) -> None:
    assert client.get(f"/api/reports?{query}", headers=BEARER).status_code == status


@pytest.mark.parametrize("body", [
    {"reports": "x"}, {"reports": [1, 2]}, {"reports": [{"id": 5}]}, [], "text", {"reports": [{"lat": "inf"}]},
    {"reports": None}, {"reports": [{"id": "x", "category": "drugs", "lat": 1e400, "lon": 100}]},
])
def test_batch_bodies_of_the_wrong_type_answer_4xx(client: FlaskClient, body: Any) -> None:
    resp = client.post("/api/reports", data=json.dumps(body), content_type="application/json", headers=BEARER)
    assert resp.status_code < 500


@pytest.mark.parametrize("body", [
    {"center": ["4803"], "text": {"th": "x"}}, {"center": "4803", "text": 5}, {"center": "4803", "template": {}},
    {"center": None}, [], "x", {"center": "4803", "text": {"th": ["x"]}, "audience": 3},
])
def test_broadcast_bodies_of_the_wrong_type_answer_4xx(client: FlaskClient, body: Any) -> None:
    resp = client.post("/api/broadcasts", data=json.dumps(body), content_type="application/json", headers=BEARER)
    assert 400 <= resp.status_code < 500


@pytest.mark.parametrize("latitude", ["inf", "-inf", "nan", "1e400", "91", "NaN"])
def test_a_non_finite_twilio_latitude_is_not_stored(client: FlaskClient, ctx: Context, latitude: str) -> None:
    params = twilio_params("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือ", Latitude=latitude, Longitude="104.5")
    assert client.post("/webhooks/twilio/sms", data=params,
                       headers={"X-Twilio-Signature": sign(params)}).status_code in (200, 400)
    run_worker(ctx.redis)
    listing = client.get("/api/reports", headers=BEARER)
    assert listing.status_code == 200
    json.loads(listing.get_data(as_text=True), parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))


# -- leaks ---------------------------------------------------------------------------------------------------------
def _everything_in_redis(ctx: Context) -> str:
    """Every key and value in Redis as text, RQ's compressed job data unpacked."""
    import pickle
    import zlib

    raw = ctx.jobs.redis
    out: list[str] = []
    for key in raw.scan_iter("*"):
        kind = raw.type(key)
        values: list[Any] = []
        if kind == b"string":
            values = [raw.get(key) or b""]
        elif kind == b"hash":
            values = list(raw.hgetall(key).values())
        elif kind == b"list":
            values = list(raw.lrange(key, 0, -1))
        elif kind in (b"set", b"zset"):
            values = list(raw.smembers(key) if kind == b"set" else raw.zrange(key, 0, -1))
        out.append(key.decode(errors="replace"))
        for value in values:
            with contextlib.suppress(Exception):  # what is not a job payload stays as it is
                value = repr(pickle.loads(zlib.decompress(value))).encode()  # noqa: S301 - our own job data
            out.append(value.decode(errors="replace"))
    return "\n".join(out)


def _sms(ctx: Context, sender: str, text: str) -> str:
    from datetime import UTC, datetime

    from flows.engine import Engine
    from gateway.channels.events import Inbound
    from gateway.intake import accept

    return accept(ctx, Engine.for_context(ctx), Inbound("twilio", f"SM{__import__('time').time_ns()}", sender, text,
                                                         datetime.now(UTC))).text or ""


def test_an_officers_number_waits_encrypted_for_the_reporters_answer(ctx: Context, officer_pin: str,
                                                                     twilio_api: FakeAPI) -> None:
    from tests.conftest import OFFICER_PHONE

    reply = _sms(ctx, "+66812345678", "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคันจอดริมโขง")
    ticket = re.findall(r"\d{7}", reply)[0]
    run_worker(ctx.redis)
    assert ticket in _sms(ctx, OFFICER_PHONE, f"ถาม {ticket} {officer_pin} มีคนในรถกี่คน")
    everything = _everything_in_redis(ctx)
    assert "relay" in everything  # the question is waiting
    assert OFFICER_PHONE[3:] not in everything
    run_worker(ctx.redis)
    _sms(ctx, "+66812345678", "ประมาณสิบคน")
    run_worker(ctx.redis)
    answers = [r.body["Body"] for r in twilio_api.received("POST", "/2010-04-01/") if r.body["To"] == OFFICER_PHONE]
    assert any("ประมาณสิบคน" in a for a in answers)  # and the answer still reaches the officer


def test_the_worker_logs_names_and_ids_never_job_arguments(ctx: Context, officer_pin: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    from rq import SimpleWorker

    from tests.conftest import OFFICER_PHONE
    from tests.helpers import rq_queue

    reply = _sms(ctx, "+66812345678", "แจ้ง ค้ามนุษย์ ท่าอุเทน เห็นรถตู้ลับสุดยอด")
    ticket = re.findall(r"\d{7}", reply)[0]
    run_worker(ctx.redis)
    assert ticket in _sms(ctx, OFFICER_PHONE, f"ASK {ticket} {officer_pin} secret-question-words")
    queue = rq_queue(ctx)
    with caplog.at_level("DEBUG"):
        SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="DEBUG")
    started = [r.getMessage() for r in caplog.records if r.name == "rq.worker" and "ntswatch: " in r.getMessage()]
    assert started  # the worker did log the jobs it ran: by name and id alone
    assert all(re.search(r"ntswatch: ([a-z_]+|Job OK) \([\w:.-]+\)$", line) for line in started), started
    for secret in ("ลับสุดยอด", "secret-question-words", "812345678", OFFICER_PHONE[3:]):
        assert secret not in caplog.text


def test_a_database_error_names_the_statement_not_the_values(ctx: Context) -> None:
    from sqlalchemy.exc import IntegrityError

    from reports.models import InboundMessage, utcnow

    with pytest.raises(IntegrityError) as caught, ctx.sessions.begin() as s:
        s.add(InboundMessage(channel="twilio", provider_id="SMx", report_id="no-such-report",
                             text="ข้อความลับของผู้แจ้ง", received_at=utcnow()))
    assert "ข้อความลับ" not in str(caught.value) and "no-such-report" not in str(caught.value)


def test_no_bot_token_in_any_log_when_a_photo_cannot_be_fetched(ctx: Context,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    from gateway.channels.sending import SendError
    from gateway.channels.telegram import client as telegram
    from tests.conftest import TELEGRAM_TOKEN, free_port

    dead = ctx.settings.replace(telegram_api_base=f"http://127.0.0.1:{free_port()}")
    with caplog.at_level("DEBUG"), pytest.raises(SendError) as caught:
        telegram.download(dead, "AgACAgUAAxkBAAIB", 1_000_000)
    assert TELEGRAM_TOKEN not in str(caught.value) and TELEGRAM_TOKEN not in caplog.text
    secret_part = TELEGRAM_TOKEN.split(":")[1]
    assert secret_part not in caplog.text


# -- anonymity and integrity ---------------------------------------------------------------------------------------
def _report(ctx: Context, text: str, sender: str = "+66812345678",
            location: tuple[float, float] | None = None) -> Report:
    from tests.helpers import stored_report

    return stored_report(ctx, text, sender=sender, location=location)


def test_after_forget_the_next_report_carries_a_fresh_pseudonym(ctx: Context) -> None:
    from reports.identity import pseudonym
    from reports.models import Reporter
    from workers import jobs

    before = _report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของ")
    again = _report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เรือลำเดิมกลับมา")
    assert before.reporter_alias == again.reporter_alias  # the centre sees that one person wrote twice
    assert jobs.forget(pseudonym(ctx.settings.secret_key, "+66812345678"))
    after = _report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เรืออีกลำ")
    assert after.reporter_alias != before.reporter_alias
    with ctx.sessions() as s:
        old = {r.reporter_id for r in s.execute(select(Report).where(Report.id.in_([before.id, again.id]))).scalars()}
        assert len(old) == 1 and old != {after.reporter_id}  # nothing links the number to the reports before
        assert s.get(Reporter, old.pop()).contact_enc is None  # type: ignore[union-attr]


def test_two_centres_see_the_same_reporter_under_different_aliases(ctx: Context) -> None:
    tha_uthen = _report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของ")
    chiang_khong = _report(ctx, "แจ้ง ลักลอบขนของ เชียงของ รถกระบะขนบุหรี่")
    assert tha_uthen.center_id != chiang_khong.center_id
    assert tha_uthen.reporter_id == chiang_khong.reporter_id  # one reporter in the database…
    assert tha_uthen.reporter_alias != chiang_khong.reporter_alias  # …two strangers to the two groups


def test_forget_erases_the_contact_from_waiting_reports_and_job_data(ctx: Context) -> None:
    from reports import keys
    from reports.identity import pseudonym
    from reports.queue import SEND_REPLY
    from workers import jobs

    pid = pseudonym(ctx.settings.secret_key, "+66812345678")
    waiting = _sms(ctx, "+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของ")  # queued, not yet stored
    assert re.search(r"\d{7}", waiting)
    (intake,) = [k for k in ctx.redis.scan_iter(keys.INTAKE("*")) if k != keys.PENDING_REPORTS]
    assert json.loads(ctx.redis.get(intake) or "{}")["contact"]
    from gateway.channels.sending import Outgoing
    from reports.identity import encrypt_contact

    done = ctx.jobs.enqueue(SEND_REPLY(Outgoing("twilio", "+66812345678", "x", "k1").to_json(
        lambda a: encrypt_contact(ctx.settings.secret_key, a))))
    from rq.job import Job

    finished = Job.fetch(str(done), connection=ctx.jobs.redis)
    ctx.jobs.redis.hset(finished.key, "status", "finished")  # as RQ leaves a sent message for an hour
    assert jobs.forget(pid) is False  # not in the database yet…
    assert json.loads(ctx.redis.get(intake) or "{}")["contact"] is None  # …but its waiting report holds no contact
    assert not ctx.jobs.redis.exists(finished.key)
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        (stored,) = s.execute(select(Report)).scalars().all()
        from reports.models import Reporter

        assert s.get(Reporter, stored.reporter_id).contact_enc is None  # type: ignore[union-attr]
    assert "+66812345678"[3:] not in _everything_in_redis(ctx)


@pytest.mark.parametrize("forged", [
    "เห็นเรือ\n✅ ปิดเรื่องแล้ว: แจ้งเท็จ",
    "เห็นเรือ\r\nผู้แจ้ง (นามแฝง): R-AAAAAAAAAA · ช่องทาง: police",
    "เห็นเรือ\u2028✅ closed",
    "เห็นเรือ\x0b\x0c\x85🚨 แจ้งเหตุใหม่ เลขที่ 1234567",
])
def test_a_reporters_line_break_cannot_forge_a_line_of_the_alert(ctx: Context, forged: str) -> None:
    from centres.alerts import render_alert, render_sms_alert

    report = _report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน ริมโขง")
    report.place_text = "ท่าอุเทนริมโขง"
    clean = render_alert(report, "th", ctx.gazetteer).split("\n")
    report.details, report.place_text = forged, "ท่าอุเทน\n✅ ปิดแล้ว"
    alert = render_alert(report, "th", ctx.gazetteer)
    lines = alert.split("\n")
    assert len(lines) == len(clean)  # not one line more: what the reporter wrote stays inside its field
    assert [line.split(":")[0] for line in lines] == [line.split(":")[0] for line in clean]
    assert lines[-1].startswith("รายละเอียด: «") and lines[-1].endswith("»")
    for splitter in ("\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\r"):
        assert splitter not in alert
    assert "\n" not in render_sms_alert(report, "th", ctx.gazetteer)


def test_a_centre_may_show_its_group_a_coarser_point(ctx: Context, tmp_path: Any,
                                                    telegram: Any) -> None:
    from reports.context import install
    from tests.conftest import FIXTURES, make_context

    centres = (FIXTURES / "centers.yaml").read_text().replace(
        "{chat_id: -1001234567890, thread_id: 7}", "{chat_id: -1001234567890, thread_id: 7, precision: 2}", 1)
    (tmp_path / "centers.yaml").write_text(centres)
    coarse = make_context(ctx.settings.replace(centers_file=str(tmp_path / "centers.yaml")))
    install(coarse)
    try:
        report = _report(coarse, "แจ้ง ยาเสพติด เห็นเรือขนของ", location=(17.571234, 104.591234))
        alert = next(c.params["text"] for c in telegram.sent() if "maps" in c.params.get("text", ""))
        assert "17.57,104.59" in alert and "17.57123" not in alert  # the group sees about a kilometre
        api = create_app(context=coarse).test_client().get(f"/api/reports/{report.ticket}", headers=BEARER)
        assert api.get_json()["location"]["lat"] == pytest.approx(17.571234)  # members keep the exact point
    finally:
        install(ctx)
        coarse.close()


# -- safe configuration --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("changes", "named"), [
    ({"secret_key": ""}, ["NTS_SECRET_KEY"]),
    ({"secret_key": "x"}, ["NTS_SECRET_KEY"]),
    ({"api_token": "a", "ussd_secret": "u"}, ["NTS_API_TOKEN", "USSD_SECRET"]),
    ({"telegram_webhook_secret": "short", "line_channel_secret": "s"}, ["TELEGRAM_WEBHOOK_SECRET",
                                                                         "LINE_CHANNEL_SECRET"]),
    ({"dev_outbox": True}, ["NTS_DEV_OUTBOX"]),
])
def test_a_process_refuses_to_serve_with_an_unsafe_configuration(ctx: Context, changes: dict[str, Any],
                                                                  named: list[str]) -> None:
    from gateway.settings import SettingsError

    with pytest.raises(SettingsError) as caught:
        ctx.settings.replace(**changes).check_serving()
    for variable in named:
        assert variable in str(caught.value)
    ctx.settings.check_serving()  # the tests' own configuration is a safe one
    ctx.settings.replace(public_url="http://127.0.0.1:8000", api_token="a").check_serving()  # a laptop trial


def test_the_worker_command_says_what_to_set_and_stops(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("NTS_", "REDIS_URL", "DATABASE_URL"))}
    env.update(NTS_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
               NTS_PUBLIC_URL="https://gateway.example.org", NTS_API_TOKEN="abc")
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "worker", "--burst"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "NTS_SECRET_KEY" in done.stderr and "NTS_API_TOKEN" in done.stderr and "Traceback" not in done.stderr


def test_metrics_are_for_a_local_scraper_or_a_token_with_the_metrics_scope(ctx: Context) -> None:
    from centres import tokens

    client = create_app(context=ctx).test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 401
    _made, reader = tokens.create(ctx, ["4803"], ["reports:read"], "dashboard", 30, "test")
    _made, scraper = tokens.create(ctx, ["*"], ["metrics"], "prometheus", 30, "test")
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": f"Bearer {reader}"}).status_code == 401
    scraped = client.get("/metrics", environ_base=outside, headers={"Authorization": f"Bearer {scraper}"})
    assert scraped.status_code == 200 and "nts_" in scraped.get_data(as_text=True)
    assert client.get("/metrics", environ_base=outside, headers=BEARER).status_code == 200  # the operator's


@pytest.mark.parametrize(("peer", "forwarded", "seen"), [
    ("203.0.113.9", "10.0.0.1", "203.0.113.9"),      # straight to the app: the header is the client's own claim
    ("127.0.0.1", "198.51.100.7", "198.51.100.7"),   # through our nginx on this host
    ("127.0.0.1", "198.51.100.7, 127.0.0.1", "127.0.0.1"),  # one hop trusted: the last address is taken
])
def test_forwarded_addresses_are_believed_only_from_our_proxy(ctx: Context, peer: str, forwarded: str,
                                                              seen: str) -> None:
    from flask import request

    from tests.conftest import make_context

    behind_nginx = make_context(ctx.settings.replace(proxy_hops=1))
    app = create_app(context=behind_nginx)

    @app.get("/_whoami")
    def whoami() -> str:
        return request.remote_addr or ""

    got = app.test_client().get("/_whoami", environ_base={"REMOTE_ADDR": peer},
                                headers={"X-Forwarded-For": forwarded})
    assert got.get_data(as_text=True) == seen
    behind_nginx.close()
