"""`/dev/outbox`: what a development stack (`make run`) would have sent through providers it has no account
for — status updates, questions to reporters, alerts to Telegram and LINE groups, broadcasts. Not served at all
outside development (NTS_DEV_OUTBOX)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template_string, request

from gateway.channels import devsink
from gateway.web.state import app_state

bp = Blueprint("dev", __name__, url_prefix="/dev")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Dev outbox</title>
<style>
body{font-family:system-ui,"Noto Sans Thai","Noto Sans Lao","Noto Sans Khmer",sans-serif;margin:1rem;max-width:60rem}
article{border:1px solid #ccc;border-radius:6px;padding:.5rem .8rem;margin:.5rem 0;white-space:pre-wrap}
.meta{color:#555;font-size:.85rem}
</style></head><body>
<h1>Dev outbox</h1>
<p class="meta">Messages this development stack would have sent ({{ items|length }}, newest last). Set the
providers' variables to send them for real.</p>
{% for m in items %}<article><div class="meta">{{ m.provider }} → {{ m.to }}</div>{{ m.text }}</article>
{% else %}<p>Nothing yet.</p>{% endfor %}
</body></html>"""


@bp.get("/outbox")
def outbox() -> Any:
    """The development outbox, as a page or (`?format=json`) as JSON; optionally only to `?to=`."""
    settings = app_state().ctx.settings
    if not settings.dev_outbox:
        abort(404)
    items = devsink.read(settings, to=request.args.get("to") or None)
    if request.args.get("format") == "json":
        return jsonify(messages=items)
    return render_template_string(PAGE, items=items)
