"""Who is asking: a member's browser session (a cookie from a one-time login link; centres/logins.py) for the
workspace pages, a named API token with scopes (centres/tokens.py) for the API. `NTS_API_TOKEN` is the
operator's bootstrap API token and never a web password.

Pages answer a missing or ended session with a page that says how to log in (401); anything outside the
member's centres answers 404, as if it did not exist. The API answers 401 without a valid token and 403 when the
token lacks the scope; a centre outside the token's answers 404.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, abort, g, jsonify, render_template_string, request

from centres import access, logins, tokens
from centres.access import Principal, Scope
from gateway.web.state import app_state

F = TypeVar("F", bound=Callable[..., Any])
COOKIE = "nts_session"

LOGIN_NEEDED = """<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>เข้าระบบ · Log in</title>
<style>body{font-family:system-ui,"Noto Sans Thai","Noto Sans Lao","Noto Sans Khmer",sans-serif;margin:1.5rem;
max-width:34rem;line-height:1.5}p{margin:.6rem 0}.en{color:#555}</style></head><body>
<h1>เข้าระบบศูนย์ฯ</h1>
<p>ส่ง <b>/login</b> ถึงบอทของศูนย์ฯ ใน Telegram (หรือ <b>เข้าระบบ</b> ใน LINE) แล้วเปิดลิงก์ที่ได้รับ ลิงก์ใช้ได้ 10 นาที ครั้งเดียว</p>
<p lang="lo">ສົ່ງ <b>/login</b> ຫາບອດຂອງສູນໃນ Telegram (ຫຼື <b>ເຂົ້າລະບົບ</b> ໃນ LINE) ແລ້ວເປີດລິ້ງທີ່ໄດ້ຮັບ</p>
<p lang="km">ផ្ញើ <b>/login</b> ទៅបូតរបស់មជ្ឈមណ្ឌលក្នុង Telegram (ឬ <b>ចូល</b> ក្នុង LINE) ហើយបើកតំណដែលទទួលបាន</p>
<p class="en" lang="en">Send <b>/login</b> to the centre's bot on Telegram (or <b>LOGIN</b> on LINE) and open the link
it sends you: valid 10 minutes, once.</p>
</body></html>"""


@dataclass(frozen=True)
class Visitor:
    """A logged-in member: their session, who they are, what they may read and do."""

    session_id: str
    principal: Principal
    scope: Scope

    @property
    def actor(self) -> str:
        """How the audit trail names them."""
        return f"web:{self.principal.key}"[:64]


def visitor() -> Visitor | None:
    """The logged-in member of this request (looked up once per request), or None."""
    if "nts_visitor" not in g:
        found = None
        token = request.cookies.get(COOKIE, "")
        ctx = app_state().ctx
        opened = logins.open_session(ctx, token) if token else None
        if opened is not None:
            session_id, principal = opened
            scope = access.scope(ctx, principal)
            found = Visitor(session_id, principal, scope) if not scope.empty else None
        g.nts_visitor = found
    result: Visitor | None = g.nts_visitor
    return result


def require_member(view: F) -> F:
    """The page needs a logged-in member (401 with how to log in, otherwise)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if visitor() is None:
            return Response(render_template_string(LOGIN_NEEDED), 401, content_type="text/html; charset=utf-8")
        return view(*args, **kwargs)

    return cast(F, wrapper)


def current() -> Visitor:
    """The logged-in member (inside a `require_member` view)."""
    found = visitor()
    if found is None:
        abort(401)
    return found


def csrf_token() -> str:
    """The form token of this session (a keyed hash of the session id: nothing to store)."""
    found = visitor()
    if found is None:
        return ""
    secret = app_state().ctx.settings.secret_key.encode()
    return hmac.new(secret, f"csrf:{found.session_id}".encode(), hashlib.sha256).hexdigest()[:32]


def check_csrf() -> None:
    """400 unless the form carries this session's token."""
    given = request.form.get("csrf_token", "")
    if not given or not hmac.compare_digest(given.encode(), csrf_token().encode()):
        abort(400, description="the form is out of date; reload the page and try again")


def grant() -> tokens.Grant:
    """The API token of this request (inside a `require_token` view)."""
    found: tokens.Grant = g.nts_grant
    return found


def require_token(scope: str) -> Callable[[F], F]:
    """The API call needs a valid bearer token (401) that has `scope` (403)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            kind, _, presented = header.partition(" ")
            found = tokens.check(app_state().ctx, presented.strip()) if kind.lower() == "bearer" else None
            if found is None:
                resp = jsonify(error="missing, wrong, revoked or expired bearer token")
                resp.headers["WWW-Authenticate"] = 'Bearer realm="ntswatch"'
                return resp, 401
            if not found.allows(scope):
                return jsonify(error=f"this token does not have the {scope} scope"), 403
            g.nts_grant = found
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
