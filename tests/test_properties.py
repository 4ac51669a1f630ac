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
