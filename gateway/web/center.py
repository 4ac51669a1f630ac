"""The centre's workspace: `/center` is the case board of the member's centres (urgent first, filters, search,
paging with true totals, exports); `/center/reports/<ticket>` one case — the alert, the timeline (every opening is
audited), the alerts sent, the actions. Actions go through centres/actions.py and centres/relay.py exactly as a
button press or an officer's SMS does, so the chat alerts are edited and the audit rows are the same. A report
of another centre answers 404, whatever the way it is asked for."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, g, make_response, redirect, render_template_string, request
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from centres import access, actions, relay
from centres.alerts import BANGKOK, channel_label, place_flag
from gateway.web import maps
from gateway.web.auth import check_csrf, csrf_token, current, require_member
from gateway.web.center_page import BOARD, BOARD_LIST, PAGE, REPORT
from gateway.web.public import STATIC
from gateway.web.state import app_state
from i18n.catalog import text as t
from i18n.messages import ALL as ALL_TEXTS
from reporters.media import MediaError, sniff
from reports import export, store
from reports.enums import Action, Agency, Category, CloseReason, NotifyKind, Outcome, ReportStatus, Role, When
from reports.filters import FilterError, ReportFilter
from reports.models import AuditEvent, Delivery, Report, ReportMessage
from reports.queue import ANNOUNCE

bp = Blueprint("center", __name__)
MAX_EXPORT = 10_000
STATUS_COLOUR = {"new": "#c62828", "acknowledged": "#ef6c00", "assigned": "#1565c0", "closed": "#2e7d32"}
LIVE_EVERY_MS = 20_000  # how often the board's script asks for the list as it stands
BOARD_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
             "form-action 'self'")
SYSTEM_ACTORS = {"worker", "gateway", "system", "retention", "operator"}



def workspace_language() -> str:
    """The workspace's language: the first of the member's centres' (Thai in the demo)."""
    me = current()
    ctx = app_state().ctx
    for center_id in sorted(me.scope.roles or me.scope.reads):
        if center_id in ctx.centers.by_id:
            return ctx.centers.by_id[center_id].language
    return "th"


def workspace_page(body: str, refresh_s: int = 0, script: str = "") -> str:
    """`body` inside the workspace's frame: who is logged in, the board, walk-ins, sessions, log out. `refresh_s`
    reloads the page when script is off; `script` names a file of gateway/web/static/ the page runs."""
    me = current()
    lang = workspace_language()
    return render_template_string(PAGE, body=body, csrf=csrf_token(), lang=lang, t=lambda k, **kw: t(lang, k, **kw),
                                  refresh_s=refresh_s, script=script,
                                  who=me.scope.name or me.principal.name or me.principal.key)


def _my_districts() -> list[str]:
    ctx = app_state().ctx
    return sorted({d for c in current().scope.reads if c in ctx.centers.by_id for d in ctx.centers.by_id[c].districts})


def _filter() -> ReportFilter:
    """The board's filters from the query string (dates as days); 400 naming a bad one, 404 for another centre."""
    args = request.args.copy()
    for day, name in (("from", "since"), ("to", "until")):
        value = args.pop(day, "")
        if value:
            args[name] = f"{value}T00:00:00+07:00" if name == "since" else f"{value}T23:59:59+07:00"
    tambon = args.get("tambon", "").strip()
    if tambon and not tambon.isdigit():  # a tambon by name, as a member knows it: the filter takes its code
        code = app_state().ctx.gazetteer.find_tambon(tambon, _my_districts())
        if code is None:
            g.board_notice = t(workspace_language(), "ws_tambon_unknown")
            args.pop("tambon")
        else:
            args["tambon"] = code
    try:
        found = ReportFilter.from_args(args)
    except FilterError as exc:
        abort(400, description=str(exc))
    if found.center and not current().scope.can_read(found.center):
        abort(404)
    return found


def _scoped(f: ReportFilter) -> Select[Any]:
    reads = sorted(current().scope.reads)
    return f.where(select(Report).where(Report.center_id.in_(reads)))


def _urgency() -> Any:
    """Urgent first: new and happening now, then new, then acknowledged, assigned; closed last."""
    return case((Report.status == ReportStatus.NEW, case((Report.when_code == When.NOW, 0), else_=1)),
                (Report.status == ReportStatus.ACKNOWLEDGED, 2), (Report.status == ReportStatus.ASSIGNED, 3), else_=4)


