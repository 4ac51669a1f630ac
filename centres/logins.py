"""Member logins without passwords: a member asks the bot they already use (`/login` on Telegram, `LOGIN` or
the local word on LINE; or an operator runs `ntswatch accounts login-link`) and gets a one-time link, valid 10
minutes, bound to them. Opening it starts a browser session; the member can list their sessions and end any.

Codes and session tokens are random (32 bytes); only their keyed hashes are stored. Sessions end after
IDLE_S without a request and after MAX_AGE_S in any case.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from centres.access import Principal
from reports import store
from reports.context import Context
from reports.identity import keyed_hash
from reports.models import LoginCode, WebSession, utcnow

LOGIN_VALID_S = 600
IDLE_S = 60 * 60
MAX_AGE_S = 12 * 3600
TOUCH_EVERY_S = 60  # last_seen_at is written at most once a minute per session


@dataclass(frozen=True)
class SessionInfo:
    """One of a member's sessions, as their session list shows it."""

    id: str
    user_agent: str
    created_at: datetime
    last_seen_at: datetime


def make_login_code(ctx: Context, principal: Principal) -> str:
    """A new one-time login code for `principal`."""
    code = secrets.token_urlsafe(24)
    with ctx.sessions.begin() as session:
        session.add(LoginCode(code_hash=keyed_hash(ctx.settings.secret_key, "login", code),
                              principal=principal.to_json(), expires_at=utcnow() + timedelta(seconds=LOGIN_VALID_S)))
        store.audit(session, "login_link", None, principal.key[:64], {})
    return code


def login_url(ctx: Context, code: str) -> str:
    """The link a member opens: on the gateway's public address (NTS_PUBLIC_URL), else where it listens."""
    base = ctx.settings.public_url or f"http://{ctx.settings.bind}"
    return f"{base}/login/{code}"


def redeem_login(ctx: Context, code: str) -> Principal | None:
    """The principal of a valid, unused, unexpired code (now used), else None."""
    if not code or len(code) > 64:
        return None
    with ctx.sessions.begin() as session:
        row = session.execute(select(LoginCode).where(
            LoginCode.code_hash == keyed_hash(ctx.settings.secret_key, "login", code))).scalar_one_or_none()
        if row is None or row.used_at is not None or row.expires_at < utcnow():
            return None
        row.used_at = utcnow()
        return Principal.from_json(row.principal)


def start_session(ctx: Context, principal: Principal, user_agent: str) -> tuple[str, str]:
    """A new session; (its public id, the token for the cookie)."""
    token = secrets.token_urlsafe(32)
    session_id = secrets.token_hex(8)
    with ctx.sessions.begin() as session:
        session.add(WebSession(id=session_id, token_hash=keyed_hash(ctx.settings.secret_key, "session", token),
                               principal_key=principal.key, principal=principal.to_json(),
                               user_agent=user_agent[:120]))
        store.audit(session, "login", None, principal.key[:64], {"session": session_id})
    return session_id, token


def open_session(ctx: Context, token: str) -> tuple[str, Principal] | None:
    """(session id, principal) of a live session, touched; None when unknown, ended, idle or too old."""
    if not token or len(token) > 128:
        return None
    now = utcnow()
    with ctx.sessions.begin() as session:
        row = session.execute(select(WebSession).where(
            WebSession.token_hash == keyed_hash(ctx.settings.secret_key, "session", token))).scalar_one_or_none()
        if row is None or row.ended_at is not None:
            return None
        if (now - row.last_seen_at).total_seconds() > IDLE_S or (now - row.created_at).total_seconds() > MAX_AGE_S:
            row.ended_at = now
            return None
        if (now - row.last_seen_at).total_seconds() > TOUCH_EVERY_S:
            row.last_seen_at = now
        return row.id, Principal.from_json(row.principal)


def sessions_of(ctx: Context, principal: Principal) -> list[SessionInfo]:
    """The live sessions of `principal`, newest first."""
    cutoff = utcnow() - timedelta(seconds=IDLE_S)
    with ctx.sessions() as session:
        rows = session.execute(select(WebSession).where(
            WebSession.principal_key == principal.key, WebSession.ended_at.is_(None),
            WebSession.last_seen_at >= cutoff).order_by(WebSession.created_at.desc())).scalars()
        return [SessionInfo(r.id, r.user_agent, r.created_at, r.last_seen_at) for r in rows]


def end_session(ctx: Context, principal: Principal, session_id: str) -> bool:
    """End one of `principal`'s own sessions; False when it is not theirs or already over."""
    with ctx.sessions.begin() as session:
        row = session.get(WebSession, session_id)
        if row is None or row.principal_key != principal.key or row.ended_at is not None:
            return False
        row.ended_at = utcnow()
        store.audit(session, "logout", None, principal.key[:64], {"session": session_id})
        return True
