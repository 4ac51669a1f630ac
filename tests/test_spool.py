"""The spool: what the gateway does while Redis is unreachable, and how the replayer drains it afterwards."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient
from redis import Redis

from gateway.app import create_app
from gateway.channels.events import Inbound
from gateway.replayer import drain
from gateway.spool import Spool
from gateway.web.state import AppState
from i18n.catalog import text as t
from reports.context import Context
from reports.models import Report
from tests.conftest import SECRET_KEY, TELEGRAM_WEBHOOK_SECRET, USSD_SECRET, free_port, make_context
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import is_received_update, run_worker, sign, twilio_params


def message(n: int, text: str = "ค้ามนุษย์ ท่าอุเทน ตอนนี้ รถตู้สองคัน") -> Inbound:
    return Inbound("twilio", f"SM{n:032x}", "+66812345678", text, datetime.now(UTC))


@pytest.fixture
def down(ctx: Context, tmp_path: Path) -> Context:
    """The same gateway, with Redis unreachable (a closed port) and a spool under tmp_path."""
    settings = ctx.settings.replace(redis_url=f"redis://127.0.0.1:{free_port()}/0",
                                   spool_dir=str(tmp_path / "spool"))
    return make_context(settings)


@pytest.fixture
def up(ctx: Context, down: Context) -> Context:
    """The live context, reading the same spool directory."""
    live = make_context(ctx.settings.replace(spool_dir=down.settings.spool_dir))
    from reports.context import install

    install(live)
    return live


@pytest.fixture
def offline_client(down: Context) -> FlaskClient:
    return create_app(context=down).test_client()


def spool_of(context: Context) -> Spool:
    return Spool(context.settings.spool_path(), context.settings.secret_key)


def drain_now(context: Context) -> tuple[int, int]:
    result = drain(context, AppState(context).engine, spool_of(context))
    return result.replayed, result.duplicates


# --- the file format ---------------------------------------------------------------------------------------


def test_records_round_trip_encrypted_fsynced_and_private(tmp_path: Path) -> None:
    spool = Spool(tmp_path, SECRET_KEY)
    for n in range(3):
        spool.append(message(n))
    (path,) = spool.pending_files()
    raw = path.read_bytes()
    assert b"+66812345678" not in raw and "ท่าอุเทน".encode() not in raw  # nothing in clear on disk
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [r.msg.provider_id for r in spool.read(path)] == [message(n).provider_id for n in range(3)]
    first = spool.read(path)[0].msg
    assert (first.channel, first.address, first.text) == ("twilio", "+66812345678", message(0).text)


@pytest.mark.parametrize("damage, good, quarantined", [
    ("none", 3, 0),
    ("torn tail", 3, 1),  # the process died in the middle of a write
    ("flipped byte", 2, 1),  # the checksum catches it
    ("garbage line", 3, 1),
    ("wrong key", 0, 3),  # a spool from another installation is kept, not replayed
])
def test_unreadable_records_are_quarantined_and_the_rest_replays(tmp_path: Path, damage: str, good: int,
                                                                  quarantined: int) -> None:
    spool = Spool(tmp_path, SECRET_KEY if damage != "wrong key" else "another-key-" + "x" * 32)
    for n in range(3):
        spool.append(message(n))
    spool = Spool(tmp_path, SECRET_KEY)
    (path,) = spool.pending_files()
    data = bytearray(path.read_bytes())
    if damage == "torn tail":
        data += b"1234abcd gAAAAABhalf-a-tok"
    elif damage == "flipped byte":
        data[20] ^= 0x01
    elif damage == "garbage line":
        data += b"\x00\xff not a record\n"
    path.write_bytes(bytes(data))
    assert len(spool.read(path)) == good
    bad = list((tmp_path / "quarantine").glob("*.bad"))
    assert (len(bad[0].read_bytes().strip().split(b"\n")) if bad else 0) == quarantined


def _append_many(directory: str, start: int) -> None:
    spool = Spool(Path(directory), SECRET_KEY)
    for n in range(start, start + 50):
        spool.append(message(n))


def test_one_file_per_process_and_nothing_lost_when_taken_mid_write(tmp_path: Path) -> None:
    ctx_mp = multiprocessing.get_context("fork")
    procs = [ctx_mp.Process(target=_append_many, args=(str(tmp_path), k * 1000)) for k in range(4)]
    for p in procs:
        p.start()
    spool = Spool(tmp_path, SECRET_KEY)
    taken: list[str] = []
    while any(p.is_alive() for p in procs):  # the replayer renames files while writers append
        for path in spool.take():
            taken += [r.msg.provider_id for r in spool.read(path)]
            path.unlink()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    for path in spool.take():
        taken += [r.msg.provider_id for r in spool.read(path)]
        path.unlink()
    assert sorted(taken) == sorted(message(k * 1000 + n).provider_id for k in range(4) for n in range(50))


# --- the gateway while Redis is down -------------------------------------------------------------------------


@pytest.mark.parametrize("sender, lang", [("+66812345678", "th"), ("+8562055512345", "lo"),
                                          ("+85512345678", "km"), ("+12025550123", "th")])
def test_sms_is_spooled_and_answered_received_in_the_senders_language(offline_client: FlaskClient, down: Context,
                                                                       sender: str, lang: str) -> None:
    params = twilio_params("ค้ามนุษย์ ท่าอุเทน ตอนนี้ รถตู้สองคัน", sender=sender)
    resp = offline_client.post("/webhooks/twilio/sms", data=urlencode(params),
                               content_type="application/x-www-form-urlencoded",
                               headers={"X-Twilio-Signature": sign(params)})
    assert resp.status_code == 200
    body = ElementTree.fromstring(resp.get_data(as_text=True)).findtext("Message")
    assert body == t(lang, "received_later")
    (path,) = spool_of(down).pending_files()
    assert [r.msg.address for r in spool_of(down).read(path)] == [sender]


def test_a_bad_signature_is_still_refused_while_redis_is_down(offline_client: FlaskClient, down: Context) -> None:
    params = twilio_params("hello")
    resp = offline_client.post("/webhooks/twilio/sms", data=urlencode(params),
                               content_type="application/x-www-form-urlencoded", headers={"X-Twilio-Signature": "x"})
    assert resp.status_code == 403
    assert spool_of(down).pending_files() == []


def ussd(client: FlaskClient, text: str, session: str = "S9") -> tuple[int, str]:
    resp = client.post(f"/webhooks/ussd?secret={USSD_SECRET}", data=urlencode(
        {"sessionId": session, "serviceCode": "*384*1234#", "phoneNumber": "+8562055512345", "networkCode": "1",
         "text": text}), content_type="application/x-www-form-urlencoded")
    return resp.status_code, resp.get_data(as_text=True)


def test_ussd_ends_the_session_with_received_and_keeps_the_answer(offline_client: FlaskClient,
                                                                   down: Context) -> None:
    assert ussd(offline_client, "1*ท่าอุเทน") == (200, "END " + t("lo", "received_later"))
    (path,) = spool_of(down).pending_files()
    assert [r.msg.text for r in spool_of(down).read(path)] == ["ท่าอุเทน"]


def test_an_empty_ussd_dial_is_told_to_try_later_and_not_spooled(offline_client: FlaskClient,
                                                                 down: Context) -> None:
    assert ussd(offline_client, "") == (200, "END " + t("lo", "busy_later"))
    assert spool_of(down).pending_files() == []


def test_telegram_gets_received_inside_the_webhook_answer(offline_client: FlaskClient, down: Context) -> None:
    update = json.loads((Path("gateway/channels/telegram/fixtures") / "message__one_line_th.json").read_text())
    resp = offline_client.post("/webhooks/telegram", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET})
    assert resp.status_code == 200
    answer = resp.get_json()
    assert answer["method"] == "sendMessage" and answer["text"] == t("th", "received_later")
    assert answer["chat_id"] == update["message"]["chat"]["id"]


def test_a_delivery_receipt_gets_503_so_the_provider_retries(offline_client: FlaskClient) -> None:
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "AccountSid": "AC" + "1" * 32}
    resp = offline_client.post("/webhooks/twilio/status", data=urlencode(params),
                               content_type="application/x-www-form-urlencoded",
                               headers={"X-Twilio-Signature": sign(
                                   params, url="https://gateway.example.org/webhooks/twilio/status")})
    assert resp.status_code == 503


def test_a_spool_that_cannot_write_answers_503(down: Context) -> None:
    Path(down.settings.spool_path()).parent.mkdir(parents=True, exist_ok=True)
    Path(down.settings.spool_path()).write_text("a file where the directory should be")
    params = twilio_params("hello")
    resp = create_app(context=down).test_client().post(
        "/webhooks/twilio/sms", data=urlencode(params), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(params)})
    assert resp.status_code == 503


# --- replay --------------------------------------------------------------------------------------------------


def test_replay_completes_the_report_alerts_once_and_texts_the_ticket(
        offline_client: FlaskClient, down: Context, up: Context, redis: Redis, telegram: FakeTelegram,
        twilio_api: FakeAPI) -> None:
    params = twilio_params("ค้ามนุษย์ ท่าอุเทน ตอนนี้ รถตู้สองคัน")
    for _ in range(2):  # Twilio retried while we were down: two copies in the spool
        offline_client.post("/webhooks/twilio/sms", data=urlencode(params),
                            content_type="application/x-www-form-urlencoded",
                            headers={"X-Twilio-Signature": sign(params)})
    assert drain_now(up) == (1, 1)
    assert spool_of(up).pending_files() == []
    assert drain_now(up) == (0, 0)
    run_worker(redis)
    with up.sessions() as session:
        (report,) = session.query(Report).all()
    alerts = [c for c in telegram.sent() if c.params.get("chat_id") == "-1001234567890"]
    assert len(alerts) == 1 and report.ticket in alerts[0].params["text"]
    texts = [r.body["Body"] for r in twilio_api.received("POST", "/2010-04-01/Accounts/")]
    replies = [x for x in texts if not is_received_update(x)]
    assert len(texts) == 2 and len(replies) == 1 and report.ticket in replies[0]  # + "the centre has it"


def test_a_provider_redelivery_after_recovery_is_not_a_second_report(
        offline_client: FlaskClient, down: Context, up: Context, redis: Redis) -> None:
    params = twilio_params("ค้ามนุษย์ ท่าอุเทน ตอนนี้ รถตู้สองคัน")
    offline_client.post("/webhooks/twilio/sms", data=urlencode(params),
                        content_type="application/x-www-form-urlencoded", headers={"X-Twilio-Signature": sign(params)})
    live = create_app(context=up).test_client()
    resp = live.post("/webhooks/twilio/sms", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                     headers={"X-Twilio-Signature": sign(params)})
    assert "ท่าอุเทน" not in resp.get_data(as_text=True) and resp.status_code == 200
    assert drain_now(up) == (0, 1)
    run_worker(redis)
    with up.sessions() as session:
        assert session.query(Report).count() == 1


def test_spooled_conversation_steps_replay_in_order(down: Context, up: Context, redis: Redis) -> None:
    spool = spool_of(down)
    for n, text in enumerate(["สวัสดี", "1", "ท่าอุเทน", "1", "รถตู้สองคัน", "1"]):
        spool.append(message(100 + n, text))
    assert drain_now(up) == (6, 0)
    run_worker(redis)
    with up.sessions() as session:
        (report,) = session.query(Report).all()
        assert report.category == "trafficking" and report.center_id == "4803"


def test_a_replayer_that_finds_redis_still_down_leaves_the_spool_alone(down: Context) -> None:
    spool_of(down).append(message(1))
    from redis.exceptions import ConnectionError as RedisConnectionError

    with pytest.raises(RedisConnectionError):
        drain_now(down)
    assert len(spool_of(down).pending_files()) == 1
    assert os.listdir(down.settings.spool_path())


def test_the_replayer_process_waits_small_and_replays_in_a_pass_of_its_own(up: Context, redis: Redis) -> None:
    """The real `ntswatch spool replay`: it execs into the small watcher (gateway/spool_watch.py), which runs a
    full pass as a child when a spool file appears; the report it held is queued once."""
    import subprocess
    import sys
    import time

    from reports.db import upgrade

    upgrade(up.engine)
    env = {**os.environ, "REDIS_URL": up.settings.redis_url, "DATABASE_URL": up.settings.database_url,
           "NTS_CENTERS_FILE": up.settings.centers_file, "NTS_SECRET_KEY": SECRET_KEY,
           "NTS_SPOOL_DIR": up.settings.spool_dir, "NTS_VAR_DIR": str(Path(up.settings.spool_dir).parent)}
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "spool", "replay", "--interval", "0.2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        time.sleep(2.0)
        assert proc.poll() is None
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss_mb = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024
        assert rss_mb < 60, rss_mb  # waiting, it holds no engine (a full replayer was ~130 MB)
        assert "gateway.spool_watch" in Path(f"/proc/{proc.pid}/cmdline").read_text()
        spool_of(up).append(message(7))
        deadline = time.monotonic() + 30
        while spool_of(up).pending_files() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert spool_of(up).pending_files() == []
    finally:
        proc.terminate()
        proc.wait(10)
    run_worker(redis)
    with up.sessions() as session:
        assert session.query(Report).count() == 1
