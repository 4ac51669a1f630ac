"""Twilio Programmable Messaging: inbound SMS webhook in, TwiML reply out.

Webhook fields: https://www.twilio.com/docs/messaging/guides/webhook-request
Signature: https://www.twilio.com/docs/usage/security#validating-requests (twilio's RequestValidator)
TwiML <Message>: https://www.twilio.com/docs/messaging/twiml/message
"""

from __future__ import annotations

from datetime import UTC, datetime

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from flows.inbound import Inbound
from gateway.channels.base import (
    Adapter,
    BadRequest,
    Forbidden,
    NotConfigured,
    Parsed,
    WebRequest,
    WebResponse,
    parse_form,
)
from gateway.intake import Accepted
from i18n.phones import to_e164
from workers.context import Context

CHANNEL = "twilio"
REQUIRED = ("MessageSid", "From", "Body")
MAX_BODY_CHARS = 1600  # Twilio's own limit for a (concatenated) SMS body

# Twilio MessageStatus values → our delivery states (status callbacks, used for outbound SMS).
STATUS_MAP = {
    "accepted": "pending", "queued": "pending", "sending": "pending", "sent": "sent", "delivered": "sent",
    "undelivered": "failed", "failed": "failed", "read": "sent", "receiving": "pending", "received": "sent",
}


def check_signature(auth_token: str, url: str, params: dict[str, str], signature: str | None) -> None:
    """Raise Forbidden unless `signature` is Twilio's HMAC-SHA1 of `url` and the sorted params."""
    if not auth_token:
        raise NotConfigured("TWILIO_AUTH_TOKEN is not set on this gateway")
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise Forbidden("X-Twilio-Signature does not match")


def verify(ctx: Context, req: WebRequest) -> dict[str, str]:
    """Check X-Twilio-Signature against NTS_PUBLIC_URL + path (the form body decoded strictly first)."""
    params = parse_form(req.body, req.content_type)
    check_signature(ctx.settings.twilio_auth_token, req.signed_url, params, req.header("X-Twilio-Signature"))
    return params


def parse(ctx: Context, req: WebRequest, params: dict[str, str]) -> Parsed:
    """The inbound SMS of a verified webhook."""
    return Parsed([parse_params(params)])


def parse_params(params: dict[str, str]) -> Inbound:
    """The inbound message of a verified Twilio webhook."""
    missing = [k for k in REQUIRED if k not in params]
    if missing:
        raise BadRequest(f"missing fields: {', '.join(missing)}")
    sid = params["MessageSid"]
    if not (sid.startswith(("SM", "MM")) and len(sid) == 34 and sid[2:].isalnum()):
        raise BadRequest("MessageSid is not a Twilio message id")
    body = params["Body"]
    if len(body) > MAX_BODY_CHARS:
        raise BadRequest(f"Body longer than {MAX_BODY_CHARS} characters")
    address = to_e164(params["From"]) or params["From"].strip()
    if not address:
        raise BadRequest("From is empty")
    location = None
    if params.get("Latitude") and params.get("Longitude"):  # WhatsApp-style location fields
        try:
            location = (float(params["Latitude"]), float(params["Longitude"]))
        except ValueError as exc:
            raise BadRequest("Latitude/Longitude are not numbers") from exc
    return Inbound(channel=CHANNEL, provider_id=sid, address=address, text=body,
                   received_at=datetime.now(UTC), location=location)


def twiml(reply_text: str | None) -> str:
    """TwiML answering with one SMS (or nothing)."""
    response = MessagingResponse()
    if reply_text:
        response.message(reply_text)
    return str(response)


def render(ctx: Context, parsed: Parsed, results: list[Accepted]) -> WebResponse:
    """The reply rides the webhook response as TwiML (no extra API call, no extra cost)."""
    return WebResponse(twiml(results[0].reply if results else None), content_type="application/xml")


def offline(parsed: Parsed, text: str) -> WebResponse:
    """While Redis is down: the "received, we will reply soon" SMS as TwiML."""
    return WebResponse(twiml(text), content_type="application/xml")


def send(ctx: Context, address: str, text: str, options: list[list[str]] | None = None) -> str:
    """An SMS to a reporter outside a webhook reply (REST API, status callback signed like webhooks)."""
    from workers.senders import twilio_sms as sender

    return sender.send(ctx.settings, address, text)


def parse_status(ctx: Context, req: WebRequest, params: dict[str, str]) -> Parsed:
    """A status callback for a message we sent: the delivery record is updated by a job."""
    sid, status = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or status not in STATUS_MAP:
        raise BadRequest("MessageSid and a known MessageStatus are required")
    from workers.queue import get_queue

    get_queue(ctx.redis).enqueue_call("workers.jobs.record_delivery_status",
                                      args=(CHANNEL, sid, STATUS_MAP[status], params.get("ErrorCode", "")))
    return Parsed(response=WebResponse("", 204))


ADAPTER = Adapter(name=CHANNEL, path="/webhooks/twilio/sms", verify=verify, parse=parse, render=render, send=send,
                  status_map=STATUS_MAP, offline=offline)
STATUS_ADAPTER = Adapter(name="twilio_status", path="/webhooks/twilio/status", verify=verify, parse=parse_status,
                         render=render, status_map=STATUS_MAP)
