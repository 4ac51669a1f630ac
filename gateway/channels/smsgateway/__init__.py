"""An Android phone as the district office's SMS gateway, on the office LAN (works with the internet down).

Two apps are understood on `POST /webhooks/smsgateway`:

* "SMS Gateway for Android" (https://docs.sms-gate.app/features/webhooks/): JSON envelope
  `{deviceId, event, id, webhookId, payload: {messageId, message, phoneNumber, simNumber, receivedAt}}`,
  signed: `X-Signature` = hex HMAC-SHA256(SMSGATEWAY_SECRET, raw body + `X-Timestamp`), the timestamp
  within 5 minutes. Dedup on the envelope `id` (the payload's messageId is content-derived, not unique).
  Replies go out through the phone's API (`SMSGATEWAY_API_BASE`), queued as jobs.
* SMSSync (https://github.com/ushahidi/SMSSync, "Sync URL" protocol): form `secret, from, message,
  message_id, sent_timestamp, sent_to, device_id`; success only for `{"payload": {"success": true,
  "error": null}}`. The reply rides that answer as a `send` task; `GET ?task=send` polling hands out
  queued messages and `POST ?task=sent` acknowledges them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from gateway.channels.base import (
    Adapter,
    BadRequest,
    ChannelContext,
    Forbidden,
    Parsed,
    Rendered,
    Unauthorized,
    WebhookNotConfigured,
    WebRequest,
    WebResponse,
    parse_form,
)
from gateway.channels.events import Inbound, Receipt, Result
from gateway.channels.sending import Outgoing
from gateway.channels.smsgateway import client
from i18n.phones import sender_e164
from reports.identity import decrypt_contact, encrypt_contact
from reports.keys import SMSSYNC_OUTBOX

CHANNEL = "smsgateway"
REPLAY_WINDOW_S = 300
MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 fit in 10 digits; anything longer is not a timestamp
MAX_MESSAGE = 1600

# SMS Gateway for Android events → our delivery states.
STATUS_MAP = {"sms:received": "inbound", "sms:sent": "sent", "sms:delivered": "sent", "sms:failed": "failed",
              "system:ping": "ignored", "mms:received": "inbound", "sms:data-received": "ignored"}


def _json(data: dict[str, Any], status: int = 200) -> WebResponse:
    return WebResponse(json.dumps(data, ensure_ascii=False), status, "application/json")


def _secret(cc: ChannelContext) -> str:
    if not cc.settings.smsgateway_secret:
        raise WebhookNotConfigured("SMSGATEWAY_SECRET is not set on this gateway")
    return cc.settings.smsgateway_secret


def verify(cc: ChannelContext, req: WebRequest) -> dict[str, Any]:
    """Check the signature (JSON webhook) or the shared secret (SMSSync); return the decoded body."""
    secret = _secret(cc)
    if req.method == "GET" or "task" in req.query or not req.content_type.startswith("application/json"):
        params = dict(req.query)
        if req.method == "POST" and req.query.get("task") != "sent":
            params.update(parse_form(req.body, req.content_type))
        if not hmac.compare_digest(params.get("secret", "").encode(), secret.encode()):
            raise Unauthorized("wrong or missing SMSSync secret")
        if req.query.get("task") == "sent":
            params["_sent"] = _decode_json(req.body).get("queued_messages", [])
        return {"kind": "smssync", "params": params}
    signature = req.header("X-Signature") or ""
    timestamp = req.header("X-Timestamp") or ""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        raise Forbidden("X-Timestamp missing or not a number of seconds")
    age = abs(time.time() - int(timestamp))
    if age > REPLAY_WINDOW_S:
        raise Forbidden("X-Timestamp outside the 5-minute window (replayed or clock wrong)")
    expected = hmac.new(secret.encode(), req.body + timestamp.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.lower().encode(), expected.encode()):
        raise Forbidden("X-Signature does not match")
    return {"kind": "webhook", "body": _decode_json(req.body)}


def _decode_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("body is not valid UTF-8 JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _address(raw: Any, country: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest("sender phone number missing")
    return sender_e164(raw, country) or raw.strip()


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise BadRequest("message text missing")
    if len(raw) > MAX_MESSAGE:
        raise BadRequest(f"message longer than {MAX_MESSAGE} characters")
    return raw


def parse(cc: ChannelContext, req: WebRequest, decoded: dict[str, Any]) -> Parsed:
    """Inbound SMS, or an SMSSync polling/ack answer, or 200 for other events."""
    if decoded["kind"] == "webhook":
        body = decoded["body"]
        event, envelope_id, payload = body.get("event"), body.get("id"), body.get("payload")
        if not isinstance(event, str) or not isinstance(envelope_id, str) or not isinstance(payload, dict):
            raise BadRequest("expected {event, id, payload}")
        if event in ("sms:sent", "sms:delivered", "sms:failed"):
            # A receipt for a message the phone sent for us (its id is the one we gave it).
            receipt_id = payload.get("messageId") or payload.get("id")
            if isinstance(receipt_id, str) and receipt_id:
                return Parsed([Receipt(CHANNEL, receipt_id, STATUS_MAP[event], str(payload.get("reason") or "")[:64])],
                              response=_json({"ok": True}), extra={"event": event})
        if event != "sms:received":
            return Parsed(response=_json({"ok": True, "ignored": event}), extra={"event": event})
        sender = _address(payload.get("phoneNumber"), cc.settings.default_country)
        msg = Inbound(CHANNEL, f"sgw:{envelope_id}", sender,
                      _text(payload.get("message")), datetime.now(UTC))
        return Parsed([msg], extra={"kind": "webhook"})
    params = decoded["params"]
    task = req.query.get("task")
    if req.method == "GET" and task == "send":
        return Parsed(response=_json({"payload": {"task": "send", "secret": params["secret"],
                                                   "messages": _drain_outbox(cc)}}))
    if task == "sent":
        acked = [u for u in params["_sent"] if isinstance(u, str)]
        return Parsed(response=_json({"message_uuids": acked}))
    if req.method != "POST":
        raise BadRequest("SMSSync posts messages and polls with GET ?task=send")
    for field in ("from", "message"):
        if field not in params:
            raise BadRequest(f"missing field {field!r}")
    provider_id = params.get("message_id") or hashlib.sha256(
        f"{params['from']}|{params.get('sent_timestamp', '')}|{params['message']}".encode()).hexdigest()[:32]
    sender = _address(params["from"], cc.settings.default_country)
    msg = Inbound(CHANNEL, f"sync:{provider_id}", sender, _text(params["message"]),
                  datetime.now(UTC))
    return Parsed([msg], extra={"kind": "smssync", "secret": params["secret"]})


def offline(parsed: Parsed, text: str) -> WebResponse:
    """While Redis is down: SMSSync gets the "received" SMS as a send task; the JSON webhook a plain 200."""
    if parsed.extra.get("kind") == "smssync":
        messages = [{"to": parsed.messages[0].address, "message": text, "uuid": str(uuid.uuid4())}]
        return _json({"payload": {"success": True, "error": None, "task": "send",
                                  "secret": parsed.extra["secret"], "messages": messages}})
    return _json({"ok": True, "queued": "spool"})


def render(cc: ChannelContext, parsed: Parsed, results: list[Result]) -> Rendered:
    """SMSSync: success plus the reply as a send task. The JSON webhook: 200, the reply sent after it."""
    if parsed.response is not None:
        return Rendered(parsed.response)
    result = results[0]
    message = parsed.messages[0]
    reply = result.reply.text if result.reply and not result.duplicate else ""
    if parsed.extra.get("kind") == "smssync":
        messages = [{"to": message.address, "message": reply, "uuid": str(uuid.uuid4())}] if reply else []
        return Rendered(_json({"payload": {"success": True, "error": None, "task": "send",
                                           "secret": parsed.extra["secret"], "messages": messages}}))
    later = (Outgoing(CHANNEL, message.address, reply, f"{CHANNEL}-{message.provider_id}"),) if reply else ()
    return Rendered(_json({"ok": True}), later)


def send(cc: ChannelContext, out: Outgoing) -> str:
    """A message to a person through the phone: its API when set, else SMSSync's next poll."""
    if cc.settings.smsgateway_api_base:
        key = hashlib.sha256(out.dedup_key.encode()).hexdigest()[:32]  # the phone drops a retried id
        return client.send(cc.settings, [out.address], out.text, message_id=key)
    token = encrypt_contact(cc.settings.secret_key, out.address)
    cc.redis.rpush(SMSSYNC_OUTBOX, json.dumps({"to": token, "message": out.text, "uuid": str(uuid.uuid4())}))
    return "smssync-outbox"


def _drain_outbox(cc: ChannelContext, limit: int = 50) -> list[dict[str, str]]:
    pipe = cc.redis.pipeline(transaction=True)
    pipe.lrange(SMSSYNC_OUTBOX, 0, limit - 1)
    pipe.ltrim(SMSSYNC_OUTBOX, limit, -1)
    raw, _ = pipe.execute()
    out = []
    for item in raw:
        data = json.loads(item)
        out.append({"to": decrypt_contact(cc.settings.secret_key, data["to"]), "message": data["message"],
                    "uuid": data["uuid"]})
    return out


ADAPTER = Adapter(name=CHANNEL, path="/webhooks/smsgateway", verify=verify, parse=parse, render=render, send=send,
                  status_map=STATUS_MAP, methods=("GET", "POST"), offline=offline)
