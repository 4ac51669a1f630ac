"""The anonymous two-way relay: a coordinator's question reaches the reporter on their own channel; the
reporter's next message (outside a report in progress) goes back to where the question came from. Neither
side sees the other's number or account: the gateway holds both ends, the reporter is a pseudonym.

The pending question lives in Redis for RELAY_TTL_S under the reporter's pseudonym (`nts:relay:<pid>`), read
in the same round trip as the conversation state, so an answer costs no extra call.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy import select

from flows import keys
from i18n.catalog import text as t
from i18n.sms import truncate_to_units, utf16_units
from reports import store
from reports.identity import decrypt_contact
from reports.models import Report, Reporter
from workers.context import get_context
from workers.outbound import queue_reply, reply_channel

log = logging.getLogger("ntswatch.relay")
RELAY_TTL_S = 3 * 86400
SMS_BUDGET = 134  # two UCS-2 parts: the question is cut to fit what is left


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


def answer(pending: str, reporter_id: str, text: str) -> str:
    """RQ job: carry the reporter's answer back to whoever asked (the centre's group or the officer's phone)."""
    from workers.jobs import send_sms

    ctx = get_context()
    data = json.loads(pending)
    center = ctx.centers.by_id.get(data["center"]) or ctx.centers.fallback
    body = t(center.language, "relay_answer", ticket=data["ticket"], answer=text[:1000])
    send_sms(ctx.settings, data["reply_to"]["to"], truncate_to_units(body, SMS_BUDGET))  # the officer's phone
    with ctx.sessions.begin() as session:
        store.audit(session, "answered", data["report"], f"reporter:{reporter_id}", {"chars": len(text)})
    return "relayed"
