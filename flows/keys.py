"""Redis key names, in one place (all under the `nts:` prefix; none contains a phone number)."""

from __future__ import annotations

TICKET_SEQUENCE = "nts:ticket:seq"
PENDING_REPORTS = "nts:intake:pending"  # sorted set: report id → when queued; removed once processed
SWEEP_LOCK = "nts:sweep:lock"


def conversation(pid: str) -> str:
    """The open conversation of a reporter (JSON)."""
    return f"nts:conv:{pid}"


def profile(pid: str) -> str:
    """A reporter's remembered language and choices (hash)."""
    return f"nts:profile:{pid}"


def intake(report_id: str) -> str:
    """A completed report waiting for the worker (JSON)."""
    return f"nts:intake:{report_id}"


def ticket(ticket_no: str) -> str:
    """The status of a ticket, answered to STATUS without a database call."""
    return f"nts:ticket:{ticket_no}"


def dedup(channel: str, provider_id: str) -> str:
    """Seen-marker of a provider message id, holding the reply given to it."""
    return f"nts:dedup:{channel}:{provider_id}"


def sending(delivery_id: str) -> str:
    """Claim held while one worker sends one delivery (outbound dedup guard)."""
    return f"nts:sending:{delivery_id}"


def processing(report_id: str) -> str:
    """Held while a worker processes a report; missing on a started job means its worker died."""
    return f"nts:processing:{report_id}"


def relay(pid: str) -> str:
    """A centre's question waiting for this reporter's answer (workers/relay.py)."""
    return f"nts:relay:{pid}"


def asking(surface: str, chat: str, user: str) -> str:
    """A member pressed "ask the reporter" in a group: their next message there is the question."""
    return f"nts:asking:{surface}:{chat}:{user}"


def ask_prompt(chat: str, message_id: str) -> str:
    """The Telegram "ask the reporter" prompt a member may reply to with their question."""
    return f"nts:askprompt:{chat}:{message_id}"
