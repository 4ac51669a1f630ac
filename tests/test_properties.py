"""Property-based tests (hypothesis): every parser answers any input with a result or a clear error —
never a crash, never a 500."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.engine import Engine
from flows.parse import parse_command, parse_report, parse_ticket
from gateway.app import create_app
from gateway.channels.events import Inbound
from gateway.channels.ussd import new_input
from i18n.normalize import normalize_text
from i18n.sms import sms_size
from reports.centres_file import CentersError, parse_centers
from reports.context import Context
from reports.places import gazetteer
from tests.helpers import sign

# Text as reporters might type it: Thai, Lao, Khmer, Latin, digits of every script, and the troublemakers.
ALPHABET = st.one_of(
    st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F),
    st.characters(min_codepoint=0x0E80, max_codepoint=0x0EFF),
    st.characters(min_codepoint=0x1780, max_codepoint=0x17FF),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from(["\u200b", "\u202e", "\u2066", "\x00", "\n", "\r", "*", "😀", "\ufeff", "\u0e4d", "\u0e32"]),
    st.characters(),
)
TEXT = st.text(alphabet=ALPHABET, max_size=200)
# What can travel as UTF-8 on the wire (no lone surrogates): for bodies that are form-encoded and signed.
WIRE_TEXT = TEXT.filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(TEXT)
def test_normalize_is_idempotent_and_strips_controls(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert not any(unicodedata.category(c) == "Cc" and c != "\n" for c in once)
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in once)


@FAST
@given(TEXT)
def test_message_parsers_never_crash(text: str) -> None:
    slots = parse_report(text, gazetteer())
    assert slots.category in (None, "trafficking", "drugs", "migration", "smuggling", "other")
    assert len(slots.details) <= 1000
    parse_command(text)
    ticket = parse_ticket(text)
    assert ticket is None or ticket.isdigit()
    sms_size(text)


@FAST
@given(st.one_of(st.none(), TEXT), TEXT)
def test_ussd_input_extraction_never_crashes(previous: str | None, text: str) -> None:
    got = new_input(previous, text)
    assert got is None or isinstance(got, str)


JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
                       lambda inner: st.one_of(st.lists(inner, max_size=4),
                                               st.dictionaries(st.text(max_size=12), inner, max_size=5)),
                       max_leaves=20)


@FAST
@given(st.one_of(JSONISH, st.fixed_dictionaries({"fallback": st.text(max_size=5), "centers": st.lists(
    st.dictionaries(st.sampled_from(["id", "districts", "notify", "language", "members", "name"]), JSONISH,
                    max_size=6), max_size=3)})))
def test_centres_file_gives_a_clear_error_or_a_result(data: Any) -> None:
    try:
        centers = parse_centers(data, Path("centres.yaml"))
    except CentersError as exc:
        assert str(exc).startswith("centres.yaml: ")
    else:
        assert centers.fallback.id in centers.by_id


@pytest.fixture
def client(ctx: Context) -> FlaskClient:
    return create_app(context=ctx).test_client()


@FAST
@given(body=WIRE_TEXT, sender=WIRE_TEXT)
def test_signed_twilio_webhook_never_500(client: FlaskClient, body: str, sender: str) -> None:
    params = {"MessageSid": "SM" + "a" * 32, "From": sender, "Body": body}
    resp = client.post("/webhooks/twilio/sms", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": sign(params)})
    assert resp.status_code in (200, 400)


@FAST
@given(raw=st.binary(max_size=400), path=st.sampled_from(["/webhooks/telegram", "/webhooks/line",
                                                            "/webhooks/smsgateway", "/webhooks/ussd?secret=x",
                                                            "/webhooks/twilio/sms", "/api/reports"]),
       ctype=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""]),
       n=st.integers(1, 2**24))
def test_any_body_to_any_endpoint_never_500(client: FlaskClient, raw: bytes, path: str, ctype: str, n: int) -> None:
    # Each example from its own address, so the per-address refusal limit (429) does not hide the parsers.
    address = f"10.{n >> 16}.{n >> 8 & 255}.{n & 255}"
    resp = client.post(path, data=raw, content_type=ctype, environ_base={"REMOTE_ADDR": address})
    assert resp.status_code in (200, 204, 400, 401, 403, 413, 503)


@FAST
@given(update=JSONISH)
def test_any_telegram_update_with_the_right_secret_never_500(client: FlaskClient, update: Any) -> None:
    from tests.conftest import TELEGRAM_WEBHOOK_SECRET

    if isinstance(update, dict):
        update = {**update, "update_id": 1}
    resp = client.post("/webhooks/telegram", data=json.dumps(update), content_type="application/json",
                       headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET})
    assert resp.status_code in (200, 400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(TEXT, min_size=1, max_size=6))
def test_any_conversation_keeps_every_reply_within_two_sms(ctx: Context, messages: list[str]) -> None:
    engine = Engine.for_context(ctx)
    for n, text in enumerate(messages):
        reply = engine.handle(Inbound("twilio", f"SMp{n}", "+66812345678", text, datetime.now(UTC)))
        assert sms_size(reply.text).parts <= 2, reply.text


# -- every endpoint, authenticated as its caller would be, with real payloads bent out of shape -------------------
def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*here, key))
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            found += _paths(inner, (*here, n))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


@st.composite
def bent(draw: st.DrawFn, payload: Any) -> Any:
    """A captured payload with one to three of its nested values (or keys' values) replaced by any JSON."""
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(payload)))
        payload = _replace(payload, path, draw(st.one_of(JSONISH, st.floats(), st.integers(-2**70, 2**70))))
    return payload


