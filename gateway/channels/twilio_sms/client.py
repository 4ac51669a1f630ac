"""SMS out through Twilio's REST API (replies that cannot ride TwiML, alerts to duty officers).

https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource — the status
callback (signed like every Twilio webhook) updates the delivery record.
"""

from __future__ import annotations

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from gateway.channels import devsink
from gateway.channels.sending import SendError
from gateway.settings import Settings

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"


def send(settings: Settings, to: str, text: str) -> str:
    """Send one SMS; return the Message SID."""
    if not configured(settings):
        return devsink.keep(settings, "sms", to, text)
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    client.api.base_url = settings.twilio_api_base  # a test server, or a regional edge
    callback = f"{settings.public_url}{STATUS_CALLBACK_PATH}" if settings.public_url else None
    try:
        message = client.messages.create(to=to, from_=settings.twilio_from, body=text,
                                         status_callback=callback)
    except TwilioRestException as exc:
        retry = exc.status == 429 or exc.status >= 500
        raise SendError(f"twilio {exc.status}: {exc.code}", permanent=not retry) from None
    except (TwilioException, OSError) as exc:
        raise SendError(f"twilio unreachable: {type(exc).__name__}") from None
    return str(message.sid)


def configured(settings: Settings) -> bool:
    """Whether this gateway can send SMS through Twilio."""
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from)
