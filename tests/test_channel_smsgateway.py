"""Android phone SMS gateway: the "SMS Gateway for Android" webhook (signed, replay window, envelope-id
dedup, replies through the phone's API) and the SMSSync protocol (secret, reply as a send task, polling)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from redis import Redis

from gateway.app import create_app
from gateway.channels import smsgateway
from gateway.channels.base import ChannelContext
from gateway.channels.sending import Outgoing
from i18n.catalog import text as t
from reports.context import Context
from reports.keys import SMSSYNC_OUTBOX
from tests.channels import Case, assert_nothing_stored, load_fixture
from tests.conftest import SMSGATEWAY_SECRET
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import is_received_update, run_worker

PATH = "/webhooks/smsgateway"


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def signed(body: bytes, secret: str = SMSGATEWAY_SECRET, age: int = 0) -> dict[str, str]:
    ts = str(int(time.time()) - age)
    sig = hmac.new(secret.encode(), body + ts.encode(), hashlib.sha256).hexdigest()
    return {"X-Signature": sig, "X-Timestamp": ts}


def J(*args: object, **kwargs: object) -> Case:
    """A webhook case: JSON unless it says otherwise."""
    kwargs.setdefault("content_type", "application/json")
    return Case(*args, **kwargs)  # type: ignore[arg-type]


WEBHOOK_CASES = [
    J("Thai SMS in, reply queued for the phone", "webhook__sms_received_th", 200),
    J("Lao SMS in", "webhook__sms_received_lo", 200),
    J("local number normalised to E.164", "webhook__sms_received_local_number", 200),
    J("redelivered envelope id handled once", "webhook__sms_received_th", 200, repeat=3),
    J("ping: 200", "webhook__system_ping", 200, stores=False),
    J("wrong signature", "webhook__sms_received_th", 403, stores=False, sign="bad"),
    J("no signature", "webhook__sms_received_th", 403, stores=False, sign="none"),
    J("replayed after 10 minutes", "webhook__sms_received_th", 403, stores=False, sign="old"),
    J("body changed after signing", "webhook__sms_received_th", 403, stores=False, sign="tampered"),
    J("missing payload", "webhook__missing_payload", 400, stores=False),
    J("not JSON", None, 400, stores=False, body=b"{not json", content_type="application/json"),
    J("broken UTF-8", None, 400, stores=False, body=b'{"event": "\xe0\xb8"}', content_type="application/json"),
    J("oversized", None, 413, stores=False, body=b'{"x": "' + b"a" * 70_000 + b'"}',
         content_type="application/json"),
]


@pytest.mark.parametrize("case", WEBHOOK_CASES, ids=[c.name for c in WEBHOOK_CASES])
def test_android_gateway_webhook(client: FlaskClient, ctx: Context, redis: Redis, phone_api: FakeAPI,
                                 case: Case) -> None:
    body = case.body if case.body is not None else json.dumps(load_fixture("smsgateway", case.fixture or ""),
                                                              ensure_ascii=False).encode()
    headers = {"bad": signed(body, "wrong"), "none": {}, "old": signed(body, age=600),
               "tampered": signed(body)}.get(case.sign, signed(body))
    if case.sign == "tampered":
        body = body.replace("ท่าอุเทน".encode(), "เชียงของ".encode())
    for _ in range(case.repeat):
        resp = client.post(PATH, data=body, headers=headers, content_type=case.content_type)
        assert resp.status_code == case.status, resp.get_data(as_text=True)
    if not case.stores:
        assert_nothing_stored(redis)
        return
    run_worker(redis)
    sent = [r for r in phone_api.received("POST", "/message") if not is_received_update(r.body["textMessage"]["text"])]
    assert len(sent) == 1  # one reply, however often the phone redelivered
    payload = load_fixture("smsgateway", case.fixture or "")["payload"]
    expected_to = "+66812345678" if payload["phoneNumber"] == "0812345678" else payload["phoneNumber"]
    assert sent[0].body["phoneNumbers"] == [expected_to]
    assert sent[0].headers["authorization"].startswith("Basic ")  # credentials from SMSGATEWAY_API_BASE
    assert sent[0].body["textMessage"]["text"]


def test_a_failed_delivery_report_marks_the_officers_alert(client: FlaskClient, ctx: Context,
                                                          phone_api: FakeAPI) -> None:
    """The phone says it could not deliver a duty officer's alert: that delivery (and only it) is dead."""
    from sqlalchemy import select

    from reports.models import Delivery

    ctx.settings = ctx.settings.replace(twilio_account_sid="")  # alerts to duty phones go through the phone
    received = load_fixture("smsgateway", "webhook__sms_received_th")
    received["payload"]["message"] = "แจ้ง ลักลอบขนของ เชียงของ รถกระบะขนบุหรี่เต็มคันจอดริมโขง"  # SMS officers there
    body = json.dumps(received, ensure_ascii=False).encode()
    client.post(PATH, data=body, headers=signed(body), content_type="application/json")
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        rows = s.execute(select(Delivery).where(Delivery.channel == "sms")).scalars()
        officers = {d.target["to"][0]: d.provider_message_id for d in rows}
    failed = load_fixture("smsgateway", "webhook__sms_failed")
    failed["payload"]["messageId"] = officers["+66811110001"]
    raw = json.dumps(failed).encode()
    for _ in range(2):  # a redelivered receipt changes nothing more
        assert client.post(PATH, data=raw, headers=signed(raw), content_type="application/json").status_code == 200
    delivered = json.dumps(load_fixture("smsgateway", "webhook__sms_delivered")).encode()
    assert client.post(PATH, data=delivered, headers=signed(delivered),
                       content_type="application/json").status_code == 200
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        status = {d.target["to"][0]: (d.status, d.last_error) for d in s.execute(
            select(Delivery).where(Delivery.channel == "sms")).scalars()}
    assert status["+66811110001"] == ("dead", "smsgateway delivery failed RESULT_ERROR_GENERIC_FAILURE")
    assert status["+66811110002"][0] == "sent"


