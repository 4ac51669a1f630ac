"""SMS out through an Android phone running "SMS Gateway for Android" on the office LAN.

Local server API: `POST {SMSGATEWAY_API_BASE}/message` with `{textMessage: {text}, phoneNumbers: [...], id}`
and HTTP basic auth (put the credentials in the base URL: http://user:pass@192.168.1.20:8080).
https://docs.sms-gate.app/integration/api/ — the `id` makes a retried send idempotent on the phone.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests

from gateway.channels import devsink
from gateway.channels.sending import SendError
from gateway.settings import Settings


def _split_auth(base: str) -> tuple[str, tuple[str, str] | None]:
    parts = urlsplit(base)
    if parts.username is None:
        return base, None
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), (
        parts.username, parts.password or "")


def send(settings: Settings, to: list[str], text: str, message_id: str) -> str:
    """Queue `text` to `to` on the phone; return the phone's message id."""
    if not settings.smsgateway_api_base:
        return devsink.keep(settings, "sms", ",".join(to), text)
    base, auth = _split_auth(settings.smsgateway_api_base)
    body = {"textMessage": {"text": text}, "phoneNumbers": to, "id": message_id[:36]}
    try:
        resp = requests.post(f"{base}/message", json=body, auth=auth, timeout=15)
    except requests.RequestException as exc:
        raise SendError(f"sms gateway unreachable: {type(exc).__name__}") from None
    if resp.status_code >= 500 or resp.status_code == 429:
        raise SendError(f"sms gateway answered {resp.status_code}")
    if resp.status_code >= 400:
        raise SendError(f"sms gateway refused: {resp.status_code} {resp.text[:200]}", permanent=True)
    try:
        return str(resp.json().get("id") or message_id)
    except ValueError:
        return message_id
