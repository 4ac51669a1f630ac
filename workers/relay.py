"""The anonymous two-way relay: a coordinator's question reaches the reporter on their own channel; the
reporter's next message (outside a report in progress) goes back to the alert's thread (the Telegram alert
is replied to, the LINE group gets a line) and, when the question came by SMS, to the officer's phone too.
Neither side sees the other's number or account: the gateway holds both ends, the reporter is a pseudonym.

A question is asked by SMS (`ASK <ticket> <question>`, flows/officer.py) or from the alert: the "ask the
reporter" button opens a 10-minute window in which the member's next message in that group is the question
(on Telegram the prompt is a ForceReply, so a bot in privacy mode still receives the reply).

The pending question lives in Redis for RELAY_TTL_S under the reporter's pseudonym (`nts:relay:<pid>`), read
in the same round trip as the conversation state, so an answer costs no extra call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import Any

from sqlalchemy import select

from flows import keys
from i18n.catalog import text as t
from i18n.sms import truncate_to_units, utf16_units
from reports import store
from reports.identity import decrypt_contact
from reports.models import Delivery, DeliveryStatus, Report, Reporter
from workers.context import Context, get_context
from workers.outbound import queue_reply, reply_channel

log = logging.getLogger("ntswatch.relay")
RELAY_TTL_S = 3 * 86400
ASK_WINDOW_S = 600  # after pressing "ask the reporter", the member's next message in the group, within 10 min
SMS_BUDGET = 134  # two UCS-2 parts: the question is cut to fit what is left
ANSWER_RETRY_S = [10, 60, 300, 900]  # the answer must reach the group even through a short outage


def open_question(ctx: Context, surface: str, chat: str, user: str, ticket: str, center_id: str,
                  member: dict[str, Any]) -> None:
    """Webhook side (Redis only): this member's next message in this group is a question for the reporter."""
    ctx.redis.set(keys.asking(surface, chat, user),
                  json.dumps({"ticket": ticket, "center": center_id, "member": member}), ex=ASK_WINDOW_S)


def take_question(ctx: Context, surface: str, chat: str, user: str) -> dict[str, Any] | None:
    """The open question window of this member in this group, closed as it is read (one question a press)."""
    raw = ctx.redis.getdel(keys.asking(surface, chat, user))
    return json.loads(raw) if raw else None


def prompt_answered(ctx: Context, chat: str, message_id: str) -> dict[str, Any] | None:
    """The ticket and centre of the "ask" prompt `message_id` in `chat` (a reply to or quote of it asks)."""
    raw = ctx.redis.get(keys.ask_prompt(chat, message_id))
    return json.loads(raw) if raw else None


def prompt(surface: str, chat: dict[str, Any], ticket: str, center_id: str, member: dict[str, Any]) -> str:
    """RQ job: tell the group (in the centre's language) that the member's next message goes to the reporter.

    Telegram: a ForceReply message in the alert's topic; LINE: the postback's reply token. A reply to (or a
    quote of) the prompt is remembered as a question for its ticket for RELAY_TTL_S.
    """
    from workers.senders import line, telegram

    ctx = get_context()
    center = ctx.centers.by_id.get(center_id) or ctx.centers.fallback
    text = t(center.language, "ask_prompt", name=member["name"] or member["role"], ticket=ticket)
    if surface == "telegram":
        name = member["name"] or member["role"]
        message_id = telegram.send(ctx.settings, {
            "chat_id": chat["chat_id"], "thread_id": chat.get("thread_id"),
            "mention": {"user_id": chat["user_id"], "name": name},  # the reply box opens for this member only
            "reply_markup": {"force_reply": True, "selective": True,
                             "input_field_placeholder": t(center.language, "ask_placeholder")}}, text)
        # A reply to the prompt is a question even after the 10-minute window (Telegram shows what it answers).
        ctx.redis.set(keys.ask_prompt(str(chat["chat_id"]), message_id),
                      json.dumps({"ticket": ticket, "center": center_id}), ex=RELAY_TTL_S)
        return message_id
    message_id = line.reply(ctx.settings, chat["reply_token"], text)
    if message_id and chat.get("group"):  # quoting the prompt asks too, after the window (quotedMessageId)
        ctx.redis.set(keys.ask_prompt(chat["group"], message_id),
                      json.dumps({"ticket": ticket, "center": center_id}), ex=RELAY_TTL_S)
    return message_id or "replied"