def test_one_line_report_reaches_the_centre(client: FlaskClient, ctx: Context, phone_api: FakeAPI,
                                            telegram: FakeTelegram) -> None:
    body = json.dumps(load_fixture("smsgateway", "webhook__sms_received_th"), ensure_ascii=False).encode()
    client.post(PATH, data=body, headers=signed(body), content_type="application/json")
    run_worker(ctx.redis)
    reply = phone_api.received("POST", "/message")[0].body["textMessage"]["text"]
    assert "เลขที่" in reply
    alert = [c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]
    assert len(alert) == 1 and "SMS" in alert[0].params["text"] and "smsgateway" not in alert[0].params["text"]


def test_phone_api_down_retries_the_reply(client: FlaskClient, ctx: Context, phone_api: FakeAPI) -> None:
    phone_api.fail_next(503)
    body = json.dumps(load_fixture("smsgateway", "webhook__sms_received_local_number"), ensure_ascii=False).encode()
    client.post(PATH, data=body, headers=signed(body), content_type="application/json")
    run_worker(ctx.redis, timeout=30)
    assert len(phone_api.received("POST", "/message")) == 1


def smssync(client: FlaskClient, fields: dict[str, str], secret: str = SMSGATEWAY_SECRET) -> tuple[int, dict]:
    resp = client.post(PATH, data=urlencode({**fields, "secret": secret}),
                       content_type="application/x-www-form-urlencoded")
    return resp.status_code, resp.get_json()


def test_smssync_message_gets_success_and_the_reply_as_a_send_task(client: FlaskClient) -> None:
    status, data = smssync(client, load_fixture("smsgateway", "smssync__message_km"))
    assert status == 200
    payload = data["payload"]
    assert payload["success"] is True and payload["error"] is None and payload["task"] == "send"
    assert payload["messages"][0]["to"] == "+85512345678"
    assert "បានទទួល លេខករណី" in payload["messages"][0]["message"]
    # SMSSync retries a post it got no answer to: the same message_id is not a second report.
    status, again = smssync(client, load_fixture("smsgateway", "smssync__message_km"))
    assert status == 200 and again["payload"]["success"] is True and again["payload"]["messages"] == []


@pytest.mark.parametrize(
    ("fields", "secret", "status"),
    [({"from": "+66812345678", "message": "แจ้ง"}, "wrong", 401),
     ({"from": "+66812345678", "message": "แจ้ง"}, "", 401),
     ({"message": "แจ้ง", "message_id": "x1"}, SMSGATEWAY_SECRET, 400)],
)
def test_smssync_refusals(client: FlaskClient, redis: Redis, fields: dict[str, str], secret: str, status: int) -> None:
    assert smssync(client, fields, secret)[0] == status
    assert_nothing_stored(redis)


