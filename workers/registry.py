"""Every job type (reports/queue.py) bound to its entry point (workers/jobs.py): what the composition root hands
the job queue, so work is enqueued by function reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reports import queue
from workers import jobs

ENTRIES: dict[str, Callable[..., Any]] = {
    queue.PROCESS_REPORT.name: jobs.process_report,
    queue.NOTIFY.name: jobs.notify,
    queue.ESCALATE.name: jobs.escalate,
    queue.RECEIPT.name: jobs.receipt,
    queue.APPLY_ACTION.name: jobs.apply_action,
    queue.ANNOUNCE.name: jobs.announce,
    queue.REFUSE.name: jobs.refuse,
    queue.MEMBER_COMMAND.name: jobs.member_command,
    queue.ASK_PROMPT.name: jobs.ask_prompt,
    queue.ASK_FROM_GROUP.name: jobs.ask_from_group,
    queue.RELAY_ANSWER.name: jobs.relay_answer,
    queue.SEND_REPLY.name: jobs.send_reply,
    queue.STATUS_UPDATE.name: jobs.status_update,
    queue.FORGET.name: jobs.forget,
    queue.SUBSCRIBE.name: jobs.subscribe,
    queue.UNSUBSCRIBE.name: jobs.unsubscribe,
    queue.BROADCAST.name: jobs.broadcast,
}
