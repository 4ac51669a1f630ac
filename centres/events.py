"""The one entry for what members do from a chat app or a phone, on the request path: a press on an alert
button, a text in the centre's group after "ask the reporter", a command to the bot (JOIN, /invite, /broadcast),
an officer's SMS command. Each is checked here (signature, membership, dedup) and the work is handed to a job
(centres/commands.py, centres/actions.py, centres/relay.py), so the webhook answers within the providers'
time limits. The web and the API call centres/actions.py directly with a member they authenticated.

A provider's redelivery of the same event changes nothing: each kind has its dedup key, set only together
with the job that does the work (a failed enqueue removes it, so the provider's retry is handled).
"""

from __future__ import annotations

import hashlib
import logging
import re

from centres import actions, pins, relay
from centres.members import JOIN_COMMAND, member_of
from centres.sms_commands import OfficerCommand, parse_officer_command
from centres.surfaces import line_origin, telegram_origin
from flows.language import sender_language
from gateway.channels.events import ButtonPress, GroupText, Inbound
from i18n import DEFAULT_LANGUAGE
from i18n.catalog import text as t
from i18n.normalize import normalize_text
from reports import keys
from reports.centres_file import Center, Member
from reports.context import Context
from reports.enums import Action, Outcome
from reports.identity import cipher
from reports.queue import ANNOUNCE, APPLY_ACTION, ASK_FROM_GROUP, ASK_PROMPT, MEMBER_COMMAND, REFUSE, JobCall, safe_id
from reports.tickets import is_valid_ticket