def test_smssync_polling_hands_out_queued_messages_once(client: FlaskClient, ctx: Context) -> None:

    ctx.settings = ctx.settings.replace(smsgateway_api_base="")  # no phone API: SMSSync polls
    smsgateway.send(ChannelContext(ctx.settings, ctx.redis), Outgoing(
        "smsgateway", "+66812345678", t("th", "status_reply", ticket="100009", status=t("th", "status_new")), "k1"))
    assert ctx.redis.llen(SMSSYNC_OUTBOX) == 1
    assert "812345678" not in (ctx.redis.lindex(SMSSYNC_OUTBOX, 0) or "")  # encrypted while queued
    resp = client.get(f"{PATH}?task=send&secret={SMSGATEWAY_SECRET}")
    messages = resp.get_json()["payload"]["messages"]
    assert [m["to"] for m in messages] == ["+66812345678"]
    assert client.get(f"{PATH}?task=send&secret={SMSGATEWAY_SECRET}").get_json()["payload"]["messages"] == []
    ack = client.post(f"{PATH}?task=sent&secret={SMSGATEWAY_SECRET}",
                      data=json.dumps({"queued_messages": [messages[0]["uuid"]]}), content_type="application/json")
    assert ack.get_json() == {"message_uuids": [messages[0]["uuid"]]}
    assert client.get(f"{PATH}?task=send&secret=wrong").status_code == 401


def test_same_phone_same_reporter_across_channels(client: FlaskClient, ctx: Context) -> None:
    from reports.identity import pseudonym

    body = json.dumps(load_fixture("smsgateway", "webhook__sms_received_local_number"), ensure_ascii=False).encode()
    client.post(PATH, data=body, headers=signed(body), content_type="application/json")
    pid = pseudonym(ctx.settings.secret_key, "+66812345678")  # the number Twilio and USSD give too
    assert ctx.redis.exists(f"nts:conv:{pid}")


CONVERSATIONS = {
    "th": ("+66812345671", ["สวัสดี", "2", "ท่าอุเทน", "1", "เรือสองลำขนกล่อง", "1"], "4803"),
    "lo": ("+8562055512346", ["ສະບາຍດີ", "1", "ທ່າແຂກ", "2", "ລົດຕູ້ພາແມ່ຍິງ", "1"], "4801"),
    "km": ("+85512345670", ["សួស្តី", "3", "ប៉ោយប៉ែត", "3", "មនុស្សដប់នាក់ឆ្លងព្រំដែន", "1"], "2706"),
    "en": ("+66898765431", ["hello", "4", "Chiang Khong", "2", "pickup loaded with cigarettes", "1"], "5703"),
}


@pytest.mark.parametrize("lang", list(CONVERSATIONS))
def test_a_conversation_in_every_language(client: FlaskClient, ctx: Context, phone_api: FakeAPI, lang: str) -> None:
    from sqlalchemy import select

    from reports.models import Report

    phone, messages, centre = CONVERSATIONS[lang]
    for n, text in enumerate(messages):
        envelope = {"deviceId": "d1", "event": "sms:received", "id": f"{lang}-{n}", "webhookId": "w",
                    "payload": {"messageId": str(n), "message": text, "phoneNumber": phone, "simNumber": 1,
                                "receivedAt": "2026-11-28T16:04:12.000+07:00"}}
        body = json.dumps(envelope, ensure_ascii=False).encode()
        assert client.post(PATH, data=body, headers=signed(body), content_type="application/json").status_code == 200
    run_worker(ctx.redis)
    replies = [r.body["textMessage"]["text"] for r in phone_api.received("POST", "/message")
               if r.body["phoneNumbers"] == [phone]]
    assert sum(1 for r in replies if is_received_update(r)) == 1  # "the centre has it", in their language
    replies = [r for r in replies if not is_received_update(r)]
    assert len(replies) == len(messages) and replies[0] == t(lang, "ask_category")
    with ctx.sessions() as s:
        report = s.execute(select(Report)).scalar_one()
    assert (report.channel, report.language, report.center_id) == ("smsgateway", lang, centre)