def _row(report: Report, lang: str) -> dict[str, Any]:
    ctx = app_state().ctx
    flag = place_flag(report)
    return {"ticket": report.ticket, "status": t(lang, f"ws_status_{report.status}"),
            "colour": STATUS_COLOUR.get(str(report.status), "#555"), "category": t(lang, f"cat_{report.category}"),
            "urgent": report.status == ReportStatus.NEW and report.when_code == When.NOW,
            "district": ctx.gazetteer.district_name(report.district_code, lang) if report.district_code else "—",
            "when": t(lang, f"when_{report.when_code}"), "channel": channel_label(str(report.channel), lang),
            "reported": report.received_at.astimezone(BANGKOK).strftime("%d/%m %H:%M"),
            "flag": t(lang, flag) if flag else "", "details": report.details[:240]}


@bp.get("/center")
@require_member
def board() -> Any:
    """The case board of the member's centres."""
    f = _filter()
    lang = workspace_language()
    query = _scoped(f)
    with app_state().ctx.sessions() as session:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        reports = session.execute(f.page(query.order_by(_urgency(), Report.created_at.desc()))).scalars().all()
        rows = [_row(r, lang) for r in reports]
    me = current()
    ctx = app_state().ctx
    centers = sorted((ctx.centers.by_id[c] for c in me.scope.reads if c in ctx.centers.by_id), key=lambda c: c.name)
    prev_qs = f.query_string(offset=max(f.offset - f.limit, 0)) if f.offset > 0 else None
    next_qs = f.query_string(offset=f.offset + f.limit) if f.offset + f.limit < total else None
    listing = render_template_string(BOARD_LIST, t=lambda k, **kw: t(lang, k, **kw), f=f, rows=rows, total=total,
                                     qs=f.query_string(offset=None, limit=None), prev_qs=prev_qs, next_qs=next_qs)
    if request.headers.get("X-Board-Part") == "list":  # the board's script keeping the list current
        return Response(listing, content_type="text/html; charset=utf-8")
    gazetteer = ctx.gazetteer
    body = render_template_string(
        BOARD, t=lambda k, **kw: t(lang, k, **kw), f=f, listing=listing, centers=centers,
        live=f.offset == 0, live_every=LIVE_EVERY_MS, notice=g.get("board_notice", ""),
        tambon=gazetteer.tambon_name(f.tambon, lang) if f.tambon else "",
        tambons=sorted({gazetteer.tambon_name(c, lang) or c for c in gazetteer.tambons_of(_my_districts())}),
        districts=sorted(((d, gazetteer.district_name(d, lang) or d) for d in _my_districts()), key=lambda x: x[1]),
        statuses=[s.value for s in ReportStatus], categories=[c.value for c in Category],
        channels=[(c, channel_label(c, lang)) for c in ("twilio", "ussd", "telegram", "line", "web", "offline",
                                                         "walk_in")],
        flags=[("outside_border_districts", t(lang, "alert_outside")), ("ambiguous", t(lang, "alert_ambiguous")),
               ("fuzzy", t(lang, "alert_guessed")), ("unresolved_place", t(lang, "alert_unresolved"))],
        day_from=f.since.astimezone(BANGKOK).date().isoformat() if f.since else "",
        day_to=f.until.astimezone(BANGKOK).date().isoformat() if f.until else "")
    # New reports appear by themselves on the first page: its script swaps in the list as it stands; an old
    # office browser without script reloads the page every minute instead.
    resp = make_response(workspace_page(body, refresh_s=60 if f.offset == 0 else 0,
                                        script="board.js" if f.offset == 0 else ""))
    resp.headers["Content-Security-Policy"] = BOARD_CSP
    return resp


@bp.get("/static/board.js")
def board_script() -> Response:
    """The case board's script: keeps the first page's list current (progressive: the page works without it)."""
    resp = make_response((STATIC / "board.js").read_bytes())
    resp.headers["Content-Type"] = "text/javascript; charset=utf-8"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/center/reports/<ticket>")
