"""The built-in web inbox: `/center` lists the alerts each centre received (login: NTS_API_TOKEN)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template_string, request
from sqlalchemy import select

from gateway.web.auth import require_basic
from gateway.web.state import app_state
from reports.models import Delivery, Report

bp = Blueprint("center", __name__)

PAGE = """<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>NTS-MWCC inbox</title>
<style>
body{font-family:system-ui,"Noto Sans Thai","Noto Sans Lao","Noto Sans Khmer",sans-serif;
  margin:1rem;max-width:60rem}
article{border:1px solid #ccc;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0;white-space:pre-wrap}
.meta{color:#555;font-size:.85rem}.flag{color:#a40}
</style></head><body>
<h1>NTS-MWCC inbox</h1>
<form method="get"><label>Centre <select name="center" onchange="this.form.submit()">
<option value="">all</option>
{% for c in centers %}
<option value="{{ c.id }}" {{ 'selected' if c.id == selected else '' }}>{{ c.name }}</option>
{% endfor %}
</select></label> <noscript><button>show</button></noscript></form>
<p class="meta">{{ items|length }} alert(s), newest first.</p>
{% for d, r in items %}
<article><div class="meta">{{ r.ticket }} · {{ r.center_id }} · {{ r.status }}
{%- if r.flags %} · <span class="flag">{{ r.flags|join(', ') }}</span>{% endif %}</div>{{ d.text }}</article>
{% else %}<p>No alerts yet.</p>{% endfor %}
</body></html>"""


@bp.get("/center")
@require_basic
def inbox() -> Any:
    """The latest inbox alerts, optionally for one centre."""
    ctx = app_state().ctx
    selected = request.args.get("center", "")
    query = (select(Delivery, Report).join(Report, Report.id == Delivery.report_id)
             .where(Delivery.channel == "inbox", Delivery.status == "sent"))
    if selected:
        query = query.where(Delivery.center_id == selected)
    with ctx.sessions() as session:
        items = [tuple(row) for row in session.execute(query.order_by(Report.created_at.desc()).limit(200))]
    centers = sorted(ctx.centers.by_id.values(), key=lambda c: c.name)
    return render_template_string(PAGE, items=items, centers=centers, selected=selected)
