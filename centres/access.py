"""Who may see and do what: a person (their Telegram or LINE account, or a member the centres file names) is a
member of some centres — they read and act on those centres' reports — and may sit on a provincial or national
desk, which lets them read (not act on) the reports of the centres it covers. Everything outside answers as if
it did not exist (404).

The scope is worked out on every request from the centres file and the memberships made by invites, so a
member removed from a centre loses access at once, sessions or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.centres_file import Centers, Member, MemberRef
from reports.context import Context
from reports.models import Membership

KINDS = ("telegram", "line", "member")


@dataclass(frozen=True)
class Principal:
    """A person as the gateway knows them: `telegram`/`line` and their account id, or `member` and
    `<centre id>/<name>` for a member of the centres file without a chat account."""

    kind: str
    account: str
    name: str = ""

    @property
    def key(self) -> str:
        """A stable id (sessions are listed and ended per principal)."""
        return f"{self.kind}:{self.account}"[:96]

    def to_json(self) -> dict[str, str]:
        """The stored form."""
        return {"kind": self.kind, "account": self.account, "name": self.name}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Principal:
        """Inverse of `to_json`."""
        if data.get("kind") not in KINDS:
            raise ValueError("unknown kind of principal")
        return cls(str(data["kind"]), str(data["account"]), str(data.get("name") or ""))


@dataclass(frozen=True)
class Scope:
    """The centres a person acts for (with their role there) and the centres they may read."""

    roles: dict[str, str]  # centre id -> role (member: may act)
    reads: frozenset[str]  # every centre whose reports they may read (their own and their desks')
    name: str = ""

    def can_read(self, center_id: str) -> bool:
        """May read this centre's reports."""
        return center_id in self.reads

    def can_act(self, center_id: str) -> bool:
        """May act on this centre's reports (members only, not desks)."""
        return center_id in self.roles

    def member(self, center_id: str) -> MemberRef:
        """Who acts, as the audit trail names them."""
        return MemberRef(self.name, self.roles.get(center_id, "desk"))

    @property
    def empty(self) -> bool:
        """Nothing to read: not (or no longer) a member of anything."""
        return not self.reads


def _matches(member: Member, principal: Principal) -> bool:
    if principal.kind == "telegram":
        return member.telegram_user_id is not None and str(member.telegram_user_id) == principal.account
    if principal.kind == "line":
        return bool(member.line_user_id) and member.line_user_id == principal.account
    return False


def scope_of(session: Session, centers: Centers, principal: Principal) -> Scope:
    """What `principal` may read and do now (the centres file and the invites decide)."""
    roles: dict[str, str] = {}
    name = principal.name
    if principal.kind == "member":
        center_id, _, member_name = principal.account.partition("/")
        center = centers.by_id.get(center_id)
        found = next((m for m in center.members if m.name == member_name), None) if center else None
        if found is None and center is not None:
            row = session.execute(select(Membership).where(Membership.center_id == center_id,
                                                           Membership.name == member_name).limit(1)).scalar()
            found = Member(role=row.role, name=row.name) if row is not None else None
        if center is not None and found is not None:
            roles[center.id], name = str(found.role), found.name
    else:
        for center in centers.by_id.values():
            found = next((m for m in center.members if _matches(m, principal)), None)
            if found is not None:
                roles[center.id], name = str(found.role), found.name or name
        column = Membership.telegram_user_id if principal.kind == "telegram" else Membership.line_user_id
        value: Any = int(principal.account) if principal.kind == "telegram" and principal.account.isdigit() \
            else principal.account
        if principal.kind == "line" or principal.account.isdigit():
            for row in session.execute(select(Membership).where(column == value)).scalars():
                if row.center_id in centers.by_id:
                    roles.setdefault(row.center_id, str(row.role))
                    name = name or row.name
    reads = set(roles)
    for desk in centers.desks:
        if any(_matches(m, principal) or (principal.kind == "member" and principal.account == f"{desk.id}/{m.name}")
               for m in desk.members):
            reads.update(desk.covers)
    return Scope(roles, frozenset(reads), name)


def scope(ctx: Context, principal: Principal) -> Scope:
    """`scope_of` in a session of its own."""
    with ctx.sessions() as session:
        return scope_of(session, ctx.centers, principal)


def member_principal(ctx: Context, center_id: str, name: str) -> Principal | None:
    """The principal of the member called `name` in centre (or desk) `center_id`, for an operator's login link:
    their chat account when the centres file or an invite gives one, so the link opens every centre they belong
    to."""
    desk = next((d for d in ctx.centers.desks if d.id == center_id), None)
    center = ctx.centers.by_id.get(center_id)
    if center is None and desk is None:
        return None
    listed = center.members if center is not None else desk.members if desk is not None else ()
    found = next((m for m in listed if m.name == name), None)
    if found is None and center is not None:
        with ctx.sessions() as session:
            row = session.execute(select(Membership).where(Membership.center_id == center_id,
                                                           Membership.name == name).limit(1)).scalar()
        if row is None:
            return None
        found = Member(role=row.role, name=row.name, telegram_user_id=row.telegram_user_id,
                       line_user_id=row.line_user_id)
    if found is None:
        return None
    if found.telegram_user_id is not None:
        return Principal("telegram", str(found.telegram_user_id), found.name)
    if found.line_user_id:
        return Principal("line", found.line_user_id, found.name)
    return Principal("member", f"{center_id}/{found.name}", found.name)
