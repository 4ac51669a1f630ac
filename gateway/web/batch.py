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
from typing import Annotated, Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, Field, ValidationError

from flows.submit import allocate_ticket, claim_client_id, open_transaction, queue_report
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


def _when_code(occurred: datetime | None, given: When | None) -> str:
    if given is not None:
        return str(given)
    if occurred is None:
        return "earlier"
    age = (datetime.now(UTC) - occurred).total_seconds()
    return "now" if age < 3600 else "today" if age < 86400 else "earlier"


Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class Location(BaseModel):
    """A GPS point in degrees (WGS 84)."""

    lat: Latitude
    lon: Longitude


class BatchItem(BaseModel):
    """One report collected offline: what the conversation would have asked, and who gave it (optional)."""

    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,80}$")]
    category: Category
    place: Annotated[str, Field(max_length=1000)] | None = None
    location: Location | None = None
    when: When | None = None
    occurred_at: Annotated[str, Field(max_length=64)] | None = None
    details: Annotated[str, Field(max_length=MAX_DETAILS)] = ""
    language: Annotated[str, Field(max_length=8)] | None = None
    reporter_phone: Annotated[str, Field(max_length=32)] | None = None


class Batch(BaseModel):
    """`POST /api/reports`: the device that collected the reports and the reports (each checked alone)."""

    device_id: Annotated[str, Field(max_length=64)] = "unknown"
    reports: Annotated[list[Any], Field(max_length=MAX_ITEMS)]


def _item(item: Any) -> BatchItem:
    if not isinstance(item, dict):
        raise ItemError("each item must be an object")
    try:
        return BatchItem.model_validate(item)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ItemError(f"{where}: {first['msg']}") from None


def _draft(raw: Any, device: str, collector: str) -> ReportDraft:
    """Validate one item and build the same draft the conversation engine queues (without its ticket)."""
    ctx = app_state().ctx
    item = _item(raw)
    details = normalize_text(item.details)
    place_text = normalize_text(item.place or "")[:200]
    location = [item.location.lat, item.location.lon] if item.location is not None else None
    if not place_text and location is None:
        raise ItemError("place or location is needed")
    occurred = _occurred(item.occurred_at) if item.occurred_at else None
    language = item.language or detect_language(details + place_text) or "th"
    if language not in LANGUAGES:
        language = "th"
    address = to_e164(item.reporter_phone) if item.reporter_phone is not None else None
    if item.reporter_phone is not None and address is None:
        raise ItemError("reporter_phone is not a valid phone number")
    # With no contact, the report is known by the device that collected it (still a pseudonym).
    address = address or f"offline:{device}"
    place = ctx.gazetteer.search(place_text) if place_text else None
    return ReportDraft(
        id=str(uuid.uuid4()), ticket="", reporter=pseudonym(ctx.settings.secret_key, address),
        contact=encrypt_contact(ctx.settings.secret_key, address) if not address.startswith("offline:") else None,
        channel=Channel.OFFLINE, language=language, category=item.category, place_text=place_text,
        place=place.as_dict() if place else None, location=location, when=_when_code(occurred, item.when),
        details=details, messages=[{"id": f"offline:{item.client_id}", "text": details[:2000], "at": time.time()}],
        received_at=(occurred or datetime.now(UTC)).timestamp(), client_id=item.client_id, collected_by=collector)


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
    if len(body["reports"]) > MAX_ITEMS:
        return jsonify(error=f"at most {MAX_ITEMS} reports per batch"), 413
    try:
        batch = Batch.model_validate(body)
    except ValidationError as e:
        first = e.errors()[0]
        return jsonify(error=f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"), 400
    items, device = batch.reports, batch.device_id
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
        if not claim_client_id(ctx.redis, key):
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
