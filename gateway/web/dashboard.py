"""`/center/dashboard`: the digest's board (new, open, overdue, closed) for each of the member's centres, counts by
district and category per week (computed in SQL), and a map of the border districts drawn as SVG on the server
from the project's own polygons — no tile server, no CDN, no script — so it works in an office whose internet is
down but whose LAN is up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template_string
from sqlalchemy import func, select

from centres import digest
from gateway.web import maps
from gateway.web.auth import current, require_member
from gateway.web.center import workspace_language, workspace_page
from gateway.web.center_page import DASHBOARD
from gateway.web.state import app_state
from i18n.catalog import text as t
from reports.enums import Category
from reports.models import Report, utcnow

bp = Blueprint("dashboard", __name__)
WEEKS = 8


def _week(dialect: str) -> Any:
    """The ISO week of a report's creation, as text, on either engine."""
    if dialect == "postgresql":
        return func.to_char(Report.created_at, "IYYY-IW")
    return func.strftime("%Y-%W", Report.created_at)


def weekly_counts(centres: list[str]) -> list[tuple[str, str, str, int]]:
    """(week, district, category, count) over the last WEEKS weeks for `centres`, newest week first."""
    ctx = app_state().ctx
    since = utcnow() - timedelta(weeks=WEEKS)
    with ctx.sessions() as session:
        week = _week(session.get_bind().dialect.name).label("week")
        rows = session.execute(
            select(week, Report.district_code, Report.category, func.count())
            .where(Report.center_id.in_(centres), Report.created_at >= since)
            .group_by(week, Report.district_code, Report.category).order_by(week.desc())).all()
    return [(str(w), str(d or "—"), str(c), int(n)) for w, d, c, n in rows]


def svg_map(centres: list[str]) -> str:
    """The border districts (the member's own filled) and the last 30 days' reports as dots."""
    ctx = app_state().ctx
    lang = workspace_language()
    own = {d for c in centres if c in ctx.centers.by_id for d in ctx.centers.by_id[c].districts}
    with ctx.sessions() as session:
        rows = session.execute(select(Report.lat, Report.lon, Report.district_code).where(
            Report.center_id.in_(centres), Report.created_at >= utcnow() - timedelta(days=30))).all()
    points = []
    for lat, lon, district in rows:
        if lat is None and district in ctx.gazetteer.districts:  # no point given: the district's own centre
            lat, lon = ctx.gazetteer.districts[district].lat, ctx.gazetteer.districts[district].lon
        if lat is not None and lon is not None:
            points.append((float(lat), float(lon)))
    outlines = ctx.gazetteer.district_outlines
    names = {code: ctx.gazetteer.district_name(code, lang) or code for code in outlines}
    return maps.svg(outlines, names, own, points)


@bp.get("/center/dashboard")
@require_member
def dashboard() -> Any:
    """The board, the weekly counts and the map for the member's centres."""
    me = current()
    ctx = app_state().ctx
    lang = workspace_language()
    centres = sorted(c for c in me.scope.reads if c in ctx.centers.by_id)
    boards = [(ctx.centers.by_id[c].name, digest.count(ctx, ctx.centers.by_id[c])) for c in centres]
    counts = weekly_counts(centres)
    top = max((n for *_, n in counts), default=1)
    body = render_template_string(
        DASHBOARD, t=lambda k, **kw: t(lang, k, **kw), boards=boards, svg=svg_map(centres), top=top,
        counts=[(w, ctx.gazetteer.district_name(d, lang) or d, t(lang, f"cat_{c}") if c in {x.value for x in Category}
                 else c, n) for w, d, c, n in counts])
    return workspace_page(body)
