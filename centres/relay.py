"""The anonymous two-way relay: a coordinator's question reaches the reporter on their own channel; the
reporter's next message (outside a report in progress) goes back to the alert's thread (the Telegram alert
is replied to, the LINE group gets a line) and, when the question came by SMS, to the officer's phone too.
Neither side sees the other's number or account: the gateway holds both ends, the reporter is a pseudonym.

A question is asked by SMS (`ASK <ticket> <question>`, centres/sms_commands.py), from the web, or from the
alert: the "ask the reporter" button opens a 10-minute window in which the member's next message in that
group is the question (on Telegram the prompt is a ForceReply, so a bot in privacy mode still receives the
reply; a reply to or quote of the prompt asks even after the window).

The pending question lives in Redis under the reporter's pseudonym (`keys.RELAY`), read in the same round
trip as the conversation state, so an answer costs no extra call.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select

from centres.alerts import quoted
from centres.surfaces import say
from gateway.channels.line import client as line
from gateway.channels.sending import Outgoing
from gateway.channels.sms import send_sms
from gateway.channels.telegram import client as telegram
from i18n.catalog import text as t
from i18n.sms import truncate_to_units, utf16_units
from reporters.outbound import channel_for, queue_message
from reports import keys, sendonce, store
from reports.centres_file import MemberRef
from reports.context import Context
from reports.enums import DeliveryStatus, NotifyKind, Outcome
from reports.identity import decrypt_contact, encrypt_contact
from reports.models import Delivery, Report, Reporter, ReportMessage

log = logging.getLogger("ntswatch.relay")
SMS_BUDGET = 134  # two UCS-2 parts: the question is cut to fit what is left


@dataclass(frozen=True)
class PendingQuestion:
    """A question waiting for the reporter's answer: which case, which centre, and where the asker wants the
    answer besides the alert's thread (`reply_to`: `sms_reply_to`, the officer's phone encrypted, or a surface)."""

    ticket: str
    report: str
    center: str
    reply_to: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> PendingQuestion:
        """Inverse of `to_json`."""
        data = json.loads(raw)
        return cls(str(data["ticket"]), str(data["report"]), str(data["center"]), dict(data.get("reply_to") or {}))


def sms_reply_to(ctx: Context, phone: str) -> dict[str, Any]:
    """Where an officer who asked by SMS gets the answer: their number, encrypted (it waits in Redis and in job
    data until the reporter answers, and those are logged and copied)."""
    return {"kind": "sms", "to_enc": encrypt_contact(ctx.settings.secret_key, phone)}


@dataclass(frozen=True)
class AskWindow:
    """A member pressed "ask the reporter": their next message in the group asks about `ticket`."""

    ticket: str
    center: str
    member: MemberRef

    def to_json(self) -> dict[str, Any]:
        """The form a job carries."""
        return {"ticket": self.ticket, "center": self.center, "member": self.member.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AskWindow:
        """Inverse of `to_json`."""
        return cls(str(data["ticket"]), str(data["center"]), MemberRef.from_json(data["member"]))


def open_question(ctx: Context, surface: str, chat: str, user: str, ticket: str, center_id: str,
                  member: MemberRef) -> None:
    """Webhook side (Redis only): this member's next message in this group is a question for the reporter."""
    ctx.redis.set(keys.ASKING(surface, chat, user), json.dumps(AskWindow(ticket, center_id, member).to_json()),
                  ex=keys.ASKING.ttl_s)


def take_question(ctx: Context, surface: str, chat: str, user: str) -> AskWindow | None:
    """The open question window of this member in this group, closed as it is read (one question a press)."""
    raw = ctx.redis.getdel(keys.ASKING(surface, chat, user))
    return AskWindow.from_json(json.loads(raw)) if raw else None


def prompt_answered(ctx: Context, chat: str, message_id: str) -> dict[str, str] | None:
    """The ticket and centre of the "ask" prompt `message_id` in `chat` (a reply to or quote of it asks)."""
    raw = ctx.redis.get(keys.ASK_PROMPT(chat, message_id))
    return json.loads(raw) if raw else None


def prompt(ctx: Context, surface: str, chat: dict[str, Any], ticket: str, center_id: str,
           member: MemberRef) -> str:
    """Tell the group (in the centre's language) that the member's next message goes to the reporter.

    Telegram: a ForceReply message in the alert's topic; LINE: the postback's reply token. A reply to (or a
    quote of) the prompt is remembered as a question for its ticket.
    """
    center = ctx.centers.get(center_id)
    name = member.shown
    text = t(center.language, "ask_prompt", name=name, ticket=ticket)
    remembered = json.dumps({"ticket": ticket, "center": center_id})
    if surface == "telegram":
        message_id = telegram.send(ctx.settings, {
            "chat_id": chat["chat_id"], "thread_id": chat.get("thread_id"),
            "mention": {"user_id": int(chat["user_id"]), "name": name},  # the reply box opens for this member only
            "reply_markup": {"force_reply": True, "selective": True,
                             "input_field_placeholder": t(center.language, "ask_placeholder")}}, text)
        ctx.redis.set(keys.ASK_PROMPT(str(chat["chat_id"]), message_id), remembered, ex=keys.ASK_PROMPT.ttl_s)
        return message_id
    message_id = line.reply_text(ctx.settings, chat["reply_token"], text) if chat.get("reply_token") else ""
    if message_id and chat.get("group"):  # quoting the prompt asks too, after the window (quotedMessageId)
        ctx.redis.set(keys.ASK_PROMPT(chat["group"], message_id), remembered, ex=keys.ASK_PROMPT.ttl_s)
    return message_id or "replied"