def ask_from_group(pending: dict[str, Any], question: str, origin: dict[str, Any]) -> str:
    """RQ job: relay a question typed in the centre's group after "ask the reporter", then say in the group
    whether it went out."""
    from workers.senders import line, telegram

    ctx = get_context()
    center = ctx.centers.by_id.get(pending["center"]) or ctx.centers.fallback
    ticket = pending["ticket"]
    outcome = ask(ticket, pending["center"], pending["member"], question, {"kind": origin["kind"]})
    text = {"asked": t(center.language, "act_asked", ticket=ticket),
            "no_contact": t(center.language, "act_no_contact", ticket=ticket)}.get(
        outcome, t(center.language, "status_unknown", ticket=ticket))
    if origin["kind"] == "telegram":
        telegram.send(ctx.settings, {"chat_id": origin["chat_id"], "thread_id": origin.get("thread_id"),
                                     "reply_to": origin.get("message_id")}, text)
    elif origin.get("reply_token"):
        line.reply(ctx.settings, origin["reply_token"], text)
    return outcome


def ask(ticket: str, center_id: str, member: dict[str, Any], question: str, reply_to: dict[str, Any]) -> str:
    """Relay `question` to the reporter of `ticket`; return "asked", "missing" or "no_contact"."""
    ctx = get_context()
    with ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket)).scalar_one_or_none()
        if report is None or report.center_id != center_id:
            return "missing"
        reporter = session.get(Reporter, report.reporter_id)
        if reporter is None or not reporter.contact_enc:
            return "no_contact"
        address = decrypt_contact(ctx.settings.secret_key, reporter.contact_enc)
        channel = reply_channel(ctx, reporter.channel, address)
        if channel is None:
            return "no_contact"
        frame = t(reporter.language, "relay_question", ticket=ticket, question="")
        text = t(reporter.language, "relay_question", ticket=ticket,
                 question=truncate_to_units(question, max(SMS_BUDGET - utf16_units(frame), 20)))
        store.audit(session, "asked", report.id, f"{reply_to.get('kind')}:{member['role']}:{member['name']}",
                    {"chars": len(question)})
        pid, report_id = reporter.id, report.id
    ctx.redis.set(keys.relay(pid), json.dumps({"ticket": ticket, "report": report_id, "center": center_id,
                                               "reply_to": reply_to}), ex=RELAY_TTL_S)
    digest = hashlib.sha256(question.encode()).hexdigest()[:12]
    queue_reply(ctx, channel, address, text, dedup_key=f"ask-{report_id}-{digest}")
    return "asked"


def _alert_threads(session: Any, report_id: str) -> list[Delivery]:
    """The centre's own chat alerts of a report that went out (not partners': they never see a reporter)."""
    rows = session.execute(select(Delivery).where(Delivery.report_id == report_id,
                                                  Delivery.status == DeliveryStatus.SENT.value,
                                                  Delivery.channel.in_(("telegram", "line")))).scalars()
    return [d for d in rows if not d.target.get("partner")]


def answer(pending: str, reporter_id: str, text: str) -> str:
    """RQ job: carry the reporter's answer back to the alert's thread (a reply to the Telegram alert, a line
    in the LINE group) and, when the question came by SMS, to the officer's phone. Each destination is sent
    once even when the job is retried after a failure on another."""
    from workers.jobs import send_sms
    from workers.senders import line, telegram

    ctx = get_context()
    data = json.loads(pending)
    center = ctx.centers.by_id.get(data["center"]) or ctx.centers.fallback
    body = t(center.language, "relay_answer", ticket=data["ticket"], answer=text[:1000])
    digest = hashlib.sha256(f"{pending}|{text}".encode()).hexdigest()[:16]
    with ctx.sessions() as session:
        threads = [(d.id, d.channel, dict(d.target), d.provider_message_id)
                   for d in _alert_threads(session, data["report"])]
    sends: list[tuple[str, Any]] = []
    if data["reply_to"].get("kind") == "sms":  # the officer's phone
        sends.append(("sms", lambda: send_sms(ctx.settings, data["reply_to"]["to"],
                                              truncate_to_units(body, SMS_BUDGET))))
    for delivery_id, channel, target, message_id in threads:
        if channel == "telegram":
            reply_to = int(message_id) if message_id and message_id.isdigit() else None
            sends.append((delivery_id, lambda tg=target, r=reply_to: telegram.send(
                ctx.settings, {"chat_id": tg["chat_id"], "thread_id": tg.get("thread_id"), "reply_to": r}, body)))
        else:
            retry_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ntswatch:answer:{delivery_id}:{digest}"))
            sends.append((delivery_id, lambda tg=target, k=retry_key: line.send_alert(ctx.settings, tg["to"], body, [],
                                                                                      k)))
    for name, send in sends:
        marker = keys.sending(f"answer:{digest}:{name}")
        if ctx.redis.get(marker) is None:
            ctx.redis.set(marker, send(), ex=7 * 86400)
    audited = keys.sending(f"answer:{digest}:audit")
    if ctx.redis.get(audited) is None:
        with ctx.sessions.begin() as session:
            store.audit(session, "answered", data["report"], f"reporter:{reporter_id}",
                        {"chars": len(text), "to": len(sends)})
        ctx.redis.set(audited, 1, ex=7 * 86400)
    return f"relayed to {len(sends)}"
