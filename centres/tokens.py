"""API tokens with scopes over some centres, so a lost tablet or a leaked dashboard key exposes one centre's
work, not everyone's: `ntswatch tokens create --center 4803 --scope reports:upload --name "Headman Sakda's phone"`.

A token is `nts_<id>_<secret>`: the id is public (listed, revoked by it), only a keyed hash of the secret is
kept, and the whole token is shown once. `NTS_API_TOKEN` stays the operator's bootstrap token: every scope,
every centre, audited as "operator".
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from reports import store
from reports.context import Context
from reports.identity import keyed_hash
from reports.models import ApiToken, utcnow

SCOPES = ("reports:read", "reports:upload", "broadcast", "metrics")
EVERY_CENTRE = "*"
TOKEN = re.compile(r"^nts_([a-z0-9]{8})_([A-Za-z0-9_-]{20,64})$")
TOUCH_EVERY_S = 300


class TokenError(ValueError):
    """A token cannot be made (unknown scope or centre, bad validity)."""


@dataclass(frozen=True)
class Grant:
    """What a presented token allows: its name (the audit trail's actor), centres and scopes."""

    id: str
    name: str
    centers: frozenset[str]
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        """How the audit trail names whoever used it."""
        return "operator" if self.id == "operator" else f"token:{self.id}:{self.name}"[:64]

    def allows(self, scope: str, center_id: str | None = None) -> bool:
        """Whether this token has `scope` (for `center_id`, when given)."""
        if scope not in self.scopes:
            return False
        return center_id is None or EVERY_CENTRE in self.centers or center_id in self.centers

    def centres_in(self, all_ids: list[str]) -> list[str]:
        """The centres it covers among `all_ids`."""
        return list(all_ids) if EVERY_CENTRE in self.centers else [c for c in all_ids if c in self.centers]


@dataclass(frozen=True)
class TokenInfo:
    """A token as `ntswatch tokens list` shows it (never the secret)."""

    id: str
    name: str
    centers: list[str]
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def create(ctx: Context, centers: list[str], scopes: list[str], name: str, days: int | None,
           created_by: str) -> tuple[str, str]:
    """A new token; (its id, the whole token, to show once)."""
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        raise TokenError(f"scopes: one or more of {', '.join(SCOPES)}")
    missing = [c for c in centers if c != EVERY_CENTRE and c not in ctx.centers.by_id]
    if not centers or missing:
        raise TokenError(f"no centre {', '.join(missing) or '(none given)'} in the centres file")
    if days is not None and not 1 <= days <= 3650:
        raise TokenError("a token is valid 1 to 3650 days")
    token_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    with ctx.sessions.begin() as session:
        session.add(ApiToken(id=token_id, name=name[:80], token_hash=keyed_hash(ctx.settings.secret_key, "token",
                                                                                secret),
                             centers=sorted(set(centers)), scopes=sorted(set(scopes)), created_by=created_by[:64],
                             expires_at=utcnow() + timedelta(days=days) if days else None))
        store.audit(session, "token_created", None, created_by[:64],
                    {"token": token_id, "name": name[:80], "centers": sorted(set(centers)), "scopes": sorted(scopes)})
    return token_id, f"nts_{token_id}_{secret}"


def check(ctx: Context, presented: str) -> Grant | None:
    """What the presented bearer token allows, or None (unknown, wrong, revoked, expired)."""
    operator = ctx.settings.api_token
    if operator and hmac.compare_digest(presented.encode(), operator.encode()):
        return Grant("operator", "operator", frozenset({EVERY_CENTRE}), frozenset(SCOPES))
    match = TOKEN.match(presented)
    if match is None:
        return None
    token_id, secret = match.groups()
    now = utcnow()
    with ctx.sessions.begin() as session:
        row = session.get(ApiToken, token_id)
        if row is None or not hmac.compare_digest(row.token_hash, keyed_hash(ctx.settings.secret_key, "token",
                                                                              secret)):
            return None
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at < now):
            return None
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > TOUCH_EVERY_S:
            row.last_used_at = now
        return Grant(row.id, row.name, frozenset(row.centers), frozenset(row.scopes))


def listing(ctx: Context) -> list[TokenInfo]:
    """Every token, newest first."""
    with ctx.sessions() as session:
        rows = session.execute(select(ApiToken).order_by(ApiToken.created_at.desc())).scalars()
        return [TokenInfo(r.id, r.name, list(r.centers), list(r.scopes), r.created_at, r.expires_at, r.revoked_at,
                          r.last_used_at) for r in rows]


def revoke(ctx: Context, token_id: str, by: str) -> bool:
    """Revoke a token at once; False when there is no such (live) token."""
    with ctx.sessions.begin() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        store.audit(session, "token_revoked", None, by[:64], {"token": token_id, "name": row.name})
        return True
