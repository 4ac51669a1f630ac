"""`POST /api/reports`: reports collected offline (a headman's laptop, a field device), uploaded in one batch.

Each item carries a client-made id; the same item uploaded twice creates nothing new and answers with the
ticket it got the first time. Every item is checked before any is queued, and each gets its own answer: a bad
item is reported, the others go through. Like the webhooks, this path only touches Redis; the workers store
and route.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request

from flows.submit import allocate_ticket, open_transaction, queue_report
from gateway.web.auth import grant, require_token
from gateway.web.state import app_state
from i18n import LANGUAGES
from i18n.normalize import be_to_ce, normalize_text
from i18n.phones import to_e164
from i18n.script import detect_language
from reports import keys
from reports.draft import ReportDraft
from reports.enums import Category, Channel, When
from reports.identity import encrypt_contact, pseudonym

bp = Blueprint("batch", __name__, url_prefix="/api")
MAX_ITEMS = 500
MAX_DETAILS = 4000
CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,80}$")
WHEN = tuple(w.value for w in When)


class ItemError(ValueError):
    """An item of the batch is invalid; the message says which field."""


def _occurred(value: Any) -> datetime:
    """An ISO time with a zone; a Buddhist-era year (2569) is read as such."""
    if not isinstance(value, str):
        raise ItemError("occurred_at must be an ISO 8601 time")
    text = normalize_text(value)
    match = re.match(r"^(\d{4})(-.*)$", text)
    if match and int(match.group(1)) >= 2400:
        text = f"{be_to_ce(int(match.group(1)))}{match.group(2)}"
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ItemError("occurred_at must be an ISO 8601 time") from exc
    if when.tzinfo is None:
        raise ItemError("occurred_at needs a time zone, e.g. +07:00")
    return when.astimezone(UTC)


def _when_code(occurred: datetime | None, given: Any) -> str:
    if given is not None:
        if given not in WHEN:
            raise ItemError(f"when must be one of {', '.join(WHEN)}")
        return str(given)
    if occurred is None:
        return "earlier"
    age = (datetime.now(UTC) - occurred).total_seconds()
    return "now" if age < 3600 else "today" if age < 86400 else "earlier"


def _draft(item: Any, device: str, collector: str) -> ReportDraft:
    """Validate one item and build the same draft the conversation engine queues (without its ticket)."""
    ctx = app_state().ctx
    if not isinstance(item, dict):
        raise ItemError("each item must be an object")
    client_id = item.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ItemError("client_id: 1-80 letters, digits or . _ : -")
    category = item.get("category")
    if category not in {c.value for c in Category}:
        raise ItemError(f"category must be one of {', '.join(c.value for c in Category)}")
    for name in ("details", "place", "language", "reporter_phone", "occurred_at"):
        if item.get(name) is not None and not isinstance(item[name], str):
            raise ItemError(f"{name} must be a string")
    details = normalize_text(str(item.get("details") or ""))
    if len(details) > MAX_DETAILS:
        raise ItemError(f"details longer than {MAX_DETAILS} characters")
    place_text = normalize_text(str(item.get("place") or ""))[:200]
    location = item.get("location")
    if location is not None:
        try:
            lat, lon = float(location["lat"]), float(location["lon"])
        except (TypeError, KeyError, ValueError) as exc:
            raise ItemError("location must be {lat, lon}") from exc
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also refuses inf and nan
            raise ItemError("location out of range")
        location = [lat, lon]
    if not place_text and location is None:
        raise ItemError("place or location is needed")
    occurred = _occurred(item["occurred_at"]) if item.get("occurred_at") else None
    language = item.get("language") or detect_language(details + place_text) or "th"
    if language not in LANGUAGES:
        language = "th"
    phone = item.get("reporter_phone")
    address = to_e164(phone) if isinstance(phone, str) else None
    if phone is not None and address is None:
        raise ItemError("reporter_phone is not a valid phone number")
    # With no contact, the report is known by the device that collected it (still a pseudonym).
    address = address or f"offline:{device}"
    place = ctx.gazetteer.search(place_text) if place_text else None
    return ReportDraft(
        id=str(uuid.uuid4()), ticket="", reporter=pseudonym(ctx.settings.secret_key, address),
        contact=encrypt_contact(ctx.settings.secret_key, address) if not address.startswith("offline:") else None,
        channel=Channel.OFFLINE, language=language, category=category, place_text=place_text,
        place=place.as_dict() if place else None, location=location, when=_when_code(occurred, item.get("when")),
        details=details, messages=[{"id": f"offline:{client_id}", "text": details[:2000], "at": time.time()}],
        received_at=(occurred or datetime.now(UTC)).timestamp(), client_id=client_id, collected_by=collector)


def _claim(redis: Any, key: str) -> bool:
    """Claim a client id. A claim left `pending` for a minute (the process died between claim and queue)
    is taken over, so an item is never reported as a duplicate of something that was not stored."""
    if redis.set(key, f"pending:{time.time():.0f}", nx=True, ex=keys.BATCH_CLIENT.ttl_s):
        return True
    seen = redis.get(key)
    if isinstance(seen, str) and seen.startswith("pending:") and time.time() - float(seen[8:]) > 60:
        redis.delete(key)
        return bool(redis.set(key, f"pending:{time.time():.0f}", nx=True, ex=keys.BATCH_CLIENT.ttl_s))
    return False


@bp.post("/reports")
@require_token("reports:upload")
def upload() -> Any:
    """Accept a batch: `{"device_id": "...", "reports": [{client_id, category, place|location, ...}]}`."""
    ctx = app_state().ctx
    try:
        body = json.loads(request.get_data(cache=False).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return jsonify(error="body must be UTF-8 JSON"), 400
    if not isinstance(body, dict) or not isinstance(body.get("reports"), list):
        return jsonify(error='expected {"reports": [...]}'), 400
    items = body["reports"]
    if len(items) > MAX_ITEMS:
        return jsonify(error=f"at most {MAX_ITEMS} reports per batch"), 413
    device = str(body.get("device_id") or "unknown")[:64]
    collector = grant().actor
    checked: list[tuple[int, Any, ReportDraft | str]] = []
    for index, item in enumerate(items):  # every item checked before any is queued
        client_id = item.get("client_id") if isinstance(item, dict) else None
        try:
            checked.append((index, client_id, _draft(item, device, collector)))
        except ItemError as exc:
            checked.append((index, client_id, str(exc)))
    results = []
    for index, client_id, draft in checked:
        if isinstance(draft, str):
            results.append({"index": index, "client_id": client_id, "status": "invalid", "error": draft})
            continue
        key = keys.BATCH_CLIENT(draft.client_id)
        if not _claim(ctx.redis, key):
            seen = ctx.redis.get(key)
            ticket = seen if isinstance(seen, str) and seen.isdigit() else None
            results.append({"index": index, "client_id": client_id, "status": "duplicate", "ticket": ticket})
            continue
        draft.ticket = allocate_ticket(ctx.redis)
        pipe = open_transaction(ctx.jobs)
        queue_report(ctx.jobs, pipe, draft)
        pipe.set(key, draft.ticket, ex=keys.BATCH_CLIENT.ttl_s)
        pipe.execute()
        results.append({"index": index, "client_id": client_id, "status": "created", "ticket": draft.ticket})
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("created", "duplicate", "invalid")}
    return jsonify(results=results, **counts), 200
