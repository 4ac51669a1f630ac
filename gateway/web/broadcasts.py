"""`POST /api/broadcasts` and `GET /api/broadcasts/<id>` (bearer token): a centre's awareness broadcast from a
web dashboard, the same as `ntswatch centers broadcast` and `/broadcast` to the bot (centres/broadcasts.py).

Body: `{"center": "4803", "texts": {"th": "...", "lo": "..."}, "audience": "all"}` or
`{"center": "4803", "template": "training", "date": "2026-12-05", "place": "..."}`. The answer never holds a
phone number or account: counts only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from centres import broadcasts
from gateway.web.auth import grant, require_token
from gateway.web.state import app_state
from reports.models import Broadcast

bp = Blueprint("broadcasts", __name__, url_prefix="/api")


@bp.post("/broadcasts")
@require_token("broadcast")
def create_broadcast() -> Any:
    """Queue a broadcast; 202 with its id and how many members and villagers it goes to."""
    ctx = app_state().ctx
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="expected a JSON object"), 400
    center = ctx.centers.by_id.get(str(body.get("center") or ""))
    if center is None or not grant().allows("broadcast", center.id):
        return jsonify(error="unknown centre"), 404
    texts, template = body.get("texts"), body.get("template")
    try:
        if template is not None:
            day = date.fromisoformat(body["date"]) if body.get("date") else None
            texts = broadcasts.template_texts(str(template), center, ctx.gazetteer, day, str(body.get("place") or ""))
        elif not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
            return jsonify(error="texts must map a language (th, lo, km, en) to a text, or give a template"), 400
        # The audit names the token that asked, never a name the request claims.
        broadcast_id, members, subscribers = broadcasts.create(ctx, center, texts, str(body.get("audience") or "all"),
                                                               grant().actor)
    except broadcasts.BroadcastError as exc:
        return jsonify(error=str(exc)), 422
    except ValueError:
        return jsonify(error="date must be YYYY-MM-DD"), 400
    return jsonify(id=broadcast_id, center=center.id, members=members, subscribers=subscribers), 202


@bp.get("/broadcasts/<broadcast_id>")
@require_token("broadcast")
def broadcast_status(broadcast_id: str) -> Any:
    """How far a broadcast has gone: sent, pending, retrying, skipped (STOP, FORGET, no route), dead."""
    with app_state().ctx.sessions() as session:
        found = session.execute(select(Broadcast).where(Broadcast.id == broadcast_id.upper()[:12])).scalar_one_or_none()
        if found is None or not grant().allows("broadcast", found.center_id):
            return jsonify(error="no such broadcast"), 404
        return jsonify(id=found.id, center=found.center_id, audience=found.audience,
                       created_at=found.created_at.isoformat(), counts=broadcasts.summary(session, found.id))
