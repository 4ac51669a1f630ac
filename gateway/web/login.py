"""`GET /login/<code>`: a member's one-time link from the bot starts a browser session (HttpOnly, SameSite=Lax,
Secure under https) and opens the workspace. `POST /logout` ends it; `/center/sessions` lists the member's
sessions and ends any of them.

Chat apps fetch links in messages to draw previews; such a fetch must not use up the member's link, so a
request that announces itself as a preview bot gets a page without the code being spent.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, redirect, render_template_string, request
from werkzeug.wrappers import Response

from centres import logins
from gateway.web.auth import COOKIE, check_csrf, csrf_token, current, require_member
from gateway.web.state import app_state

bp = Blueprint("login", __name__)
PREVIEW_BOTS = re.compile(r"bot|preview|facebookexternalhit|whatsapp|linespider|line-poker|embedly|crawler|spider|"
                          r"slack|discord|skype", re.IGNORECASE)

PAGE = """<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ title }}</title>
<style>body{font-family:system-ui,"Noto Sans Thai","Noto Sans Lao","Noto Sans Khmer",sans-serif;margin:1.5rem;
max-width:40rem;line-height:1.5}table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;
text-align:left}button{font:inherit;padding:.3rem .8rem}.en{color:#555}</style></head><body>
{{ body|safe }}</body></html>"""

USED = """<h1>ลิงก์นี้ใช้ไม่ได้แล้ว</h1>
<p>ลิงก์เข้าระบบใช้ได้ครั้งเดียวภายใน 10 นาที ส่ง <b>/login</b> ถึงบอทอีกครั้งเพื่อรับลิงก์ใหม่</p>
<p lang="lo">ລິ້ງນີ້ໃຊ້ບໍ່ໄດ້ແລ້ວ ສົ່ງ <b>/login</b> ຫາບອດອີກຄັ້ງ</p>
<p lang="km">តំណនេះប្រើមិនបានទៀតទេ ផ្ញើ <b>/login</b> ទៅបូតម្តងទៀត</p>
<p class="en" lang="en">This link is used or expired. Send <b>/login</b> to the bot for a new one.</p>"""

PREVIEW = """<h1>NTS-Mekong Watch</h1><p>เข้าระบบศูนย์ฯ · Centre workspace login</p>"""


def _cookie(resp: Response, token: str) -> Response:
    secure = request.is_secure or app_state().ctx.settings.public_url.startswith("https://")
    resp.set_cookie(COOKIE, token, httponly=True, samesite="Lax", secure=secure, path="/",
                    max_age=logins.MAX_AGE_S)
    return resp


@bp.get("/login/<code>")
def login(code: str) -> Any:
    """Spend the one-time code, start a session, open the workspace."""
    if PREVIEW_BOTS.search(request.headers.get("User-Agent", "")):
        return render_template_string(PAGE, title="NTS-Mekong Watch", body=PREVIEW)
    ctx = app_state().ctx
    principal = logins.redeem_login(ctx, code)
    if principal is None:
        return render_template_string(PAGE, title="Link used", body=USED), 404
    _session_id, token = logins.start_session(ctx, principal, request.headers.get("User-Agent", ""))
    return _cookie(redirect("/center", code=303), token)


@bp.post("/logout")
@require_member
def logout() -> Any:
    """End this session."""
    check_csrf()
    me = current()
    logins.end_session(app_state().ctx, me.principal, me.session_id)
    resp = redirect("/center", code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


SESSIONS = """<h1>การเข้าระบบของท่าน · Your sessions</h1>
<p><a href="/center">← ศูนย์ฯ · Centre</a></p>
<table><tr><th>เริ่ม · Started (UTC)</th><th>ล่าสุด · Last seen</th><th>เบราว์เซอร์ · Browser</th><th></th></tr>
{% for s in sessions %}<tr><td>{{ s.created_at.strftime('%Y-%m-%d %H:%M') }}</td>
<td>{{ s.last_seen_at.strftime('%Y-%m-%d %H:%M') }}</td><td>{{ s.user_agent[:60] }}</td>
<td>{% if s.id == mine %}(นี่ · this one){% endif %}
<form method="post" action="/center/sessions/{{ s.id }}/end"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button>จบ · End</button></form></td></tr>{% endfor %}</table>"""


@bp.get("/center/sessions")
@require_member
def sessions() -> Any:
    """The member's live sessions, each with a button to end it."""
    me = current()
    listed = logins.sessions_of(app_state().ctx, me.principal)
    body = render_template_string(SESSIONS, sessions=listed, mine=me.session_id, csrf=csrf_token())
    return render_template_string(PAGE, title="Sessions", body=body)


@bp.post("/center/sessions/<session_id>/end")
@require_member
def end(session_id: str) -> Any:
    """End one of the member's own sessions (another's is 404)."""
    check_csrf()
    me = current()
    if not logins.end_session(app_state().ctx, me.principal, session_id):
        return render_template_string(PAGE, title="Not found", body="<p>Not found</p>"), 404
    resp = redirect("/center/sessions" if session_id != me.session_id else "/center", code=303)
    if session_id == me.session_id:
        resp.delete_cookie(COOKIE, path="/")
    return resp
