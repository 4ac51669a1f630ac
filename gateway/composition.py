"""The composition root: one Context per process, built here and installed, for the web app, the worker, the
Telegram bot and every CLI command alike. It binds the job queue to the workers' entry points, so code
anywhere can enqueue a job by its type and the queue runs the right function."""

from __future__ import annotations

from gateway.settings import Settings
from reports.context import Context, install
from workers.registry import ENTRIES


def build_context(settings: Settings | None = None) -> Context:
    """A Context for this process (from the environment unless `settings` are given), installed as current."""
    context = Context(settings or Settings.from_env(), job_entries=ENTRIES)
    install(context)
    return context
