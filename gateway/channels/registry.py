"""Every reporter channel the gateway serves. Adding a channel: a folder under gateway/channels/, one line here."""

from __future__ import annotations

from gateway.channels import line, smsgateway, telegram, twilio_sms, ussd
from gateway.channels.base import Adapter

ADAPTERS: tuple[Adapter, ...] = (twilio_sms.ADAPTER, twilio_sms.STATUS_ADAPTER, ussd.ADAPTER, smsgateway.ADAPTER,
                                  telegram.ADAPTER, line.ADAPTER)


def adapter(name: str) -> Adapter:
    """The adapter called `name`."""
    for a in ADAPTERS:
        if a.name == name:
            return a
    raise KeyError(name)
