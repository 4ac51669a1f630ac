"""`/center/walk-in`: a member records a report given in person at the office or by telephone (the "offline"
reports of the source document). It becomes the same draft as any other report, marked as a walk-in, routed by its
place; the reporter's number is optional and, when given, encrypted like any other contact."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Blueprint, abort, render_template_string, request

from flows.submit import allocate_ticket, open_transaction, queue_report
from gateway.web.auth import check_csrf, csrf_token, current, require_member
from gateway.web.center import workspace_page
from gateway.web.center_page import WALK_IN
from gateway.web.state import app_state
from i18n.catalog import text as t
from i18n.normalize import normalize_text
from i18n.phones import to_e164
from reports.draft import ReportDraft
from reports.enums import Category, Channel, When
from reports.identity import encrypt_contact, pseudonym

bp = Blueprint("walk_in", __name__)

def _center_to_act_for() -> str:
    roles = current().scope.roles
    if not roles:
        abort(403)
    return sorted(roles)[0]


def _lang(center_id: str) -> str:
    ctx = app_state().ctx
    return ctx.centers.by_id[center_id].language if center_id in ctx.centers.by_id else "th"


def _form(lang: str, errors: list[str], done: str = "", status: int = 200) -> Any:
    body = render_template_string(WALK_IN, t=lambda k, **kw: t(lang, k, **kw), csrf=csrf_token(), errors=errors,
                                  done=done, form=request.form, categories=[c.value for c in Category],
                                  whens=[w.value for w in When])
    return workspace_page(body), status


@bp.get("/center/walk-in")
@require_member
def form() -> Any:
    """The walk-in form, for members who act for a centre."""
    return _form(_lang(_center_to_act_for()), [])


@bp.post("/center/walk-in")
@require_member
def record() -> Any:
    """Record the report: the same draft, ticket and job as any other; its channel says it was a walk-in."""
    check_csrf()
    center_id = _center_to_act_for()
    lang = _lang(center_id)
    ctx = app_state().ctx
    category = request.form.get("category", "")
    place_text = normalize_text(request.form.get("place", ""))[:200]
    details = normalize_text(request.form.get("details", ""))[:4000]
    when = request.form.get("when", "now")
    if category not in {c.value for c in Category} or not place_text:
        return _form(lang, [t(lang, "ws_missing")], status=400)
    contact = to_e164(request.form.get("contact", "")) if request.form.get("contact", "").strip() else None
    how = t(lang, "ws_by_phone" if request.form.get("how") == "phone" else "ws_in_person")
    address = contact or f"walk_in:{uuid.uuid4()}"  # no number: a pseudonym of its own, linked to nothing
    place = ctx.gazetteer.search(place_text)
    draft = ReportDraft(
        id=str(uuid.uuid4()), ticket="", reporter=pseudonym(ctx.settings.secret_key, address),
        contact=encrypt_contact(ctx.settings.secret_key, contact) if contact else None, channel=Channel.WALK_IN,
        language=lang, category=category, place_text=place_text, place=place.as_dict() if place else None,
        when=when if when in {w.value for w in When} else "now", details=f"[{how}] {details}".strip(),
        messages=[{"id": f"walk_in:{uuid.uuid4()}", "text": details[:2000], "at": time.time()}],
        collected_by=current().actor)
    draft.ticket = allocate_ticket(ctx.redis)
    pipe = open_transaction(ctx.jobs)
    queue_report(ctx.jobs, pipe, draft)
    pipe.execute()
    return _form(lang, [], done=t(lang, "ws_recorded", ticket=draft.ticket))