log = logging.getLogger("ntswatch.centres")
INVITE_COMMAND = re.compile(r"^/invite(?:@\w+)?\s+([A-Za-z]+)\s+(.{1,80})$", re.IGNORECASE)
BROADCAST_COMMAND = re.compile(r"^/broadcast(?:@\w+)?(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)
LOGIN_COMMAND = re.compile(r"^(?:/login(?:@\w+)?|login|เข้าระบบ|ເຂົ້າລະບົບ|ចូល)[\s.!?]*$", re.IGNORECASE)
PIN_COMMAND = re.compile(r"^(?:/pin(?:@\w+)?|pin)\s*[:=]?\s*([0-9]{1,12})\s*$", re.IGNORECASE)
CHAT_APPS = ("telegram", "line")


def _once(ctx: Context, kind: str, event_id: str, *calls: JobCall) -> bool:
    """Queue `calls` unless event `kind:event_id` was handled before; False for a redelivery.

    The seen-marker is set first (so two deliveries racing queue once) and removed when queueing fails, so
    nothing is marked seen that was not kept."""
    marker = keys.DEDUP(kind, event_id)
    if not ctx.redis.set(marker, 1, nx=True, ex=ctx.settings.dedup_ttl_s):
        return False
    try:
        for call in calls:
            ctx.jobs.enqueue(call)
    except Exception:
        ctx.redis.delete(marker)
        raise
    return True


def _member(ctx: Context, center: Center | None, surface: str, user: str) -> Member | None:
    if center is None or not user:
        return None
    with ctx.sessions() as session:
        return member_of(session, center, surface, user)


def on_press(ctx: Context, press: ButtonPress) -> str:
    """A press on an alert button: checked (signature, membership), handed to a job; the button's answer."""
    decoded = actions.verify(ctx.settings.secret_key, press.data)
    center = ctx.centers.by_id.get(decoded[2]) if decoded else None
    lang = center.language if center else DEFAULT_LANGUAGE
    member = _member(ctx, center, press.channel, press.user)
    who = f"user:{press.user[:12]}"
    if decoded is None or center is None or member is None:
        ticket, center_id = (decoded[1], decoded[2]) if decoded else ("", "")
        _once(ctx, f"{press.channel}-press", press.event_id,
              REFUSE(ticket, center_id, press.channel, who, press.reply_token or ""))
        return t(lang, "act_not_member")
    action, ticket, center_id = decoded
    origin = telegram_origin(press.chat or press.user, press.thread_id, user_id=press.user) \
        if press.channel == "telegram" else line_origin(press.reply_token, press.chat)
    if action is Action.ASK:
        relay.open_question(ctx, press.channel, press.chat or "", press.user, ticket, center_id, member.ref())
        chat = {"chat_id": press.chat, "thread_id": press.thread_id, "user_id": press.user} \
            if press.channel == "telegram" else {"reply_token": press.reply_token, "group": press.chat}
        _once(ctx, f"{press.channel}-press", press.event_id,
              ASK_PROMPT(press.channel, chat, ticket, center_id, member.ref().to_json()))
        return t(center.language, "ask_placeholder")
    _once(ctx, f"{press.channel}-press", press.event_id,
          APPLY_ACTION(ticket, str(action), center_id, member.ref().to_json(), origin))
    return t(center.language, "act_received")


def on_group_text(ctx: Context, msg: GroupText) -> None:
    """A member's message in a centre's group after they pressed "ask the reporter", or a reply to (a quote of)
    the prompt: relayed by a job. Other group messages are the group's own conversation and are left alone
    (one Redis read; one more for a reply)."""
    text = msg.text.strip()
    if not text:
        return
    window = relay.take_question(ctx, msg.channel, msg.chat, msg.user)
    if window is None and msg.replied_to:
        prompt = relay.prompt_answered(ctx, msg.chat, msg.replied_to)
        center = ctx.centers.by_id.get(prompt["center"]) if prompt else None
        if prompt is None or center is None:
            return
        member = _member(ctx, center, msg.channel, msg.user)
        if member is None:
            _once(ctx, f"{msg.channel}-ask", msg.event_id,
                  REFUSE(prompt["ticket"], center.id, msg.channel, f"user:{msg.user[:12]}", msg.reply_token or ""))
            return
        window = relay.AskWindow(prompt["ticket"], center.id, member.ref())
    if window is None:
        return
    origin = telegram_origin(msg.chat, msg.thread_id, reply_to=msg.message_id) if msg.channel == "telegram" \
        else line_origin(msg.reply_token, msg.chat)
    job_id = safe_id(f"ask-{msg.channel}-{hashlib.sha256(msg.event_id.encode()).hexdigest()[:32]}")
    marker = keys.DEDUP(f"{msg.channel}-ask", msg.event_id)
    if ctx.redis.set(marker, 1, nx=True, ex=ctx.settings.dedup_ttl_s):
        try:
            ctx.jobs.enqueue(ASK_FROM_GROUP(window.to_json(), text[:1000], origin), job_id=job_id)
        except Exception:
            ctx.redis.delete(marker)
            raise


def member_command(ctx: Context, msg: Inbound) -> bool:
    """`JOIN <code>` from a new member, `/invite <role> <name>` or `/broadcast <text>` from a head or
    secretary, in a private chat with the bot: handed to a job (once per event). False when `msg` is none of
    these (then it is a reporter's message)."""
    if msg.channel not in CHAT_APPS:
        return False
    text = normalize_text(msg.text).strip()
    join, invite, broadcast = JOIN_COMMAND.match(text), INVITE_COMMAND.match(text), BROADCAST_COMMAND.match(text)
    pin = PIN_COMMAND.match(text)
    if join is not None:
        command, argument = "join", join.group(1)
    elif invite is not None:
        command, argument = "invite", f"{invite.group(1).lower()} {invite.group(2).strip()}"
    elif broadcast is not None:
        command, argument = "broadcast", (broadcast.group(1) or "").strip()[:1000]
    elif LOGIN_COMMAND.match(text):
        command, argument = "login", ""
    elif pin is not None:  # the PIN travels encrypted: job arguments are stored in Redis and may be logged
        command, argument = "pin", cipher(ctx.settings.secret_key).encrypt(pin.group(1).encode()).decode()
    else:
        return False
    account = msg.address.split(":", 1)[1]
    chat = account if msg.channel == "telegram" else (msg.reply_token or "")
    _once(ctx, f"{msg.channel}-member", msg.provider_id,
          MEMBER_COMMAND(command, msg.channel, account, chat, argument, msg.language_hint or ""))
    return True


def officer_of(ctx: Context, msg: Inbound) -> tuple[Center | None, Member | None, OfficerCommand] | None:
    """A duty officer's SMS command (the centre and member when the number is one's, else None and None), or
    None when the message is not shaped as one (then it is a reporter's). Shaped like one from any number, it
    is answered the same way whether the number belongs to a member or not."""
    if not msg.address.startswith("+") or not msg.address[1:].isdigit():
        return None  # not a phone number as a provider delivers one: never an officer
    command = parse_officer_command(msg.text)
    if command is None:
        return None
    found = ctx.centers.member_by_phone(msg.address)
    return (found[0], found[1], command) if found else (None, None, command)


def officer_reply(ctx: Context, center: Center | None, member: Member | None, command: OfficerCommand,
                  msg: Inbound) -> str:
    """Apply a duty officer's SMS command to a case of their own centre, after their PIN; the answer.

    Officers' commands are few and must be confirmed in the same SMS exchange, so this runs on the request
    path (a database write), unlike reports, which are queued. A number that is not a member's, a wrong or
    missing PIN, a blocked number: one answer, in the number's language, that tells nothing about which."""
    surface = msg.channel
    pin_ok = pins.verify(ctx, msg.address, command.pin, surface)
    if center is None or member is None or not pin_ok:
        return t(sender_language(msg), "officer_refused")
    lang = center.language
    if not is_valid_ticket(command.ticket):
        return t(lang, "status_unknown", ticket=command.ticket)
    if command.action is Action.ASK:
        asked = relay.ask(ctx, command.ticket, center.id, member.ref(), command.question,
                          relay.sms_reply_to(ctx, member.phone or ""))
        return relay.asked_text(ctx, center.id, command.ticket, asked)
    outcome = actions.apply(ctx, command.ticket, command.action, center.id, member.ref(), surface)
    if outcome is Outcome.MISSING:
        return t(lang, "status_unknown", ticket=command.ticket)
    if outcome is Outcome.CLOSED:
        return t(lang, "act_not_allowed")
    ctx.jobs.enqueue(ANNOUNCE(command.ticket, str(command.action), center.id, member.ref().to_json(), surface))
    return f"{t(lang, 'act_received')} {command.ticket}: {t(lang, 'act_' + command.action)}"
