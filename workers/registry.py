"""Every job type (reports/queue.py) bound to its entry point (workers/jobs.py): what the composition root hands
the job queue, so work is enqueued by function reference. `JobType.runs` makes mypy check that each entry point
takes exactly the arguments its job type is enqueued with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reports import queue
from workers import jobs

ENTRIES: dict[str, Callable[..., Any]] = dict([
    queue.PROCESS_REPORT.runs(jobs.process_report),
    queue.NOTIFY.runs(jobs.notify),
    queue.ESCALATE.runs(jobs.escalate),
    queue.RECEIPT.runs(jobs.receipt),
    queue.APPLY_ACTION.runs(jobs.apply_action),
    queue.ANNOUNCE.runs(jobs.announce),
    queue.REFUSE.runs(jobs.refuse),
    queue.MEMBER_COMMAND.runs(jobs.member_command),
    queue.ASK_PROMPT.runs(jobs.ask_prompt),
    queue.ASK_FROM_GROUP.runs(jobs.ask_from_group),
    queue.RELAY_ANSWER.runs(jobs.relay_answer),
    queue.SEND_REPLY.runs(jobs.send_reply),
    queue.STATUS_UPDATE.runs(jobs.status_update),
    queue.FORGET.runs(jobs.forget),
    queue.SUBSCRIBE.runs(jobs.subscribe),
    queue.UNSUBSCRIBE.runs(jobs.unsubscribe),
    queue.BROADCAST.runs(jobs.broadcast),
])
