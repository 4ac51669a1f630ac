"""The work behind a member's command to the bot (centres/events.py recognised it): `JOIN <code>` binds their
account to a centre, `/invite <role> <name>` makes a code, `/broadcast <text>` sends awareness news. The
answer goes back to the same chat, in the centre's language (Thai to a stranger)."""

from __future__ import annotations

from centres import broadcasts
from centres.members import InviteError, create_invite, leader_of, redeem
from centres.surfaces import line_origin, say, telegram_origin
from i18n.catalog import text as t
from reports.context import Context


def run(ctx: Context, command: str, surface: str, account: str, chat: str, argument: str, language: str) -> str:
    """Carry out one member command and answer in the chat; the answer."""
    if command == "join":
        answer = _join(ctx, surface, account, argument, language)
    elif command == "invite":
        answer = _invite(ctx, surface, account, argument)
    elif command == "broadcast":
        with ctx.sessions() as session:
            found = leader_of(session, ctx.centers, surface, account)
        answer = t("th", "bc_refused") if found is None else \
            broadcasts.from_member(ctx, found[0], found[1], surface, argument)
    else:
        raise ValueError(f"unknown member command {command!r}")
    origin = telegram_origin(chat) if surface == "telegram" else line_origin(chat, to=account)
    say(ctx, origin, answer, key=f"member:{surface}:{account}:{command}:{argument}")
    return answer


def _join(ctx: Context, surface: str, account: str, code: str, language: str) -> str:
    """Bind a Telegram user id or LINE user id with an invite code (and the language their app is set to)."""
    try:
        with ctx.sessions.begin() as session:
            member = redeem(session, code, telegram_user_id=int(account) if surface == "telegram" else None,
                            line_user_id=account if surface == "line" else None, language=language or None)
            center = ctx.centers.get(member.center_id)
            return t(center.language, "join_ok", name=member.name, role=t(center.language, f"role_{member.role}"),
                     center=center.name)
    except InviteError:
        return t("th", "join_failed")  # wrong, expired or used: one answer, no hint for guessers


def _invite(ctx: Context, surface: str, account: str, argument: str) -> str:
    """A head or secretary asked the bot for an invite code; anyone else is refused."""
    role, _, name = argument.partition(" ")
    with ctx.sessions.begin() as session:
        found = leader_of(session, ctx.centers, surface, account)
        if found is None:
            return t("th", "invite_refused")
        center, member = found
        try:
            code = create_invite(session, center, role, name, f"{surface}:{member.role}:{member.name}")
        except InviteError:
            return t(center.language, "invite_bad_role")
        return t(center.language, "invite_made", name=name, role=t(center.language, f"role_{role}"), code=code)