@require_member
def report(ticket: str) -> Any:
    """One report of the member's centres, its timeline and actions; the opening is audited. Another centre's: 404."""
    me = current()
    ctx = app_state().ctx
    lang = workspace_language()
    with ctx.sessions.begin() as session:
        found = session.execute(select(Report).where(Report.ticket == ticket[:16])).scalar_one_or_none()
        if found is None or not me.scope.can_read(found.center_id):
            abort(404)
        store.audit(session, "read", found.id, me.actor, {"via": "web"})
        store.flush_audits(session)  # this opening is on the timeline it shows
        alert = session.execute(select(Delivery.text).where(Delivery.report_id == found.id,
                                                            Delivery.channel == NotifyKind.INBOX)).scalar() or ""
        events = list(session.execute(select(AuditEvent).where(AuditEvent.report_id == found.id)
                                      .order_by(AuditEvent.id)).scalars())
        deliveries = list(session.execute(select(Delivery).where(Delivery.report_id == found.id)
                                          .order_by(Delivery.id)).scalars())
        messages = list(session.execute(select(ReportMessage).where(ReportMessage.report_id == found.id)
                                        .order_by(ReportMessage.id)).scalars())
        linked = [r.ticket for r in session.execute(select(Report).where(
            Report.incident_id == found.incident_id, Report.id != found.id,
            Report.center_id.in_(sorted(me.scope.reads)))).scalars()] if found.incident_id else []
        readers = _readers(session, {e.actor for e in events}, found.center_id, lang)
        done = request.args.get("done", "")
        asked = request.args.get("asked", "")
        notice = relay.asked_text(ctx, found.center_id, found.ticket, Outcome(asked)) \
            if asked in {Outcome.NO_CONTACT, Outcome.MISSING} else ""
        body = render_template_string(
            REPORT, r=found, text=alert, csrf=csrf_token(), local=_local, notice=notice,
            events=[(e.created_at, _event_label(e.event, lang), readers.get(e.actor) or _who(e.actor, lang))
                    for e in events],
            deliveries=[(_target_label(str(d.channel), lang), t(lang, f"ws_dl_{d.status}"), d.attempts,
                         _local(d.sent_at) if d.sent_at else "") for d in deliveries],
            messages=[(m.created_at, m.kind, _who(m.author, lang), m.text) for m in messages],
            waiting=bool(messages) and messages[-1].kind == "question",
            t=lambda k, **kw: t(lang, k, **kw), can_act=me.scope.can_act(found.center_id),
            status=t(lang, f"ws_status_{found.status}"), colour=STATUS_COLOUR.get(str(found.status), "#555"),
            agencies=[a.value for a in Agency], reasons=[c.value for c in CloseReason],
            done=t(lang, "ws_done", action=t(lang, f"act_{done}")) if done in {a.value for a in Action} else "",
            linked=linked, media=list(enumerate(found.media or [])), place_map=_place_map(found, lang))
    resp = make_response(workspace_page(body))
    resp.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                                               "media-src 'self'; form-action 'self'")
    return resp


def _place_map(report: Report, lang: str) -> str:
    """The report's district drawn tambon by tambon from the project's polygons, the report's tambon filled and
    its point (rounded) marked; a district without tambon outlines is drawn whole."""
    gazetteer = app_state().ctx.gazetteer
    district = report.district_code or ""
    outline = gazetteer.district_outlines.get(district)
    if outline is None:
        return ""
    point = [(report.lat, report.lon)] if report.lat is not None and report.lon is not None else []
    tambons = {c: gazetteer.tambon_outlines[c] for c in gazetteer.tambons_of([district])
               if c in gazetteer.tambon_outlines}
    if tambons:
        names = {c: gazetteer.tambon_name(c, lang) or c for c in tambons}
        return maps.svg(tambons, names, {report.tambon_code or ""}, point, width=320)
    name = gazetteer.district_name(district, lang) or ""
    return maps.svg({district: outline}, {district: name}, {district}, point, width=320)


def _target_label(kind: str, lang: str) -> str:
    """Where an alert went, in words: Telegram, LINE, SMS to the duty phones, this web inbox."""
    return {"telegram": "Telegram", "telegram_media": "Telegram", "line": "LINE", "sms": "SMS"}.get(kind) or \
        t(lang, "ws_inbox")


def _event_label(event: str, lang: str) -> str:
    """An audit event as the timeline says it (its code when no words were written for it)."""
    return t(lang, f"ws_ev_{event}") if f"ws_ev_{event}" in ALL_TEXTS else event


def _readers(session: Session, actors: set[str], center_id: str, lang: str) -> dict[str, str]:
    """Members who opened the page (`web:<kind>:<account>`) by name and role, as the centres file and the
    invites know them now."""
    named: dict[str, str] = {}
    for actor in sorted(a for a in actors if a.startswith("web:")):
        kind, _, account = actor.removeprefix("web:").partition(":")
        if kind not in access.KINDS:
            continue
        found = access.scope_of(session, app_state().ctx.centers, access.Principal(kind, account))
        role = found.roles.get(center_id)
        if found.name:
            named[actor] = _who(f"web:{role}:{found.name}", lang) if role else found.name
    return named


def _who(actor: str, lang: str) -> str:
    """An audit actor in words: the gateway, the reporter (by the alias the centre knows), or a member's name with
    their role and the surface they used (`surface:role:name`); anything else as stored."""
    parts = actor.split(":")
    if actor in SYSTEM_ACTORS:
        return t(lang, "ws_system")
    if parts[0] == "reporter":
        return " ".join([t(lang, "ws_reporter"), *parts[1:2]])
    if len(parts) == 3 and parts[1] in {r.value for r in Role}:
        role = t(lang, f"role_{parts[1]}")
        return f"{parts[2] or role} ({role}, {channel_label(parts[0], lang) if parts[0] != 'web' else 'web'})"
    return actor


