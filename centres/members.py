"""Who belongs to a centre's working group, and joining it: the head or secretary makes a one-time invite
code (`ntswatch centers invite`, or `/invite <role> <name>` to the bot), the new member sends `JOIN <code>` to
the bot on Telegram or LINE, and their account is bound to the centre and role — nobody edits chat ids in
YAML. Members listed in the centres file keep working; memberships add to them.

Codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as XXXX-XXXX, valid
1 to 30 days (INVITE_DAYS by default), used once; only their keyed hash (HMAC with NTS_SECRET_KEY) is stored,
so a copied database cannot be searched for codes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import LANGUAGES
from reports import store
from reports.centres_file import Center, Centers, Member, language_or_none
from reports.enums import Role
from reports.identity import keyed_hash
from reports.models import Invite, Membership, utcnow

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
JOIN_COMMAND = re.compile(r"^/?join\s+([A-Za-z0-9]{4}-?[A-Za-z0-9]{4})$", re.IGNORECASE)  # "JOIN 7K2P-9QXD"
INVITE_DAYS = 7
MAX_DAYS = 30
JOINS_PER_CENTRE_DAY = 30


class InviteError(ValueError):
    """Why a code cannot be used (unknown, expired, already used) or an invite cannot be made."""


def _hash(secret_key: str, code: str) -> str:
    return keyed_hash(secret_key, "invite", code.replace("-", "").strip().upper())


def create_invite(session: Session, secret_key: str, center: Center, role: str, name: str, created_by: str,
                  days: int = INVITE_DAYS) -> str:
    """A new one-time code for `name` to join `center` as `role`, valid `days` (1 to MAX_DAYS)."""
    if role not in {r.value for r in Role}:
        raise InviteError(f"role must be one of {', '.join(r.value for r in Role)}")
    if not 1 <= days <= MAX_DAYS:
        raise InviteError(f"an invite is valid 1 to {MAX_DAYS} days")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    session.add(Invite(code_hash=_hash(secret_key, raw), center_id=center.id, role=role, name=name[:80],
                       created_by=created_by, expires_at=utcnow() + timedelta(days=days)))
    store.audit(session, "invite_created", None, created_by[:64], {"center": center.id, "role": role})
    return f"{raw[:4]}-{raw[4:]}"


def redeem(session: Session, secret_key: str, code: str, telegram_user_id: int | None = None,
           line_user_id: str | None = None, language: str | None = None,
           per_day: Callable[[str], int] | None = None) -> Membership:
    """Bind the account to the invite's centre and role; raise InviteError when the code cannot be used.

    `per_day(centre)` counts this join among the centre's today and returns the count (over
    JOINS_PER_CENTRE_DAY is refused)."""
    invite = session.execute(select(Invite).where(Invite.code_hash == _hash(secret_key, code))).scalar_one_or_none()
    if invite is None:
        raise InviteError("unknown")
    if invite.used_at is not None:
        raise InviteError("used")
    if invite.expires_at < utcnow():
        raise InviteError("expired")
    if per_day is not None and per_day(invite.center_id) > JOINS_PER_CENTRE_DAY:
        raise InviteError("too many joins today")
    invite.used_at = utcnow()
    member = Membership(center_id=invite.center_id, role=invite.role, name=invite.name,
                        telegram_user_id=telegram_user_id, line_user_id=line_user_id,
                        language=language if language in LANGUAGES else None)
    session.add(member)
    store.audit(session, "member_joined", None, f"{'telegram' if telegram_user_id else 'line'}:{invite.name}"[:64],
                {"center": invite.center_id, "role": invite.role})
    return member


def joined(session: Session, center_id: str, telegram_user_id: int | None = None,
           line_user_id: str | None = None) -> Member | None:
    """A member of `center_id` who joined with an invite, by Telegram or LINE account."""
    query = select(Membership).where(Membership.center_id == center_id)
    query = query.where(Membership.telegram_user_id == telegram_user_id) if telegram_user_id is not None else \
        query.where(Membership.line_user_id == line_user_id)
    row = session.execute(query.limit(1)).scalar_one_or_none()
    if row is None:
        return None
    return Member(role=row.role, name=row.name, telegram_user_id=row.telegram_user_id, line_user_id=row.line_user_id,
                  language=language_or_none(row.language))


def inviter_of(session: Session, centers: dict[str, Center], telegram_user_id: int | None = None,
               line_user_id: str | None = None) -> tuple[Center, Member] | None:
    """The centre where this Telegram or LINE account leads (head or secretary: may invite and broadcast),
    from the centres file or a membership."""
    for center in centers.values():
        member = next((m for m in center.members if (telegram_user_id is not None
                                                      and m.telegram_user_id == telegram_user_id)
                       or (line_user_id is not None and m.line_user_id == line_user_id)), None)
        member = member or joined(session, center.id, telegram_user_id=telegram_user_id, line_user_id=line_user_id)
        if member is not None and member.role.leads:
            return center, member
    return None


def member_of(session: Session, center: Center, surface: str, account: str) -> Member | None:
    """The working-group member of `center` with this Telegram user id or LINE user id (centres file first,
    then invites), or None."""
    if surface == "telegram":
        if not account.lstrip("-").isdigit():
            return None
        user = int(account)
        found = next((m for m in center.members if m.telegram_user_id == user), None)
        return found or joined(session, center.id, telegram_user_id=user)
    if surface == "line":
        found = next((m for m in center.members if m.line_user_id and m.line_user_id == account), None)
        return found or joined(session, center.id, line_user_id=account)
    return None


def leader_of(session: Session, centers: Centers, surface: str, account: str) -> tuple[Center, Member] | None:
    """The centre where this Telegram or LINE account is head or secretary (may invite and broadcast)."""
    if surface == "telegram":
        return inviter_of(session, centers.by_id, telegram_user_id=int(account)) if account.lstrip("-").isdigit() \
            else None
    return inviter_of(session, centers.by_id, line_user_id=account)


def open_invites(session: Session, center_id: str) -> list[Invite]:
    """The centre's invites not used, not expired, newest first."""
    return list(session.execute(select(Invite).where(Invite.center_id == center_id, Invite.used_at.is_(None),
                                                     Invite.expires_at > utcnow())
                                .order_by(Invite.created_at.desc())).scalars())


def revoke_invite(session: Session, center_id: str, invite_id: int, by: str) -> bool:
    """End an open invite of `center_id` now (its code no longer joins); False when there is none such."""
    invite = session.get(Invite, invite_id)
    if invite is None or invite.center_id != center_id or invite.used_at is not None or invite.expires_at <= utcnow():
        return False
    invite.expires_at = utcnow()
    store.audit(session, "invite_revoked", None, by[:64], {"center": center_id, "invite": invite_id})
    return True
