"""A reporter's FORGET: the conversation and profile are gone at once (flows/engine.py); this erases the
encrypted contact from the database, so nothing left can reach or name them. Reports stay, pseudonymous."""

from __future__ import annotations

from reports import store
from reports.context import Context


def forget(ctx: Context, pid: str) -> bool:
    """Erase the stored contact of reporter `pid` and end their news subscription; True when they were known."""
    with ctx.sessions.begin() as session:
        return store.forget_reporter(session, pid)
