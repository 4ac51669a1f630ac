# ruff: noqa: E501  (the page's HTML lines read better whole)
"""`/simulator`: a logged-in member chats as a villager over SMS, USSD, Telegram or LINE, in any language, through
the gateway's own webhooks signed exactly as each provider signs them — nothing is short-cut — and sees what a
phone would show: an SMS reply with its part count, a USSD screen with its character count, chat buttons, and the
messages sent later (the "received by the centre" update, a centre's question) from the development outbox.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from flask import Blueprint, current_app, redirect, render_template_string, request
from twilio.request_validator import RequestValidator

from gateway.channels import devsink
from gateway.channels.ussd import screen_budget
from gateway.web.auth import check_csrf, csrf_token, current, require_member
from gateway.web.state import app_state
from i18n import LANGUAGES
from i18n.sms import sms_size, utf16_units
from reports.keys import KeyFamily

bp = Blueprint("simulator", __name__)
SIMULATION = KeyFamily("nts:sim", 3600, "a member's simulator session: channel, language, the villager's ids, log")
CHANNELS = ("sms", "ussd", "telegram", "line")
COUNTRY = {"th": "+6689", "lo": "+85620", "km": "+85512", "en": "+6689"}
UNAVAILABLE = "this channel is not configured on this gateway"


def _state(session_id: str) -> dict[str, Any]:
    raw = app_state().ctx.redis.get(SIMULATION(session_id))
    return json.loads(raw) if raw else {}


def _save(session_id: str, state: dict[str, Any]) -> None:
    app_state().ctx.redis.set(SIMULATION(session_id), json.dumps(state, ensure_ascii=False), ex=SIMULATION.ttl_s)


def new_villager(channel: str, lang: str) -> dict[str, Any]:
    """A fresh simulated villager: a phone number of the language's country, chat ids, an empty log."""
    digits = f"{secrets.randbelow(10**7):07d}"
    return {"channel": channel, "lang": lang, "phone": COUNTRY[lang] + digits, "chat_id": 700_000_000 + int(digits),
            "line_user": "U" + secrets.token_hex(16), "ussd_session": "", "ussd_text": "", "log": [],
            "since": time.time(), "seen": []}


def _post(path: str, body: bytes, headers: dict[str, str], content_type: str) -> tuple[int, str, str]:
    """POST to this gateway's own webhook (the same app, the same view a provider reaches)."""
    with current_app.test_client() as client:
        resp = client.post(path, data=body, headers=headers, content_type=content_type)
        return resp.status_code, resp.get_data(as_text=True), resp.content_type or ""


def send_sms(state: dict[str, Any], text: str) -> dict[str, Any]:
    """A Twilio inbound SMS, signed with TWILIO_AUTH_TOKEN over the public URL as Twilio signs it."""
    settings = app_state().ctx.settings
    if not settings.twilio_auth_token:
        return {"error": UNAVAILABLE}
    params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32, "From": state["phone"],
              "To": "+6640001234", "Body": text, "NumMedia": "0"}
    url = settings.public_url.rstrip("/") + "/webhooks/twilio/sms"
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(url, params)
    status, body, _ = _post("/webhooks/twilio/sms", urlencode(params).encode(), {"X-Twilio-Signature": signature},
                            "application/x-www-form-urlencoded")
    if status != 200:
        return {"error": f"HTTP {status}"}
    reply = "\n".join(m.text or "" for m in ElementTree.fromstring(body).iter("Message"))  # noqa: S314 (our TwiML)
    size = sms_size(reply)
    return {"text": reply, "meta": f"{size.parts} SMS part(s), {size.units} units"}


def send_ussd(state: dict[str, Any], text: str) -> dict[str, Any]:
    """An Africa's Talking USSD hop: the whole `*`-joined session text, with the shared secret."""
    settings = app_state().ctx.settings
    if not settings.ussd_secret:
        return {"error": UNAVAILABLE}
    if not state["ussd_session"]:
        state["ussd_session"], state["ussd_text"] = "ATUid_" + secrets.token_hex(8), ""
    else:
        state["ussd_text"] = f"{state['ussd_text']}*{text}" if state["ussd_text"] else text
    params = {"sessionId": state["ussd_session"], "serviceCode": "*789#", "phoneNumber": state["phone"],
              "networkCode": "52001", "text": state["ussd_text"]}
    status, body, _ = _post("/webhooks/ussd", urlencode(params).encode(), {"X-USSD-Secret": settings.ussd_secret},
                            "application/x-www-form-urlencoded")
    if status != 200:
        return {"error": f"HTTP {status}"}
    if body.startswith("END"):
        state["ussd_session"], state["ussd_text"] = "", ""
    screen = body
    return {"text": screen, "screen": True,
            "meta": f"{utf16_units(screen)} of {screen_budget(screen)} characters on one screen"}


def send_telegram(state: dict[str, Any], text: str) -> dict[str, Any]:
    """A Telegram private-chat update with the webhook's secret token; the bot's answers come from the outbox."""
    settings = app_state().ctx.settings
    if not settings.telegram_webhook_secret:
        return {"error": UNAVAILABLE}
    user = {"id": state["chat_id"], "is_bot": False, "first_name": "Villager", "language_code": state["lang"]}
    update = {"update_id": secrets.randbelow(2**31), "message": {
        "message_id": secrets.randbelow(2**31), "date": int(time.time()), "text": text, "from": user,
        "chat": {"id": state["chat_id"], "type": "private"}}}
    status, _, _ = _post("/webhooks/telegram", json.dumps(update, ensure_ascii=False).encode(),
                         {"X-Telegram-Bot-Api-Secret-Token": settings.telegram_webhook_secret}, "application/json")
    return {"error": f"HTTP {status}"} if status != 200 else {}


