"""The centre's workspace: `/center` lists the alerts of the member's centres; `/center/reports/<ticket>` shows
one report (every opening is audited, with who and when). A report of another centre answers 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template_string, request
from sqlalchemy import select

from gateway.web.auth import csrf_token, current, require_member
from gateway.web.state import app_state
from reports import store
from reports.enums import DeliveryStatus, NotifyKind
from reports.models import AuditEvent, Delivery, Report

bp = Blueprint("center", __name__)

PAGE = """<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>NTS-MWCC</title>
<style>
body{font-family:system-ui,"Noto Sans Thai","Noto Sans Lao","Noto Sans Khmer",sans-serif;margin:1rem;max-width:60rem}
header{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}header form{margin:0}
article{border:1px solid #ccc;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0;white-space:pre-wrap}
.meta{color:#555;font-size:.85rem}.flag{color:#a40}button{font:inherit}
</style></head><body>
<header><strong>{{ who }}</strong>
<form method="get" action="/center"><label>ศูนย์ · Centre <select name="center">
<option value="">ทั้งหมด · all</option>
{% for c in centers %}<option value="{{ c.id }}" {{ 'selected' if c.id == selected else '' }}>{{ c.name }}</option>
{% endfor %}</select></label> <button>แสดง · Show</button></form>
<a href="/center/sessions">การเข้าระบบ · Sessions</a>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button>ออกจากระบบ · Log out</button></form></header>
{{ body|safe }}
</body></html>"""

LIST = """<p class="meta">{{ items|length }} alert(s), newest first.</p>
{% for d, r in items %}
<article><div class="meta"><a href="/center/reports/{{ r.ticket }}">{{ r.ticket }}</a> · {{ r.center_id }}
· {{ r.status }}{%- if r.flags %} · <span class="flag">{{ r.flags|join(', ') }}</span>{% endif %}</div>
{{- d.text }}</article>
{% else %}<p>No alerts yet.</p>{% endfor %}"""

REPORT = """<p><a href="/center">← ศูนย์ฯ · Centre</a></p>
<article><div class="meta">{{ r.ticket }} · {{ r.center_id }} · {{ r.status }}</div>{{ text }}</article>
<h2>ลำดับเหตุการณ์ · Timeline</h2>
<ul>{% for e in events %}<li>{{ e.created_at.strftime('%Y-%m-%d %H:%M:%S') }} · {{ e.event }} · {{ e.actor }}</li>
{% endfor %}</ul>"""


def _page(body: str, selected: str = "") -> str:
    me = current()
    ctx = app_state().ctx
    centers = sorted((ctx.centers.by_id[c] for c in me.scope.reads if c in ctx.centers.by_id), key=lambda c: c.name)
    return render_template_string(PAGE, body=body, centers=centers, selected=selected, csrf=csrf_token(),
                                  who=me.scope.name or me.principal.name or me.principal.key)


@bp.get("/center")
@require_member
def inbox() -> Any:
    """The latest alerts of the member's centres, optionally of one of them."""
    me = current()
    selected = request.args.get("center", "")
    centres = [selected] if selected and me.scope.can_read(selected) else sorted(me.scope.reads)
    query = (select(Delivery, Report).join(Report, Report.id == Delivery.report_id)
             .where(Delivery.channel == NotifyKind.INBOX, Delivery.status == DeliveryStatus.SENT,
                    Report.center_id.in_(centres)))
    with app_state().ctx.sessions() as session:
        items = [tuple(row) for row in session.execute(query.order_by(Report.created_at.desc()).limit(200))]
    return _page(render_template_string(LIST, items=items), selected)


@bp.get("/center/reports/<ticket>")
@require_member
def report(ticket: str) -> Any:
    """One report of the member's centres, its timeline; the opening is audited. Another centre's: 404."""
    me = current()
    ctx = app_state().ctx
    with ctx.sessions.begin() as session:
        found = session.execute(select(Report).where(Report.ticket == ticket[:16])).scalar_one_or_none()
        if found is None or not me.scope.can_read(found.center_id):
            abort(404)
        store.audit(session, "read", found.id, me.actor, {"via": "web"})
        alert = session.execute(select(Delivery.text).where(Delivery.report_id == found.id,
                                                            Delivery.channel == NotifyKind.INBOX)).scalar() or ""
        events = list(session.execute(select(AuditEvent).where(AuditEvent.report_id == found.id)
                                      .order_by(AuditEvent.id)).scalars())
        body = render_template_string(REPORT, r=found, text=alert, events=events)
    return _page(body)
