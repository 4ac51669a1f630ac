"""`ntswatch simulate`: chat as a villager from the terminal, over correctly signed Twilio webhooks.

Nothing is short-cut: each line goes to POST /webhooks/twilio/sms of the running gateway, signed with
TWILIO_AUTH_TOKEN exactly as Twilio signs, and the TwiML reply is printed with its SMS part count. Under
`make run`, the messages the gateway sends this number later (the "received by the centre" update, a
centre's question) come from the development outbox and are printed as they arrive.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from i18n.sms import sms_size

PHONES = {"th": "+66812345678", "lo": "+8562055512345", "km": "+85512345678", "en": "+66898765432"}
EXAMPLES = {
    "th": "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง",
    "lo": "ແຈ້ງ ຢາເສບຕິດ ທ່າແຂກ ເຫັນເຮືອຂົນຂອງຂ້າມຂອງ",
    "km": "រាយការណ៍ ជួញដូរមនុស្ស ប៉ោយប៉ែត ឃើញឡានដឹកមនុស្សច្រើន",
    "en": "REPORT drugs Tha Uthen boat unloading bags at night",
}


def post_sms(url: str, auth_token: str, sender: str, body: str, to: str = "+6640001234",
             public_url: str | None = None) -> tuple[int, str]:
    """Send one signed inbound-SMS webhook; return (HTTP status, reply text or error body)."""
    params = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    signed_url = public_url or url
    signature = RequestValidator(auth_token).compute_signature(signed_url, params)
    data = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    req = urllib.request.Request(url, data=data, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 (the operator gives the URL)
            xml = resp.read().decode()
            status = resp.status
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    root = ElementTree.fromstring(xml)  # noqa: S314 (our own gateway's TwiML)
    return status, "\n".join(m.text or "" for m in root.iter("Message"))


def _later(base_url: str, sender: str, stop: threading.Event) -> None:
    """Print what the gateway sends `sender` after the replies (the dev outbox), until `stop`."""
    seen: set[str] = set()
    first = True
    while not stop.is_set():
        query = urllib.parse.urlencode({"to": sender, "format": "json"})
        try:
            with urllib.request.urlopen(f"{base_url}/dev/outbox?{query}", timeout=5) as resp:  # noqa: S310
                items = json.loads(resp.read())["messages"]
        except (OSError, ValueError, KeyError):
            return  # not a development stack: nothing sent later can be seen here
        for item in items:
            if item["id"] not in seen:
                seen.add(item["id"])
                if not first:
                    size = sms_size(item["text"])
                    print(f"\n< (later, {item['provider']}) {item['text']}\n  [{size.parts} SMS part(s)]", flush=True)
        first = False
        time.sleep(0.5)


def chat(base_url: str, auth_token: str, lang: str, sender: str | None = None) -> int:
    """Read lines from stdin, send each as an SMS, print each reply with its cost (and later messages)."""
    if not auth_token:
        print("TWILIO_AUTH_TOKEN is not set (make run writes one to var/dev.env)", file=sys.stderr)
        return 2
    sender = sender or PHONES[lang]
    url = base_url.rstrip("/") + "/webhooks/twilio/sms"
    stop = threading.Event()
    threading.Thread(target=_later, args=(base_url.rstrip("/"), sender, stop), daemon=True).start()
    print(f"You are {sender}. Type a message and press Enter (Ctrl-D to quit). Try:\n  {EXAMPLES[lang]}\n")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            status, reply = post_sms(url, auth_token, sender, line)
        except OSError as exc:
            print(f"cannot reach {url}: {exc}", file=sys.stderr)
            return 1
        if status != 200:
            print(f"[HTTP {status}] {reply}")
            continue
        size = sms_size(reply)
        print(f"< {reply}\n  [{size.parts} SMS part(s), {size.units} {size.encoding} units]", flush=True)
    time.sleep(1.0)  # a last look at what the worker sends after the final reply
    stop.set()
    return 0
