"""Per-app objects (context, engine) kept in `app.extensions`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import current_app

from flows.engine import Engine
from gateway.channels.base import ChannelContext
from gateway.spool import Spool
from reports.context import Context


@dataclass
class AppState:
    """The context and the conversation engine of one Flask app."""

    ctx: Context

    @cached_property
    def engine(self) -> Engine:
        """The engine (made on first use: the gazetteer loads once per process)."""
        return Engine.for_context(self.ctx)

    @cached_property
    def transport(self) -> ChannelContext:
        """What the channels may use: the settings and Redis."""
        return ChannelContext(self.ctx.settings, self.ctx.redis)

    @cached_property
    def spool(self) -> Spool:
        """Where messages go while Redis is unreachable."""
        return Spool(self.ctx.settings.spool_path(), self.ctx.settings.secret_key)


def app_state() -> AppState:
    """The state of the current app."""
    state: AppState = current_app.extensions["ntswatch"]
    return state
