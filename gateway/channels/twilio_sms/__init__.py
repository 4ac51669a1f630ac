"""Twilio Programmable Messaging: inbound SMS webhook in, TwiML reply out.

Webhook fields: https://www.twilio.com/docs/messaging/guides/webhook-request
Signature: https://www.twilio.com/docs/usage/security#validating-requests (twilio's RequestValidator)
TwiML <Message>: https://www.twilio.com/docs/messaging/twiml/message
"""

from __future__ import annotations

from datetime import UTC, datetime

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from gateway.channels.base import (
    Adapter,
    BadRequest,
    ChannelContext,
    Forbidden,
    Parsed,
    Rendered,
    WebhookNotConfigured,
    WebRequest,
    WebResponse,
    parse_form,
)
from gateway.channels.events import Inbound, Receipt, Result
from gateway.channels.sending import Outgoing
from gateway.channels.twilio_sms import client
from i18n.phones import sender_e164

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
        raise WebhookNotConfigured("TWILIO_AUTH_TOKEN is not set on this gateway")
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise Forbidden("X-Twilio-Signature does not match")


def verify(cc: ChannelContext, req: WebRequest) -> dict[str, str]:
    """Check X-Twilio-Signature against NTS_PUBLIC_URL + path (the form body decoded strictly first)."""
    params = parse_form(req.body, req.content_type)
    check_signature(cc.settings.twilio_auth_token, req.signed_url, params, req.header("X-Twilio-Signature"))
    return params


def parse(cc: ChannelContext, req: WebRequest, params: dict[str, str]) -> Parsed:
    """The inbound SMS of a verified webhook."""
    return Parsed([parse_params(params, cc.settings.default_country)])


def parse_params(params: dict[str, str], country: str = "TH") -> Inbound:
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
    address = sender_e164(params["From"], country) or params["From"].strip()
    if not address:
        raise BadRequest("From is empty")
    location = None
    if params.get("Latitude") and params.get("Longitude"):  # WhatsApp-style location fields
        try:
            location = (float(params["Latitude"]), float(params["Longitude"]))
        except ValueError as exc:
            raise BadRequest("Latitude/Longitude are not numbers") from exc
        if not (-90 <= location[0] <= 90 and -180 <= location[1] <= 180):  # also refuses inf and nan
            raise BadRequest("Latitude/Longitude out of range")
    return Inbound(channel=CHANNEL, provider_id=sid, address=address, text=body,
                   received_at=datetime.now(UTC), location=location)


def twiml(reply_text: str | None) -> str:
    """TwiML answering with one SMS (or nothing)."""
    response = MessagingResponse()
    if reply_text:
        response.message(reply_text)
    return str(response)


def render(cc: ChannelContext, parsed: Parsed, results: list[Result]) -> Rendered:
    """The reply rides the webhook response as TwiML (no extra API call, no extra cost); a receipt gets 204."""
    if parsed.response is not None:
        return Rendered(parsed.response)
    reply = results[0].reply if results else None
    return Rendered(WebResponse(twiml(reply.text if reply else None), content_type="application/xml"))


def offline(parsed: Parsed, text: str) -> WebResponse:
    """While Redis is down: the "received, we will reply soon" SMS as TwiML."""
    return WebResponse(twiml(text), content_type="application/xml")


def send(cc: ChannelContext, out: Outgoing) -> str:
    """An SMS to a person outside a webhook reply (REST API, status callback signed like webhooks)."""
    return client.send(cc.settings, out.address, out.text)


def parse_status(cc: ChannelContext, req: WebRequest, params: dict[str, str]) -> Parsed:
    """A status callback for a message we sent
    (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status): a receipt event."""
    sid, status = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or status not in STATUS_MAP:
        raise BadRequest("MessageSid and a known MessageStatus are required")
    return Parsed([Receipt(CHANNEL, sid, STATUS_MAP[status], params.get("ErrorCode", "")[:64])],
                  response=WebResponse("", 204))


ADAPTER = Adapter(name=CHANNEL, path="/webhooks/twilio/sms", verify=verify, parse=parse, render=render, send=send,
                  status_map=STATUS_MAP, offline=offline)
STATUS_ADAPTER = Adapter(name="twilio_status", path="/webhooks/twilio/status", verify=verify, parse=parse_status,
                         render=render, status_map=STATUS_MAP)
