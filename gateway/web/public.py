"""The public pages: `/report` (an anonymous report from a browser, with or without JavaScript, online or kept in
an offline outbox on the phone) and `/status` (a report's progress, for its ticket *and* follow-up code).

Like the webhooks, this path only touches Redis (and the media folder for a photo); the workers store and route.
The form's field names are fixed so that other tools can post it: `category`, `place`, `lat`, `lon`, `when`,
`details`, `photo`, `lang`, `csrf_token` (and `client_id`, a phone-made id that makes a resend harmless).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from math import isfinite
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, make_response, render_template_string, request

from flows.submit import PENDING, allocate_ticket, claim_client_id, open_transaction, queue_report
from gateway.web.public_page import REPORT_PAGE, STATUS_PAGE
from gateway.web.state import app_state
from i18n import LANGUAGES
from i18n.catalog import text as t
from i18n.normalize import normalize_text
from reporters.media import MediaError, clean_photo, store
from reports import keys
from reports.draft import ReportDraft
from reports.enums import Category, Channel, When
from reports.identity import pseudonym
from reports.tickets import is_valid_ticket

bp = Blueprint("public", __name__)
STATIC = Path(__file__).resolve().parent / "static"
FORM_COOKIE = "nts_form"
LANG_COOKIE = "nts_lang"
FORM_TTL_S = 7 * 86400  # a report kept offline for days still goes through (the page fetches a fresh token first)
MAX_REPORTS_PER_HOUR = 20  # per address: a village meeting on one phone, not a flood
MAX_STATUS_PER_HOUR = 60
MAX_UPLOAD_BYTES = 6 * 1024 * 1024  # a 5 MB photo and the form
MAX_DETAILS = 4000
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on a keypad
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,80}$")
PAGE_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "style-src 'unsafe-inline'; form-action 'self'; manifest-src 'self'; worker-src 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")


@dataclass
class Form:
    """What the reporter filled in, kept to show the form again with an explanation."""

    category: str = ""
    place: str = ""
    lat: str = ""
    lon: str = ""
    when: str = "now"
    details: str = ""
    client_id: str = ""
    place_ok: bool = False
    errors: list[str] = field(default_factory=list)


def page_language() -> str:
    """The page's language: `?lang=`/the form's `lang`, else the last choice (cookie), else Accept-Language."""
    for candidate in (request.values.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return str(candidate)
    return request.accept_languages.best_match(LANGUAGES) or "th"


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _over_limit(kind: str, limit: int) -> bool:
    """Count one more request of `kind` from this address this hour; True when over `limit`."""
    redis = app_state().ctx.redis
    key = keys.WEB_RATE(kind, hashlib.sha256(_client_address().encode()).hexdigest()[:16])
    count = int(redis.incr(key))
    if count == 1:  # the window starts with the first request (EXPIRE NX needs Redis 7)
        redis.expire(key, keys.WEB_RATE.ttl_s or 3600)
    return count > limit


# -- the form token: anonymous visitors have no session, so the token is signed and also set as a cookie ------
def _sign(issued: str, nonce: str) -> str:
    secret = app_state().ctx.settings.secret_key.encode()
    return hmac.new(secret, f"web-form:{issued}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def new_form_token() -> str:
    """A token for one visitor's forms: `<issued>.<nonce>.<mac>`."""
    issued, nonce = str(int(time.time())), secrets.token_urlsafe(12)
    return f"{issued}.{nonce}.{_sign(issued, nonce)}"


def form_token_problem(given: str, cookie: str | None) -> str | None:
    """None when `given` is this browser's valid token; else the text key to answer with."""
    parts = given.split(".")
    if not given or cookie is None or not hmac.compare_digest(given.encode(), cookie.encode()) or len(parts) != 3:
        return "web_expired"
    issued, nonce, mac = parts
    if not issued.isdigit() or not hmac.compare_digest(mac.encode(), _sign(issued, nonce).encode()):
        return "web_expired"
    if time.time() - int(issued) > FORM_TTL_S:
        return "web_expired"
    return None


