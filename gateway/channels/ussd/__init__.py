"""USSD in the Africa's Talking form: `sessionId, serviceCode, phoneNumber, networkCode, text`, answered
with `text/plain` starting `CON ` (more to come) or `END ` (session over).

https://developers.africastalking.com/docs/ussd/overview — `text` carries the whole `*`-joined history of
the session; a screen holds 160 octets: 182 GSM-7 characters, or 80 UCS-2 characters for Thai/Lao/Khmer,
`CON ` included. Each hop must be answered within ~15 s; a session lasts ~180 s.

The report flow is the one SMS uses; this module only renders its menus as screens (paged when they do
not fit) and keeps the per-session bits: the text seen so far, the page shown, the last screen. The first hop
of a session is marked `new_session`, so the flow can offer a reporter who was cut off to continue.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.channels.base import (
    Adapter,
    BadRequest,
    ChannelContext,
    Parsed,
    Rendered,
    Unauthorized,
    WebhookNotConfigured,
    WebRequest,
    WebResponse,
    parse_form,
)
from gateway.channels.events import Inbound, Reply, Result
from i18n.catalog import text as t
from i18n.phones import sender_e164
from i18n.sms import is_gsm7, truncate_to_units, utf16_units
from reports.keys import USSD_SESSION

CHANNEL = "ussd"
REQUIRED = ("sessionId", "phoneNumber", "text")
NEXT_PAGE = "99"
PREVIOUS_PAGE = "0"
UCS2_SCREEN = 80
GSM7_SCREEN = 182
MAX_TEXT = 2000


def screen_budget(text: str) -> int:
    """Characters one screen holds for `text`: 182 in GSM-7, 80 (UTF-16 units) in UCS-2."""
    return GSM7_SCREEN if is_gsm7(text) else UCS2_SCREEN


def fits(screen: str) -> bool:
    """True when the whole screen (prefix included) fits one USSD message."""
    return utf16_units(screen) <= screen_budget(screen)


def verify(cc: ChannelContext, req: WebRequest) -> dict[str, str]:
    """The shared secret `USSD_SECRET` as `?secret=` or `X-USSD-Secret`, compared in constant time."""
    secret = cc.settings.ussd_secret
    if not secret:
        raise WebhookNotConfigured("USSD_SECRET is not set on this gateway")
    given = req.header("X-USSD-Secret") or req.query.get("secret") or ""
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthorized("wrong or missing USSD secret")
    params = parse_form(req.body, req.content_type)
    missing = [k for k in REQUIRED if k not in params]
    if missing:
        raise BadRequest(f"missing fields: {', '.join(missing)}")
    if not params["sessionId"] or len(params["sessionId"]) > 128 or len(params["text"]) > MAX_TEXT:
        raise BadRequest("sessionId empty or too long, or text too long")
    return params


def new_input(previous: str | None, text: str) -> str | None:
    """What the reporter typed this hop, from the cumulative `text`; None for a repeated hop.

    Splitting on `*` would break an answer that itself contains `*`; the previous text is a prefix instead.
    """
    if previous is None:
        return text
    if text == previous:
        return None
    if text.startswith(previous + "*"):
        return text[len(previous) + 1:]
    if not previous:
        return text
    return text.rsplit("*", 1)[-1]  # an aggregator that sent something else: take the last answer


def _load(cc: ChannelContext, session_id: str) -> dict[str, Any] | None:
    raw = cc.redis.get(USSD_SESSION(session_id))
    return json.loads(raw) if raw else None


def _save(cc: ChannelContext, session_id: str, session: dict[str, Any]) -> None:
    cc.redis.set(USSD_SESSION(session_id), json.dumps(session, ensure_ascii=False), ex=USSD_SESSION.ttl_s)


def parse(cc: ChannelContext, req: WebRequest, params: dict[str, str]) -> Parsed:
    """The reporter's answer as an Inbound, or a screen answered here (paging, a repeated hop)."""
    session_id, text = params["sessionId"], params["text"]
    address = sender_e164(params["phoneNumber"], cc.settings.default_country) or params["phoneNumber"].strip()
    if not address:
        raise BadRequest("phoneNumber is empty")
    hop = hashlib.sha256(text.encode()).hexdigest()[:16]  # stable across processes, unlike hash()
    try:
        session = _load(cc, session_id)
    except (RedisConnectionError, RedisTimeoutError):
        # Redis is down: this hop's answer as typed; the webhook view spools it and ends the session with
        # "received", so each session leaves at most this one hop in the spool.
        last = text.rsplit("*", 1)[-1].strip() if text else ""
        return Parsed([Inbound(CHANNEL, f"{session_id}:{hop}", address, last, datetime.now(UTC))],
                      extra={"session_id": session_id, "text": text, "session": None})
    inp = new_input(session["text"] if session else None, text)
    extra = {"session_id": session_id, "text": text, "session": session}
    if session is not None and inp is None:
        return Parsed(response=_response(session["screen"]), extra=extra)
    assert inp is not None
    inp = inp.strip()
    if session is not None and session.get("reply") and inp in (NEXT_PAGE, PREVIOUS_PAGE):
        pages = _pages(Reply.from_json(session["reply"]))
        page = session.get("page", 0)
        if inp == NEXT_PAGE and page + 1 < len(pages):
            page += 1
        elif inp == PREVIOUS_PAGE and page > 0:
            page -= 1
        else:
            page = -1  # "0" on the first page is the flow's "back": the flow has it
        if page >= 0:
            _save(cc, session_id, {**session, "text": text, "screen": pages[page], "page": page})
            return Parsed(response=_response(pages[page]), extra=extra)
    msg = Inbound(CHANNEL, f"{session_id}:{hop}", address, inp, datetime.now(UTC), new_session=session is None)
    return Parsed([msg], extra=extra)


