"""`/center/members`: for the head and the secretary of a centre — its members and how each is reached, invites to
create and revoke, and broadcasts (a template or their own text, to members, subscribed villagers or both) with
the counts of each. The same functions as the bot's /invite and /broadcast and the CLI, so the rules are the same."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, redirect, render_template_string, request
from sqlalchemy import select

from centres import broadcasts, members
from gateway.web.auth import check_csrf, csrf_token, current, require_member
from gateway.web.center import workspace_language, workspace_page
from gateway.web.center_page import MEMBERS
from gateway.web.state import app_state
from i18n.catalog import text as t
from reports.centres_file import Center
from reports.enums import Role
from reports.models import Broadcast, Membership

bp = Blueprint("members", __name__)
LEADERS = ("head", "secretary")


def _centre() -> Center:
    """The centre the member leads (head or secretary), else 403."""
    me = current()
    ctx = app_state().ctx
    led = sorted(c for c, role in me.scope.roles.items() if role in LEADERS and c in ctx.centers.by_id)
    if not led:
        abort(403, description=t(workspace_language(), "ws_heads_only"))
    wanted = request.values.get("center", led[0])
    return ctx.centers.by_id[wanted if wanted in led else led[0]]


def _reached(telegram: Any, line: Any, phone: Any) -> str:
    return ", ".join(name for name, present in (("Telegram", telegram), ("LINE", line), ("SMS", phone)) if present)


def _render(center: Center, notice: str = "", status: int = 200) -> Any:
    ctx = app_state().ctx
    lang = center.language
    with ctx.sessions() as session:
        listed = [(m.name, t(lang, f"role_{m.role}"), _reached(m.telegram_user_id, m.line_user_id, m.phone))
                  for m in center.members]
        joined = [(m.name, t(lang, f"role_{m.role}"), _reached(m.telegram_user_id, m.line_user_id, None))
                  for m in session.execute(
            select(Membership).where(Membership.center_id == center.id)).scalars()]
        invites = members.open_invites(session, center.id)
        sent = [(b, broadcasts.summary(session, b.id)) for b in session.execute(
            select(Broadcast).where(Broadcast.center_id == center.id).order_by(Broadcast.created_at.desc())
            .limit(20)).scalars()]
        body = render_template_string(
            MEMBERS, t=lambda k, **kw: t(lang, k, **kw), center=center, people=listed + joined, invites=invites,
            sent=sent, csrf=csrf_token(), notice=notice, roles=[r.value for r in Role],
            templates=broadcasts.TEMPLATES, audiences=broadcasts.AUDIENCES)
    return workspace_page(body), status


@bp.get("/center/members")
@require_member
def page() -> Any:
    """Members, invites and broadcasts of the centre the member leads."""
    return _render(_centre())


@bp.post("/center/members/invites")
@require_member
def invite() -> Any:
    """Create a one-time invite; its code is shown once, here."""
    check_csrf()
    center = _centre()
    ctx = app_state().ctx
    name = request.form.get("name", "").strip()[:80]
    try:
        days = int(request.form.get("days", members.INVITE_DAYS))
        with ctx.sessions.begin() as session:
            code = members.create_invite(session, ctx.settings.secret_key, center, request.form.get("role", ""),
                                         name, current().actor, days)
    except (ValueError, members.InviteError) as exc:
        return _render(center, str(exc), 400)
    return _render(center, t(center.language, "ws_invite_code", name=name, code=code, days=days))


@bp.post("/center/members/invites/<int:invite_id>/revoke")
@require_member
def revoke(invite_id: int) -> Any:
    """End an open invite now."""
    check_csrf()
    center = _centre()
    ctx = app_state().ctx
    with ctx.sessions.begin() as session:
        if not members.revoke_invite(session, center.id, invite_id, current().actor):
            abort(404)
    return redirect(f"/center/members?center={center.id}", code=303)


@bp.post("/center/members/broadcasts")
@require_member
def broadcast() -> Any:
    """Send a broadcast: a template in all four languages, or the member's own text in the centre's language."""
    check_csrf()
    center = _centre()
    ctx = app_state().ctx
    template = request.form.get("template", "")
    try:
        if template in broadcasts.TEMPLATES:
            day = date.fromisoformat(request.form["date"]) if request.form.get("date") else None
            texts = broadcasts.template_texts(template, center, ctx.gazetteer, day, request.form.get("place", ""))
        else:
            texts = {center.language: request.form.get("text", "")}
        broadcast_id, listed, subscribers = broadcasts.create(ctx, center, texts, request.form.get("audience", ""),
                                                              current().actor)
    except (ValueError, broadcasts.BroadcastError) as exc:
        return _render(center, str(exc), 400)
    return _render(center, t(center.language, "bc_queued", id=broadcast_id, count=listed + subscribers,
                             members=listed, subscribers=subscribers))