@bp.get("/center/reports/<ticket>/media/<int:index>")
@require_member
def media(ticket: str, index: int) -> Response:
    """A report's photo or voice note, for members of its centre only; its type checked again from its bytes."""
    me = current()
    ctx = app_state().ctx
    with ctx.sessions() as session:
        found = session.execute(select(Report).where(Report.ticket == ticket[:16])).scalar_one_or_none()
    if found is None or not me.scope.can_read(found.center_id) or not 0 <= index < len(found.media or []):
        abort(404)
    record = found.media[index]
    path = ctx.settings.media_path() / str(record.get("file", ""))
    if path.parent != ctx.settings.media_path() or not path.is_file():
        abort(404)
    data = path.read_bytes()
    try:
        content_type, _ = sniff(data, "photo" if record.get("kind") == "photo" else "voice")
    except MediaError:
        abort(404)
    resp = Response(data, content_type=content_type)
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Content-Disposition"] = "inline"
    return resp


def _local(moment: datetime) -> str:
    """A stored time (UTC, naive on SQLite) as the district office reads it (Bangkok time)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S")


def _action(form: Any) -> Action | None:
    kind = form.get("action", "")
    value = {"ack": "ack", "assign": form.get("agency", ""), "close": form.get("reason", ""), "ask": "ask"}.get(kind)
    allowed = {"ack"} | {a.value for a in Agency} | {c.value for c in CloseReason} | {"ask"}
    if value not in allowed:
        return None
    if kind == "assign" and value not in {a.value for a in Agency}:
        return None
    if kind == "close" and value not in {c.value for c in CloseReason}:
        return None
    return Action(value)


@bp.post("/center/reports/<ticket>/actions")
@require_member
def act(ticket: str) -> Any:
    """Acknowledge, assign to an agency, close with a reason, or ask the reporter — with the same rules and effects
    as a button in the chat: the chat alerts are edited, the reporter is told, the audit rows are the same."""
    check_csrf()
    me = current()
    ctx = app_state().ctx
    with ctx.sessions() as session:
        found = session.execute(select(Report).where(Report.ticket == ticket[:16])).scalar_one_or_none()
        center_id = found.center_id if found is not None else ""
    if found is None or not me.scope.can_read(center_id):
        abort(404)
    if not me.scope.can_act(center_id):
        abort(403, description=t(workspace_language(), "ws_not_allowed"))
    action = _action(request.form)
    if action is None:
        abort(400, description="action: one of ack, assign (with agency), close (with reason), ask (with question)")
    member = me.scope.member(center_id)
    if action is Action.ASK:
        question = request.form.get("question", "").strip()[:300]
        if not question:
            abort(400, description="question: write the question for the reporter")
        asked = relay.ask(ctx, ticket, center_id, member, question, {"kind": "web"})
        if asked is not Outcome.ASKED:
            return redirect(f"/center/reports/{ticket}?asked={asked}", code=303)
    else:
        outcome = actions.apply(ctx, ticket, action, center_id, member, "web")
        if outcome is Outcome.CLOSED:
            abort(409, description=t(workspace_language(), "act_not_allowed"))
        if outcome is Outcome.DONE:
            ctx.jobs.enqueue(ANNOUNCE(ticket, str(action), center_id, member.to_json(), "web"))
    return redirect(f"/center/reports/{ticket}?done={action}", code=303)


# -- exports ----------------------------------------------------------------------------------------------------
def _exported(f: ReportFilter) -> list[Report]:
    with app_state().ctx.sessions() as session:
        query = _scoped(f).order_by(Report.created_at.desc()).limit(MAX_EXPORT)
        return list(session.execute(query).scalars().all())


@bp.get("/center/export.csv")
@require_member
def export_csv() -> Response:
    """The filtered list as CSV (no contact data: pseudonymous reports only; GPS at the centre's precision)."""
    resp = Response(export.to_csv(_exported(_filter())), content_type="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = "attachment; filename=reports.csv"
    return resp


@bp.get("/center/export.geojson")
@require_member
def export_geojson() -> Response:
    """The filtered list as GeoJSON points (reports with a point; rounded to ~100 m)."""
    body = json.dumps(export.to_geojson(_exported(_filter())), ensure_ascii=False)
    resp = Response(body, content_type="application/geo+json; charset=utf-8")
    resp.headers["Content-Disposition"] = "attachment; filename=reports.geojson"
    return resp
