"""`POST /api/broadcasts` and `GET /api/broadcasts/<id>` (bearer token): a centre's awareness broadcast from a
web dashboard, the same as `ntswatch centers broadcast` and `/broadcast` to the bot (centres/broadcasts.py).

Body: `{"center": "4803", "texts": {"th": "...", "lo": "..."}, "audience": "all"}` or
`{"center": "4803", "template": "training", "date": "2026-12-05", "place": "..."}`. The answer never holds a
phone number or account: counts only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from centres import broadcasts
from gateway.web.auth import grant, require_token
from gateway.web.state import app_state
from reports.models import Broadcast

bp = Blueprint("broadcasts", __name__, url_prefix="/api")


class BroadcastRequest(BaseModel):
    """`POST /api/broadcasts`: texts by language, or a template (with its date and place), and the audience."""

    model_config = ConfigDict(extra="forbid")

    center: Annotated[str, Field(min_length=1, max_length=32)]
    texts: dict[Literal["th", "lo", "km", "en"], Annotated[str, Field(max_length=1000)]] | None = None
    template: Literal["fake_jobs", "training"] | None = None
    date: dt.date | None = None
    place: Annotated[str, Field(max_length=200)] = ""
    audience: Literal["all", "members", "subscribers"] = "all"


@bp.post("/broadcasts")
@require_token("broadcast")
def create_broadcast() -> Any:
    """Queue a broadcast; 202 with its id and how many members and villagers it goes to."""
    ctx = app_state().ctx
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="expected a JSON object"), 400
    try:
        asked = BroadcastRequest.model_validate(body)
    except ValidationError as e:
        first = e.errors()[0]
        return jsonify(error=f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"), 400
    center = ctx.centers.by_id.get(asked.center)
    if center is None or not grant().allows("broadcast", center.id):
        return jsonify(error="unknown centre"), 404
    try:
        if asked.template is not None:
            texts = broadcasts.template_texts(asked.template, center, ctx.gazetteer, asked.date, asked.place)
        elif asked.texts is not None:
            texts = {str(k): v for k, v in asked.texts.items()}
        else:
            return jsonify(error="texts must map a language (th, lo, km, en) to a text, or give a template"), 400
        # The audit names the token that asked, never a name the request claims.
        broadcast_id, members, subscribers = broadcasts.create(ctx, center, texts, asked.audience, grant().actor)
    except broadcasts.BroadcastError as exc:
        return jsonify(error=str(exc)), 422
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