def _with_token(resp: Response, token: str, lang: str) -> Response:
    secure = app_state().ctx.settings.public_url.startswith("https://")
    resp.set_cookie(FORM_COOKIE, token, max_age=FORM_TTL_S, httponly=True, samesite="Strict", secure=secure)
    resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", secure=secure)
    resp.headers["Content-Security-Policy"] = PAGE_CSP
    return resp


# -- reading the form -------------------------------------------------------------------------------------------
def _field(name: str, limit: int) -> str:
    return normalize_text(request.form.get(name, ""))[:limit]


def read_form() -> Form:
    """The posted fields, normalised (any digits, no control characters), each cut to its limit."""
    return Form(category=_field("category", 20), place=_field("place", 200), lat=_field("lat", 20),
                lon=_field("lon", 20), when=_field("when", 10) or "now", details=_field("details", MAX_DETAILS),
                client_id=_field("client_id", 80), place_ok=request.form.get("place_ok") == "1")


def _point(form: Form) -> tuple[float, float] | None:
    try:
        lat, lon = float(form.lat), float(form.lon)
    except ValueError:
        return None
    if not (isfinite(lat) and isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def follow_up_code() -> str:
    """Eight letters and digits a reporter can read aloud, shown as XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def owner_of(code: str) -> str:
    """The pseudonym a web report is filed under: from its follow-up code, so only the code shows its status."""
    canonical = re.sub(r"[^A-Z0-9]", "", normalize_text(code).upper())
    return pseudonym(app_state().ctx.settings.secret_key, f"web:{canonical}")


def _photo_ref(lang: str, form: Form) -> dict[str, Any] | None:
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    try:
        record = store(clean_photo(data), "photo", app_state().ctx.settings.media_path())
    except MediaError:
        form.errors.append(t(lang, "web_bad_photo"))
        return None
    return {**record, "provider": "stored"}


def _draft(form: Form, lang: str, code: str, photo: dict[str, Any] | None) -> ReportDraft:
    ctx = app_state().ctx
    point = _point(form)
    place = ctx.gazetteer.locate(*point) if point else None
    if place is None and form.place:
        place = ctx.gazetteer.search(form.place)
    place_text = form.place or (f"{point[0]:.5f},{point[1]:.5f}" if point else "")
    message_id = f"web:{form.client_id or uuid.uuid4()}"
    return ReportDraft(
        id=str(uuid.uuid4()), ticket="", reporter=owner_of(code), contact=None, channel=Channel.WEB, language=lang,
        category=form.category, place_text=place_text, place=place.as_dict() if place else None,
        location=[point[0], point[1]] if point else None, when=form.when, details=form.details,
        messages=[{"id": message_id, "text": form.details[:2000], "at": time.time()}], received_at=time.time(),
        client_id=f"web:{form.client_id}" if form.client_id else None, media=[photo] if photo else [])


def validate(form: Form, lang: str) -> None:
    """Add the reporter-facing problems of `form` to its errors."""
    ctx = app_state().ctx
    if form.category not in {c.value for c in Category} or not (form.place or _point(form)):
        form.errors.append(t(lang, "web_missing"))
    if form.when not in {w.value for w in When}:
        form.when = "now"
    if form.client_id and not _CLIENT_ID.match(form.client_id):
        form.client_id = ""
    if form.place and not _point(form) and not form.place_ok and ctx.gazetteer.search(form.place) is None:
        form.errors.append(t(lang, "web_place_unknown"))
        form.place_ok = True  # the page now offers "send as it is"


def submit(form: Form, lang: str, photo: dict[str, Any] | None) -> tuple[str, str, bool]:
    """Queue the report once per client id; (ticket, follow-up code, whether it was new)."""
    ctx = app_state().ctx
    claim = keys.BATCH_CLIENT(f"web:{form.client_id}") if form.client_id else None
    if claim is not None and not claim_client_id(ctx.redis, claim):
        seen = keys.text(ctx.redis.get(claim)) or ""
        if seen.startswith(PENDING) or ":" not in seen:
            raise RuntimeError("the same report is being sent right now")
        ticket, code = seen.split(":", 1)  # sent before: the same answer again
        return ticket, code, False
    code = follow_up_code()
    draft = _draft(form, lang, code, photo)
    draft.ticket = allocate_ticket(ctx.redis)
    pipe = open_transaction(ctx.jobs)
    queue_report(ctx.jobs, pipe, draft)
    if claim is not None:
        pipe.set(claim, f"{draft.ticket}:{code}", ex=keys.BATCH_CLIENT.ttl_s)
    pipe.execute()
    return draft.ticket, code, True


# -- pages ----------------------------------------------------------------------------------------------------
def _texts(lang: str) -> dict[str, str]:
    names = ("web_offline_kept", "web_waiting", "web_sent_from_outbox", "web_cleared", "web_location_set",
             "web_expired", "web_too_many", "web_leader_ticket")
    return {n: t(lang, n) for n in names}


def render_report(lang: str, form: Form, token: str, status: int = 200, receipt: tuple[str, str] | None = None
                  ) -> Response:
    """The report page (the form, or the receipt) with this visitor's form token."""
    html = render_template_string(
        REPORT_PAGE, lang=lang, languages=LANGUAGES, t=lambda k, **kw: t(lang, k, **kw), form=form, token=token,
        categories=[(c.value, t(lang, f"cat_{c.value}")) for c in Category],
        whens=[(w.value, t(lang, f"when_{w.value}")) for w in When], receipt=receipt,
        texts=json.dumps(_texts(lang), ensure_ascii=False))
    return _with_token(make_response(html, status), token, lang)


def _answer_json(http_status: int, **body: Any) -> Response:
    resp = jsonify(**body)
    resp.status_code = http_status
    return resp


@bp.get("/report")
def report_form() -> Response:
    """The empty form, in the visitor's language."""
    lang = page_language()
    token = request.cookies.get(FORM_COOKIE) or ""
    return render_report(lang, Form(), token if form_token_problem(token, token) is None else new_form_token())


@bp.get("/report/places")
def place_search() -> Response:
    """What the gazetteer makes of a place typed in any script (the page shows it under the field as it is typed):
    the district and province in the visitor's language, or nothing."""
    lang = page_language()
    query = normalize_text(request.args.get("q", ""))[:100]
    if len(query) < 2 or _over_limit("places", 600):
        return jsonify(places=[])
    place = app_state().ctx.gazetteer.search(query)
    if place is None or not place.district_code:
        return jsonify(places=[])
    return jsonify(places=[{"label": app_state().ctx.gazetteer.describe(place, lang), "district": place.district_code,
                            "guessed": "fuzzy" in place.flags}])


@bp.get("/report/token")
def report_token() -> Response:
    """A fresh form token for the page's outbox, before it sends what it kept offline."""
    lang = page_language()
    token = new_form_token()
    return _with_token(jsonify(csrf_token=token), token, lang)


@bp.before_app_request
def _allow_a_photo() -> None:
    if request.method == "POST" and request.path == "/report":
        request.max_content_length = MAX_UPLOAD_BYTES


@bp.post("/report")
def report_post() -> Response:
    """Take a report: a plain form POST (the receipt page) or the page's script (JSON, `Accept: application/json`)."""
    lang = page_language()
    wants_json = request.accept_mimetypes.best == "application/json"
    cookie = request.cookies.get(FORM_COOKIE)
    problem = form_token_problem(request.form.get("csrf_token", ""), cookie)
    form = read_form()
    if problem is not None:
        if wants_json:
            return _answer_json(400, error=t(lang, problem), retry="token")
        form.errors.append(t(lang, problem))
        return render_report(lang, form, new_form_token(), 400)
    if _over_limit("report", MAX_REPORTS_PER_HOUR):
        if wants_json:
            return _answer_json(429, error=t(lang, "web_too_many"))
        form.errors.append(t(lang, "web_too_many"))
        return render_report(lang, form, cookie or new_form_token(), 429)
    validate(form, lang)
    photo = _photo_ref(lang, form) if not form.errors else None
    if form.errors:
        if wants_json:
            return _answer_json(400, error=" ".join(form.errors))
        return render_report(lang, form, cookie or new_form_token(), 400)
    try:
        ticket, code, new = submit(form, lang, photo)
    except RuntimeError:
        return _answer_json(409, error="busy", retry="later")
    if wants_json:
        return _answer_json(200, ticket=ticket, code=code, status="created" if new else "duplicate",
                            message=t(lang, "web_sent_from_outbox", ticket=ticket, code=code))
    return render_report(lang, Form(), new_form_token(), 200, receipt=(ticket, code))


@bp.route("/status", methods=["GET", "POST"])
def status() -> Response:
    """A report's progress for its ticket and follow-up code; any other pair gets the same plain answer."""
    lang = page_language()
    ctx = app_state().ctx
    answer, code_given, ticket = "", "", ""
    http = 200
    if request.method == "POST":
        token = request.cookies.get(FORM_COOKIE)
        ticket = re.sub(r"\D", "", normalize_text(request.form.get("ticket", "")))[:12]
        code_given = normalize_text(request.form.get("code", ""))[:20]
        if form_token_problem(request.form.get("csrf_token", ""), token) is not None:
            answer, http = t(lang, "web_expired"), 400
        elif _over_limit("status", MAX_STATUS_PER_HOUR):
            answer, http = t(lang, "web_too_many"), 429
        else:
            found, owner = (keys.text(v) for v in ctx.redis.mget(keys.TICKET_STATUS(ticket), keys.TICKET_OWNER(ticket))
                            ) if is_valid_ticket(ticket) else (None, None)
            if found is None or owner != owner_of(code_given):
                answer, http = t(lang, "web_status_wrong"), 404
            else:
                answer = t(lang, "status_reply", ticket=ticket, status=t(lang, f"status_{found}"))
    token = request.cookies.get(FORM_COOKIE) or ""
    if form_token_problem(token, token) is not None:
        token = new_form_token()
    html = render_template_string(STATUS_PAGE, lang=lang, languages=LANGUAGES, t=lambda k, **kw: t(lang, k, **kw),
                                  token=token, answer=answer, ticket=ticket, ok=http == 200)
    return _with_token(make_response(html, http), token, lang)


# -- the installable app: manifest, service worker, script ------------------------------------------------------
@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """What a phone needs to install /report as an app."""
    lang = page_language()
    body = {"name": t(lang, "web_title"), "short_name": "NTS Watch", "start_url": "/report", "scope": "/",
            "display": "standalone", "background_color": "#ffffff", "theme_color": "#0b5394", "lang": lang,
            "icons": [{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"}]}
    resp = make_response(json.dumps(body, ensure_ascii=False))
    resp.headers["Content-Type"] = "application/manifest+json"
    return resp


def _static(name: str, content_type: str) -> Response:
    resp = make_response((STATIC / name).read_bytes())
    resp.headers["Content-Type"] = content_type
    resp.headers["Cache-Control"] = "no-cache"  # revalidated: a fix reaches every phone on its next visit
    return resp


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker (at the root, so that its scope covers /report and /status)."""
    resp = _static("sw.js", "text/javascript; charset=utf-8")
    # A worker runs under its own script's policy: it must fetch and cache the page's files from this origin.
    resp.headers["Content-Security-Policy"] = "default-src 'none'; connect-src 'self'"
    return resp


@bp.get("/static/report.js")
def report_script() -> Response:
    """The page's script: location button, offline outbox, clear everything."""
    return _static("report.js", "text/javascript; charset=utf-8")


@bp.get("/static/icon.svg")
def icon() -> Response:
    """The app icon."""
    return _static("icon.svg", "image/svg+xml")
