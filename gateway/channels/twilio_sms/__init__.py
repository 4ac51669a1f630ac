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
from gateway.channels.base import BadRequest, Forbidden, NotConfigured
from i18n.phones import to_e164

CHANNEL = "twilio"
REQUIRED = ("MessageSid", "From", "Body")
MAX_BODY_CHARS = 1600  # Twilio's own limit for a (concatenated) SMS body

# Twilio MessageStatus values → our delivery states (status callbacks, used for outbound SMS).
STATUS_MAP = {
    "accepted": "pending", "queued": "pending", "sending": "pending", "sent": "sent", "delivered": "sent",
    "undelivered": "failed", "failed": "failed", "read": "sent", "receiving": "pending", "received": "sent",
}


def verify(auth_token: str, url: str, params: dict[str, str], signature: str | None) -> None:
    """Raise Forbidden unless `signature` is Twilio's HMAC-SHA1 of `url` and the sorted params."""
    if not auth_token:
        raise NotConfigured("TWILIO_AUTH_TOKEN is not set on this gateway")
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise Forbidden("X-Twilio-Signature does not match")


def parse(params: dict[str, str]) -> Inbound:
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


def render(reply_text: str | None) -> str:
    """TwiML answering with one SMS (or nothing)."""
    response = MessagingResponse()
    if reply_text:
        response.message(reply_text)
    return str(response)
