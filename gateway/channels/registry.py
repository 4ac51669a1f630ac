"""Every channel the gateway serves. Adding a channel: a folder under gateway/channels/, one line here."""

from __future__ import annotations

from gateway.channels import line, smsgateway, telegram, twilio_sms, ussd
from gateway.channels.base import Adapter, ChannelContext
from gateway.channels.sending import NotConfigured, Outgoing
from gateway.channels.sms import sms_route

ADAPTERS: tuple[Adapter, ...] = (twilio_sms.ADAPTER, twilio_sms.STATUS_ADAPTER, ussd.ADAPTER, smsgateway.ADAPTER,
                                  telegram.ADAPTER, line.ADAPTER)
_BY_NAME = {a.name: a for a in ADAPTERS}


def adapter(name: str) -> Adapter:
    """The adapter called `name`."""
    return _BY_NAME[name]


def route(cc: ChannelContext, channel: str, address: str) -> str | None:
    """The channel that can carry a message to `address` now: its own, or SMS for a phone number reached by USSD
    (a session lasts seconds) or given as "sms" (a duty officer); None when nothing can."""
    found = _BY_NAME.get(channel)
    if found is not None and found.send is not None:
        return channel
    if not address.startswith("+"):
        return None
    return sms_route(cc.settings)


def send(cc: ChannelContext, out: Outgoing) -> str:
    """Send `out` on its channel; the provider's message id."""
    found = _BY_NAME.get(out.channel)
    if found is None or found.send is None:
        raise NotConfigured(f"channel {out.channel} cannot send outside a reply")
    return found.send(cc, out)
