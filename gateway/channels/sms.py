"""An SMS from this gateway to a phone (duty officers' alerts, answers to an officer, a reporter who dialled
USSD): through Twilio when it is configured, else through the office's Android phone."""

from __future__ import annotations

import hashlib

from gateway.channels import devsink
from gateway.channels.smsgateway import client as phone
from gateway.channels.twilio_sms import client as twilio
from gateway.settings import Settings


def sms_route(settings: Settings) -> str | None:
    """The channel that sends an SMS from this gateway ("twilio" or "smsgateway"), or None."""
    if twilio.configured(settings):
        return "twilio"
    if settings.smsgateway_api_base:
        return "smsgateway"
    return "twilio" if settings.dev_outbox else None


def send_sms(settings: Settings, number: str, text: str, message_id: str | None = None) -> str:
    """Send one SMS; the provider's message id. `message_id` makes a retried send idempotent on the phone."""
    route = sms_route(settings)
    if route == "smsgateway":
        key = message_id or hashlib.sha256(f"{number}|{text}".encode()).hexdigest()[:32]
        return phone.send(settings, [number], text, message_id=key)
    if route == "twilio":
        return twilio.send(settings, number, text)
    return devsink.keep(settings, "sms", number, text)  # raises NotConfigured outside `make run`
