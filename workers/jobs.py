"""The RQ entry points: plain importable functions that take ids and JSON, fetch the process's Context and call
the code that does the work. Each is idempotent: it may run again after a crash or a retry.

The job types (their ids, retry policies) are declared in reports/queue.py; workers/registry.py binds each
type to the function here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from centres import actions, broadcasts, commands, delivery, escalation, relay, routing
from gateway.channels.sending import NotConfigured
from reporters import outbound, privacy, subscriptions, updates
from reports.centres_file import MemberRef
from reports.context import current
from reports.enums import Action

log = logging.getLogger("ntswatch.jobs")
P = ParamSpec("P")
R = TypeVar("R")


def entry(job: Callable[P, R]) -> Callable[P, R | str]:
    """An entry point: a provider this gateway has no credentials for is one log line and the job ends (retrying
    cannot help), never a traceback per message."""

    @functools.wraps(job)
    def run(*args: P.args, **kwargs: P.kwargs) -> R | str:
        try:
            return job(*args, **kwargs)
        except NotConfigured as exc:
            log.warning("%s: %s", job.__name__, exc)
            return "not configured"

    return run


@entry
def process_report(report_id: str) -> list[str]:
    """Resolve, route and store a completed report; queue its alerts."""
    return routing.process_report(current(), report_id)


@entry
def notify(delivery_id: str) -> str:
    """Send one alert to one centre channel, once."""
    return delivery.notify_delivery(current(), delivery_id)


@entry
def escalate(report_id: str, step: int, due: float) -> str:
    """Alert the next rung of an unacknowledged case."""
    return escalation.escalate(current(), report_id, step, due)


@entry
def receipt(channel: str, provider_message_id: str, status: str, error: str) -> bool:
    """Record a provider's delivery receipt."""
    return delivery.record_receipt(current(), channel, provider_message_id, status, error)


@entry
def apply_action(ticket: str, action: str, center_id: str, member: dict[str, str], origin: dict[str, Any]) -> str:
    """Apply a member's action from a button and show it on the case's alerts."""
    return str(actions.apply_action(current(), ticket, Action(action), center_id, MemberRef.from_json(member), origin))


@entry
def announce(ticket: str, action: str, center_id: str, member: dict[str, str], surface: str) -> int:
    """Show an action taken by SMS (or on the web) on the case's chat alerts."""
    return actions.announce(current(), ticket, Action(action), center_id, MemberRef.from_json(member), surface)


@entry
def refuse(ticket: str, center_id: str, surface: str, who: str, reply_token: str) -> None:
    """Audit an attempt by somebody who is not a member."""
    actions.refuse(current(), ticket, center_id, surface, who, reply_token)


@entry
def member_command(command: str, surface: str, account: str, chat: str, argument: str, language: str) -> str:
    """JOIN, /invite, /broadcast sent to the bot."""
    return commands.run(current(), command, surface, account, chat, argument, language)


@entry
def ask_prompt(surface: str, chat: dict[str, Any], ticket: str, center_id: str, member: dict[str, str]) -> str:
    """Post the "ask the reporter" prompt in the group."""
    return relay.prompt(current(), surface, chat, ticket, center_id, MemberRef.from_json(member))


@entry
def ask_from_group(window: dict[str, Any], question: str, origin: dict[str, Any]) -> str:
    """Relay a question typed in the group to the reporter."""
    return relay.ask_from_group(current(), window, question, origin)


@entry
def relay_answer(pending: str, reporter_id: str, text: str) -> str:
    """Carry the reporter's answer back to the alert's thread."""
    return relay.answer(current(), pending, reporter_id, text)


@entry
def send_reply(message: dict[str, Any]) -> str:
    """Send one message to a person, once."""
    return outbound.send_message(current(), message)


@entry
def status_update(report_id: str, status: str) -> str:
    """Tell the reporter their case moved on (sent from this job; a failed try becomes a send_reply job)."""
    return updates.send_status_update(current(), report_id, status, now=True)


@entry
def forget(pid: str) -> bool:
    """Erase a reporter's contact (FORGET)."""
    return privacy.forget(current(), pid)


@entry
def subscribe(pid: str, contact: str, channel: str, language: str, district: str) -> str:
    """Keep a villager's subscription to a centre's news."""
    return subscriptions.subscribe(current(), pid, contact, channel, language, district)


@entry
def unsubscribe(pid: str) -> bool:
    """End a villager's news subscription (STOP)."""
    return subscriptions.unsubscribe(current(), pid)


@entry
def broadcast(broadcast_id: str) -> str:
    """Send what is due of a broadcast."""
    return broadcasts.send_batch(current(), broadcast_id)
