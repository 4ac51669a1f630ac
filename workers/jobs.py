"""The RQ entry points: plain importable functions that take ids and JSON, fetch the process's Context and call
the code that does the work. Each is idempotent: it may run again after a crash or a retry.

The job types (their ids, retry policies) are declared in reports/queue.py; workers/registry.py binds each
type to the function here.
"""

from __future__ import annotations

from typing import Any

from centres import actions, broadcasts, commands, delivery, escalation, relay, routing
from reporters import outbound, privacy, subscriptions, updates
from reports.context import current
from reports.enums import Action


def process_report(report_id: str) -> list[str]:
    """Resolve, route and store a completed report; queue its alerts."""
    return routing.process_report(current(), report_id)


def notify(delivery_id: str) -> str:
    """Send one alert to one centre channel, once."""
    return delivery.notify_delivery(current(), delivery_id)


def escalate(report_id: str, step: int, due: float) -> str:
    """Alert the next rung of an unacknowledged case."""
    return escalation.escalate(current(), report_id, step, due)


def receipt(channel: str, provider_message_id: str, status: str, error: str) -> bool:
    """Record a provider's delivery receipt."""
    return delivery.record_receipt(current(), channel, provider_message_id, status, error)


def apply_action(ticket: str, action: str, center_id: str, member: dict[str, str], origin: dict[str, Any]) -> str:
    """Apply a member's action from a button and show it on the case's alerts."""
    return str(actions.apply_action(current(), ticket, Action(action), center_id, member, origin))


def announce(ticket: str, action: str, center_id: str, member: dict[str, str], surface: str) -> int:
    """Show an action taken by SMS (or on the web) on the case's chat alerts."""
    return actions.announce(current(), ticket, Action(action), center_id, member, surface)


def refuse(ticket: str, center_id: str, surface: str, who: str, reply_token: str) -> None:
    """Audit an attempt by somebody who is not a member."""
    actions.refuse(current(), ticket, center_id, surface, who, reply_token)


def member_command(command: str, surface: str, account: str, chat: str, argument: str, language: str) -> str:
    """JOIN, /invite, /broadcast sent to the bot."""
    return commands.run(current(), command, surface, account, chat, argument, language)


def ask_prompt(surface: str, chat: dict[str, Any], ticket: str, center_id: str, member: dict[str, str]) -> str:
    """Post the "ask the reporter" prompt in the group."""
    return relay.prompt(current(), surface, chat, ticket, center_id, member)


def ask_from_group(window: dict[str, Any], question: str, origin: dict[str, Any]) -> str:
    """Relay a question typed in the group to the reporter."""
    return relay.ask_from_group(current(), window, question, origin)


def relay_answer(pending: str, reporter_id: str, text: str) -> str:
    """Carry the reporter's answer back to the alert's thread."""
    return relay.answer(current(), pending, reporter_id, text)


def send_reply(message: dict[str, Any]) -> str:
    """Send one message to a person, once."""
    return outbound.send_message(current(), message)


def status_update(report_id: str, status: str) -> str:
    """Tell the reporter their case moved on."""
    return updates.send_status_update(current(), report_id, status)


def forget(pid: str) -> bool:
    """Erase a reporter's contact (FORGET)."""
    return privacy.forget(current(), pid)


def subscribe(pid: str, contact: str, channel: str, language: str, district: str) -> str:
    """Keep a villager's subscription to a centre's news."""
    return subscriptions.subscribe(current(), pid, contact, channel, language, district)


def unsubscribe(pid: str) -> bool:
    """End a villager's news subscription (STOP)."""
    return subscriptions.unsubscribe(current(), pid)


def broadcast(broadcast_id: str) -> str:
    """Send what is due of a broadcast."""
    return broadcasts.send_batch(current(), broadcast_id)