def _fixture(channel: str, name: str) -> Any:
    root = Path(__file__).parent.parent / "gateway" / "channels" / channel / "fixtures"
    return json.loads((root / f"{name}.json").read_text(encoding="utf-8"))


BATCH = {"device_id": "tablet-1", "reports": [
    {"client_id": "c-1", "category": "drugs", "place": "ท่าอุเทน", "when": "now", "details": "เรือ",
     "occurred_at": "2026-12-01T22:00:00+07:00", "location": {"lat": 17.5, "lon": 104.6},
     "reporter_phone": "0812345678"}]}
BROADCAST = {"center": "4803", "template": "training", "values": {"date": "2026-12-05", "place": "วัด"},
             "text": {"th": "ประชุม", "lo": "ປະຊຸມ"}, "audience": "members"}
ENDPOINTS = {  # name -> (path, captured payload)
    "line": ("/webhooks/line", _fixture("line", "message__one_line_th")),
    "line postback": ("/webhooks/line", _fixture("line", "postback__category_2")),
    "telegram photo": ("/webhooks/telegram", _fixture("telegram", "message__photo_with_caption")),
    "telegram button": ("/webhooks/telegram", _fixture("telegram", "callback__category_2")),
    "android gateway": ("/webhooks/smsgateway", _fixture("smsgateway", "webhook__sms_received_th")),
    "android delivery report": ("/webhooks/smsgateway", _fixture("smsgateway", "webhook__sms_failed")),
    "batch upload": ("/api/reports", BATCH),
    "broadcast": ("/api/broadcasts", BROADCAST),
}


def _signed(name: str, body: bytes) -> dict[str, str]:
    import base64
    import hashlib
    import hmac
    import time

    from tests.conftest import API_TOKEN, LINE_SECRET, SMSGATEWAY_SECRET, TELEGRAM_WEBHOOK_SECRET

    if name.startswith("line"):
        return {"X-Line-Signature": base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256)
                                                     .digest()).decode()}
    if name.startswith("telegram"):
        return {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}
    if name.startswith("android"):
        stamp = str(int(time.time()))
        return {"X-Timestamp": stamp,
                "X-Signature": hmac.new(SMSGATEWAY_SECRET.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()}
    return {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_any_bent_payload_signed_as_its_caller_never_gets_a_5xx(ctx: Context, name: str) -> None:
    path, payload = ENDPOINTS[name]
    app = create_app(context=ctx).test_client()

    @FAST
    @given(body=bent(payload))
    def check(body: Any) -> None:
        raw = json.dumps(body, ensure_ascii=False, allow_nan=True).encode()
        resp = app.post(path, data=raw, content_type="application/json", headers=_signed(name, raw),
                        environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:300])

    check()


@FAST
@given(fields=st.dictionaries(st.sampled_from(["sessionId", "serviceCode", "phoneNumber", "text", "networkCode"]),
                              WIRE_TEXT, max_size=5))
def test_any_ussd_form_with_the_secret_never_gets_a_5xx(client: FlaskClient, fields: dict[str, str]) -> None:
    from tests.conftest import USSD_SECRET

    resp = client.post("/webhooks/ussd", data=urlencode(fields), content_type="application/x-www-form-urlencoded",
                       headers={"X-USSD-Secret": USSD_SECRET})
    assert resp.status_code < 500


@FAST
@given(query=st.dictionaries(st.sampled_from(["limit", "offset", "since", "center", "district", "category",
                                              "status", "x"]), WIRE_TEXT, max_size=4),
       ticket=WIRE_TEXT.filter(lambda s: "/" not in s and s not in ("", ".", "..")))
def test_any_query_to_the_reading_endpoints_never_gets_a_5xx(client: FlaskClient, query: dict[str, str],
                                                             ticket: str) -> None:
    from urllib.parse import quote

    from tests.conftest import API_TOKEN

    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    for path in (f"/api/reports?{urlencode(query)}", f"/api/reports/{quote(ticket)}", f"/login/{quote(ticket)}",
                 f"/api/broadcasts/{quote(ticket)}", f"/center?{urlencode(query)}"):
        assert client.get(path, headers=bearer).status_code < 500, path
