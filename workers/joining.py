"""Jobs behind `JOIN <code>` and `/invite <role> <name>` sent to the bot (reports/membership.py), answered in
the centre's language in the same chat."""

from __future__ import annotations

from i18n.catalog import text as t
from reports.membership import InviteError, create_invite, inviter_of, redeem
from workers.context import get_context


def _answer(surface: str, chat: str, text: str) -> None:
    from workers.senders import line, telegram

    settings = get_context().settings
    if surface == "telegram":
        telegram.send(settings, {"chat_id": int(chat)}, text)
    else:
        line.reply(settings, chat, text)  # chat: the event's reply token


def join(code: str, surface: str, account: str, chat: str, language: str | None = None) -> str:
    """Bind a Telegram user id or LINE user id with an invite code (and the language their app is set to);
    tell them the outcome."""
    ctx = get_context()
    try:
        with ctx.sessions.begin() as session:
            member = redeem(session, code, telegram_user_id=int(account) if surface == "telegram" else None,
                            line_user_id=account if surface == "line" else None, language=language)
            center = ctx.centers.by_id.get(member.center_id) or ctx.centers.fallback
            text = t(center.language, "join_ok", name=member.name, role=t(center.language, f"role_{member.role}"),
                     center=center.name)
    except InviteError:
        text = t("th", "join_failed")  # wrong, expired or used: one answer, no hint for guessers
    _answer(surface, chat, text)
    return text


def invite(telegram_user_id: int, chat_id: int, role: str, name: str) -> str:
    """A head or secretary asked the bot for an invite code; anyone else is refused."""
    ctx = get_context()
    with ctx.sessions.begin() as session:
        found = inviter_of(session, ctx.centers.by_id, telegram_user_id)
        if found is None:
            text = t("th", "invite_refused")
        else:
            center, member = found
            try:
                code = create_invite(session, center, role, name, f"telegram:{member.role}:{member.name}")
                text = t(center.language, "invite_made", name=name, role=t(center.language, f"role_{role}"),
                         code=code)
            except InviteError:
                text = t(center.language, "invite_bad_role")
    _answer("telegram", str(chat_id), text)
    return text