def send_line(state: dict[str, Any], text: str) -> dict[str, Any]:
    """A LINE text event signed with the channel secret (X-Line-Signature); answers come from the outbox."""
    settings = app_state().ctx.settings
    if not settings.line_channel_secret:
        return {"error": UNAVAILABLE}
    token = secrets.token_hex(16)
    state.setdefault("line_tokens", []).append(f"reply:{token[:8]}")
    event = {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
             "webhookEventId": secrets.token_hex(13).upper(), "deliveryContext": {"isRedelivery": False},
             "replyToken": token, "source": {"type": "user", "userId": state["line_user"]},
             "message": {"type": "text", "id": str(secrets.randbelow(10**17)), "quoteToken": "q", "text": text}}
    body = json.dumps({"destination": "U" + "0" * 32, "events": [event]}, ensure_ascii=False).encode()
    signature = base64.b64encode(hmac.new(settings.line_channel_secret.encode(), body, hashlib.sha256).digest())
    status, _, _ = _post("/webhooks/line", body, {"X-Line-Signature": signature.decode()}, "application/json")
    return {"error": f"HTTP {status}"} if status != 200 else {}


SENDERS = {"sms": send_sms, "ussd": send_ussd, "telegram": send_telegram, "line": send_line}


def later_messages(state: dict[str, Any]) -> list[dict[str, Any]]:
    """What the gateway sent this villager outside the webhook's answer (from the development outbox)."""
    settings = app_state().ctx.settings
    if not settings.dev_outbox:
        return []
    addresses = {state["phone"], str(state["chat_id"]), state["line_user"], *state.get("line_tokens", [])}
    found = []
    for item in devsink.read(settings, since=state["since"]):
        if item.get("to") in addresses and item.get("id") not in state["seen"]:
            state["seen"].append(item["id"])
            text = item.get("text")
            if isinstance(text, list):  # LINE sends a list of messages
                text = "\n".join(str(m.get("text", m)) if isinstance(m, dict) else str(m) for m in text)
            found.append({"from": "gateway", "text": str(text), "meta": f"later, {item.get('provider')}",
                          "buttons": item.get("buttons") or []})
    return found


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Simulator</title><style>
body{font:16px/1.45 system-ui,"Noto Sans Thai","Noto Sans Lao","Noto Sans Khmer",sans-serif;margin:0}
main{max-width:36em;margin:auto;padding:.8em}.msg{margin:.4em 0;padding:.5em .7em;border-radius:10px;white-space:pre-wrap}
.me{background:#dcf0ff;margin-left:3em}.gw{background:#f1f1f1;margin-right:3em}.screen{font-family:monospace;background:#222;color:#cfc}
.meta{font-size:.8em;color:#555}.err{background:#fde8e8}input[type=text]{width:70%;font:inherit;padding:.4em}
button{font:inherit;padding:.4em .9em}select{font:inherit}</style></head><body><main>
<h1>Simulator</h1>
<p class="meta">You are {{ member }}. Each line goes to this gateway's own {{ state.channel }} webhook, signed as the
provider signs it. Villager: {{ state.phone }} (Telegram {{ state.chat_id }}, LINE {{ state.line_user[:9] }}…).</p>
<form method="post" action="/simulator/reset"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<select name="channel">{% for c in channels %}<option value="{{ c }}" {% if c == state.channel %}selected{% endif %}>{{ c }}</option>{% endfor %}</select>
<select name="lang">{% for l in languages %}<option value="{{ l }}" {% if l == state.lang %}selected{% endif %}>{{ l }}</option>{% endfor %}</select>
<button type="submit">New villager</button></form>
<section id="log">{% for m in state.log %}
<div class="msg {{ 'me' if m['from'] == 'villager' else 'gw' }}{% if m.get('screen') %} screen{% endif %}{% if m.get('error') %} err{% endif %}">{{ m.text or m.error }}
{% if m.get('meta') %}<div class="meta">{{ m.meta }}</div>{% endif %}</div>{% endfor %}</section>
<form method="post" action="/simulator/send" id="send"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="text" name="text" autofocus autocomplete="off" aria-label="message"> <button type="submit">Send</button></form>
<p class="meta"><a href="/simulator">Refresh</a> to see messages sent later.</p>
</main></body></html>"""


def _member_session() -> str:
    return current().session_id


@bp.get("/simulator")
@require_member
def page() -> Any:
    """The chat, with anything the gateway sent later added to the log."""
    session = _member_session()
    state = _state(session) or new_villager("sms", "th")
    state["log"].extend(later_messages(state))
    _save(session, state)
    return render_template_string(PAGE, state=state, channels=CHANNELS, languages=LANGUAGES, csrf=csrf_token(),
                                  member=current().principal.name or current().principal.key)


@bp.post("/simulator/reset")
@require_member
def reset() -> Any:
    """Start again as a new villager on the chosen channel and language."""
    check_csrf()
    channel = request.form.get("channel", "sms")
    lang = request.form.get("lang", "th")
    _save(_member_session(),
          new_villager(channel if channel in CHANNELS else "sms", lang if lang in LANGUAGES else "th"))
    return redirect("/simulator", code=303)


@bp.post("/simulator/send")
@require_member
def send() -> Any:
    """Send one line as the villager; keep the answer (or the screen) in the log."""
    check_csrf()
    session = _member_session()
    state = _state(session) or new_villager("sms", "th")
    text = request.form.get("text", "")[:1000]
    if text or state["channel"] == "ussd":
        state["log"].append({"from": "villager", "text": text or "(dial *789#)"})
        answer = SENDERS[state["channel"]](state, text)
        if answer:
            state["log"].append({"from": "gateway", **answer})
        state["log"].extend(later_messages(state))
    _save(session, state)
    return redirect("/simulator", code=303)