def render(cc: ChannelContext, parsed: Parsed, results: list[Result]) -> Rendered:
    """CON/END screen for the flow's reply; a repeated hop gets the same screen again."""
    session_id, text, session = parsed.extra["session_id"], parsed.extra["text"], parsed.extra["session"]
    result = results[0]
    if result.duplicate or result.reply is None or not result.reply.language:
        screen = session["screen"] if session else "END " + (result.reply.text if result.reply else "")
        return Rendered(_response(_fit(screen)))
    reply = result.reply
    screen = _pages(reply)[0]
    _save(cc, session_id, {"text": text, "screen": screen, "page": 0, "reply": reply.to_json()})
    return Rendered(_response(screen))


def offline(parsed: Parsed, text: str) -> WebResponse:
    """While Redis is down: end the session with "received, we will reply soon" (the answer comes by SMS)."""
    return _response(_fit("END " + text))


def _response(screen: str) -> WebResponse:
    return WebResponse(screen, content_type="text/plain; charset=utf-8")


def _screen(lang: str, title: str, options: tuple[tuple[str, str], ...], final: bool, notice: str = "",
            more: bool = False, previous: bool = False) -> str:
    lines = [("END " if final else "CON ") + (f"{notice} {title}" if notice else title)]
    lines += [f"{n} {label}" for n, label in options]
    if more:
        lines.append(f"{NEXT_PAGE} {t(lang, 'menu_more')}")
    if previous:
        lines.append(f"{PREVIOUS_PAGE} {t(lang, 'menu_previous')}")
    return "\n".join(lines)


def _pages(reply: Reply) -> list[str]:
    """The reply as one or more screens that each fit the budget; options split across pages."""
    lang = reply.language
    if reply.ticket:
        return [_fit("END " + t(lang, "ussd_received", ticket=reply.ticket))]
    title = reply.title if reply.options else reply.text
    notice = reply.notice if reply.options else ""
    if not reply.options:
        return [_fit(_screen(lang, title, (), reply.final))]
    whole = _screen(lang, title, reply.options, reply.final, notice)
    if fits(whole):
        return [whole]
    # Keep the title on every page, cut to leave room for at least one option and the paging lines.
    pages: list[str] = []
    remaining = list(reply.options)
    while remaining:
        page_opts: list[tuple[str, str]] = []
        while remaining:
            trial = _screen(lang, title, (*page_opts, remaining[0]), False, notice if not pages else "",
                            more=len(remaining) > 1, previous=bool(pages))
            if page_opts and not fits(trial):
                break
            page_opts.append(remaining.pop(0))
        screen = _screen(lang, title, tuple(page_opts), False, notice if not pages else "",
                         more=bool(remaining), previous=bool(pages))
        pages.append(_fit(screen))
    return pages


def _fit(screen: str) -> str:
    """Cut the first line (the title) so the screen fits; option lines stay whole."""
    if fits(screen):
        return screen
    first, _, rest = screen.partition("\n")
    over = utf16_units(screen) - screen_budget(screen)
    first = truncate_to_units(first, max(utf16_units(first) - over, 8))
    screen = first + ("\n" + rest if rest else "")
    return screen if fits(screen) else truncate_to_units(screen, screen_budget(screen))


ADAPTER = Adapter(name=CHANNEL, path="/webhooks/ussd", verify=verify, parse=parse, render=render,
                  offline=offline)