def ask(ctx: Context, ticket: str, center_id: str, member: MemberRef, question: str,
        reply_to: dict[str, Any]) -> Outcome:
    """Relay `question` to the reporter of `ticket`: ASKED, MISSING (not this centre's case) or NO_CONTACT."""
    with ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket)).scalar_one_or_none()
        if report is None or report.center_id != center_id:
            return Outcome.MISSING
        reporter = session.get(Reporter, report.reporter_id)
        if reporter is None or not reporter.contact_enc:
            return Outcome.NO_CONTACT
        address = decrypt_contact(ctx.settings.secret_key, reporter.contact_enc)
        channel = channel_for(ctx, reporter.channel, address)
        if channel is None:
            return Outcome.NO_CONTACT
        frame = t(reporter.language, "relay_question", ticket=ticket, question="")
        text = t(reporter.language, "relay_question", ticket=ticket,
                 question=truncate_to_units(question, max(SMS_BUDGET - utf16_units(frame), 20)))
        actor = member.actor(str(reply_to.get("kind")))
        store.audit(session, "asked", report.id, actor, {"chars": len(question)})
        session.add(ReportMessage(report_id=report.id, kind="question", author=actor, text=question[:1000]))
        pid, report_id = reporter.id, report.id
    ctx.redis.set(keys.RELAY(pid), PendingQuestion(ticket, report_id, center_id, reply_to).to_json(),
                  ex=keys.RELAY.ttl_s)
    digest = hashlib.sha256(question.encode()).hexdigest()[:12]
    queue_message(ctx, Outgoing(channel, address, text, f"ask-{report_id}-{digest}"))
    return Outcome.ASKED


def asked_text(ctx: Context, center_id: str, ticket: str, outcome: Outcome) -> str:
    """What the asking member is told, in the centre's language."""
    lang = ctx.centers.get(center_id).language
    if outcome is Outcome.ASKED:
        return t(lang, "act_asked", ticket=ticket)
    if outcome is Outcome.NO_CONTACT:
        return t(lang, "act_no_contact", ticket=ticket)
    return t(lang, "status_unknown", ticket=ticket)


def ask_from_group(ctx: Context, window: dict[str, Any], question: str, origin: dict[str, Any]) -> str:
    """Relay a question typed in the centre's group after "ask the reporter", then say in the group whether
    it went out."""
    asked = AskWindow.from_json(window)
    outcome = ask(ctx, asked.ticket, asked.center, asked.member, question, {"kind": origin["surface"]})
    say(ctx, origin, asked_text(ctx, asked.center, asked.ticket, outcome), key=f"asked:{asked.ticket}:{question}")
    return str(outcome)


def _alert_threads(ctx: Context, report_id: str) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """The centre's own chat alerts of a report that went out (not partners': they never see a reporter)."""
    with ctx.sessions() as session:
        rows = session.execute(select(Delivery).where(
            Delivery.report_id == report_id, Delivery.status == DeliveryStatus.SENT,
            Delivery.channel.in_((NotifyKind.TELEGRAM, NotifyKind.LINE)))).scalars()
        return [(d.id, str(d.channel), dict(d.target), d.provider_message_id) for d in rows
                if not d.target.get("partner")]


def answer(ctx: Context, pending_json: str, reporter_id: str, text: str) -> str:
    """Carry the reporter's answer back to the alert's thread (a reply to the Telegram alert, a line in the LINE
    group) and, when the question came by SMS, to the officer's phone. Each destination is sent once (the
    send-once ledger) even when the job is retried after a failure on another."""
    pending = PendingQuestion.from_json(pending_json)
    center = ctx.centers.get(pending.center)
    body = t(center.language, "relay_answer", ticket=pending.ticket, answer=quoted(text[:1000]))
    digest = hashlib.sha256(f"{pending_json}|{text}".encode()).hexdigest()[:16]
    sent = 0
    if pending.reply_to.get("kind") == "sms" and pending.reply_to.get("to_enc"):
        number = decrypt_contact(ctx.settings.secret_key, str(pending.reply_to["to_enc"]))
        sendonce.once(ctx.redis, f"answer:{digest}:sms",
                      lambda: send_sms(ctx.settings, number, truncate_to_units(body, SMS_BUDGET)))
        sent += 1
    for delivery_id, channel, target, message_id in _alert_threads(ctx, pending.report):
        sendonce.once(ctx.redis, f"answer:{digest}:{delivery_id}",
                      partial(_to_thread, ctx, channel, target, message_id, body, f"answer:{delivery_id}:{digest}"))
        sent += 1
    sendonce.once(ctx.redis, f"answer:{digest}:audit", lambda: _audit_answer(ctx, pending, reporter_id, text, sent))
    return f"relayed to {sent}"


def _to_thread(ctx: Context, channel: str, target: dict[str, Any], message_id: str | None, body: str,
               key: str) -> str:
    """The answer as a reply to a Telegram alert, or a line pushed to a LINE group."""
    if channel == NotifyKind.TELEGRAM:
        reply_to = int(message_id) if message_id and message_id.isdigit() else None
        return telegram.send(ctx.settings, {"chat_id": target["chat_id"], "thread_id": target.get("thread_id"),
                                            "reply_to": reply_to}, body)
    return line.push(ctx.settings, target["to"], [line.text_message(body)], line.retry_key(key))


def _audit_answer(ctx: Context, pending: PendingQuestion, reporter_id: str, text: str, sent: int) -> str:
    with ctx.sessions.begin() as session:
        report = session.get(Report, pending.report)
        who = report.reporter_alias if report is not None and report.reporter_alias else "reporter"
        store.audit(session, "answered", pending.report, f"reporter:{who}", {"chars": len(text), "to": sent})
        if report is not None:
            session.add(ReportMessage(report_id=report.id, kind="answer", author=f"reporter:{who}",
                                      text=text[:1000]))
    return "audited"
