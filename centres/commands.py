"""The work behind a member's command to the bot (centres/events.py recognised it): `JOIN <code>` binds their
account to a centre, `/invite <role> <name>` makes a code, `/broadcast <text>` sends awareness news, `/login`
answers with a one-time link to the centre's workspace, `/pin <digits>` sets the PIN of their SMS commands.
The answer goes back to the same chat, in the centre's language (Thai to a stranger)."""

from __future__ import annotations

from cryptography.fernet import InvalidToken

from centres import access, broadcasts, logins, pins
from centres.members import InviteError, create_invite, leader_of, redeem
from centres.surfaces import line_origin, say, telegram_origin
from i18n.catalog import text as t
from reports import keys
from reports.context import Context
from reports.identity import cipher

JOIN_FAILS_PER_HOUR = 5  # wrong codes from one chat account before JOIN stops answering for an hour


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
    elif command == "login":
        answer = _login(ctx, surface, account, language)
    elif command == "pin":
        answer = _pin(ctx, surface, account, argument, language)
    else:
        raise ValueError(f"unknown member command {command!r}")
    origin = telegram_origin(chat) if surface == "telegram" else line_origin(chat, to=account)
    origin["no_preview"] = command == "login"
    say(ctx, origin, answer, key=f"member:{surface}:{account}:{command}:{argument}")
    return answer


def _member_language(ctx: Context, principal: access.Principal, fallback: str) -> str:
    scope = access.scope(ctx, principal)
    first = next(iter(sorted(scope.roles) or sorted(scope.reads)), None)
    return ctx.centers.get(first).language if first else (fallback if fallback in ("th", "lo", "km", "en") else "th")


def _join(ctx: Context, surface: str, account: str, code: str, language: str) -> str:
    """Bind a Telegram user id or LINE user id with an invite code (and the language their app is set to).

    Guessing is bounded twice: JOIN_FAILS_PER_HOUR wrong codes per account, and a centre takes at most
    JOINS_PER_CENTRE_DAY members a day (centres/members.py); either way the answer is that of a wrong code."""
    fails = keys.JOIN_FAILS(surface, keys.hashed(account))
    if int(ctx.redis.get(fails) or 0) >= JOIN_FAILS_PER_HOUR:
        return t("th", "join_failed")
    try:
        with ctx.sessions.begin() as session:
            member = redeem(session, ctx.settings.secret_key, code,
                            telegram_user_id=int(account) if surface == "telegram" else None,
                            line_user_id=account if surface == "line" else None, language=language or None,
                            per_day=lambda center_id: int(ctx.redis.incr(keys.JOINS(center_id))))
            center = ctx.centers.get(member.center_id)
            ctx.redis.expire(keys.JOINS(member.center_id), keys.JOINS.ttl_s or 0)
            return t(center.language, "join_ok", name=member.name, role=t(center.language, f"role_{member.role}"),
                     center=center.name)
    except InviteError:
        pipe = ctx.redis.pipeline(transaction=True)
        pipe.incr(fails)
        pipe.expire(fails, keys.JOIN_FAILS.ttl_s or 0)
        pipe.execute()
        return t("th", "join_failed")  # wrong, expired, used or over the day's limit: one answer, no hint


def _login(ctx: Context, surface: str, account: str, language: str) -> str:
    """A one-time link to the workspace for a member (anyone else is told only members can log in)."""
    principal = access.Principal(surface, account)
    if access.scope(ctx, principal).empty:
        return t(language if language in ("th", "lo", "km", "en") else "th", "login_refused")
    return t(_member_language(ctx, principal, language), "login_link",
             url=logins.login_url(ctx, logins.make_login_code(ctx, principal)))


def _pin(ctx: Context, surface: str, account: str, sealed: str, language: str) -> str:
    """Set the SMS-command PIN of every phone the centres file lists for this chat account."""
    principal = access.Principal(surface, account)
    lang = _member_language(ctx, principal, language)
    phones = {m.phone for c in ctx.centers.by_id.values() for m in c.members
              if m.phone and ((surface == "telegram" and str(m.telegram_user_id) == account)
                              or (surface == "line" and m.line_user_id == account))}
    if not phones:
        return t(lang, "pin_no_phone")
    try:
        pin = cipher(ctx.settings.secret_key).decrypt(sealed.encode()).decode()
        for phone in sorted(phones):
            pins.set_pin(ctx, phone, pin, principal.key)
    except (InvalidToken, pins.PinError):
        return t(lang, "pin_bad")
    return t(lang, "pin_set")


def _invite(ctx: Context, surface: str, account: str, argument: str) -> str:
    """A head or secretary asked the bot for an invite code; anyone else is refused."""
    role, _, name = argument.partition(" ")
    with ctx.sessions.begin() as session:
        found = leader_of(session, ctx.centers, surface, account)
        if found is None:
            return t("th", "invite_refused")
        center, member = found
        try:
            code = create_invite(session, ctx.settings.secret_key, center, role, name,
                                 f"{surface}:{member.role}:{member.name}")
        except InviteError:
            return t(center.language, "invite_bad_role")
        return t(center.language, "invite_made", name=name, role=t(center.language, f"role_{role}"), code=code)
