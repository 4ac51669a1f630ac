"""What every process shares: settings, Redis, the database, the centres file, the gazetteer, the job queue.

The composition root (`gateway/composition.py`) builds one Context per process and installs it; the web
app, the worker, the bot and the CLI all use that one. Helpers receive it as an argument; RQ jobs, which
receive only ids, ask for the installed one with `current()`. Nothing builds a second Context from the
environment on the side: `current()` without an installed one is a programming error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.settings import Settings
from reports.centres_file import Centers, load_centers
from reports.db import make_engine, make_sessionmaker
from reports.places import Gazetteer, gazetteer
from reports.queue import JobQueue

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class Context:
    """Connections are made on first use, so a process that never touches the database opens none."""

    settings: Settings
    # job name -> entry function (workers/registry.py), bound by the composition root
    job_entries: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    def _redis(self, decode: bool) -> Redis:
        return Redis.from_url(self.settings.redis_url or DEFAULT_REDIS, socket_timeout=5, socket_connect_timeout=3,
                              health_check_interval=30, decode_responses=decode)

    @cached_property
    def redis(self) -> Redis:
        """The Redis client for the gateway's own keys (responses decoded to str)."""
        return self._redis(decode=True)

    @cached_property
    def jobs(self) -> JobQueue:
        """The work queue. RQ needs a connection that returns bytes, hence its own client."""
        return JobQueue(self._redis(decode=False), self.job_entries)

    @cached_property
    def engine(self) -> Engine:
        """The SQLAlchemy engine."""
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory."""
        return make_sessionmaker(self.engine)

    @cached_property
    def centers(self) -> Centers:
        """The centres file."""
        return load_centers(self.settings.centers_path())

    @property
    def gazetteer(self) -> Gazetteer:
        """The process-wide gazetteer (loaded once, on first use)."""
        return gazetteer()

    def close(self) -> None:
        """Release the connections this context opened."""
        for name in ("redis",):
            if name in self.__dict__:
                self.__dict__[name].close()
        if "jobs" in self.__dict__:
            self.jobs.redis.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


_installed: Context | None = None


def install(context: Context | None) -> None:
    """Make `context` the process's context (the composition root, and tests); None forgets it."""
    global _installed
    _installed = context


def installed() -> Context | None:
    """The installed context, if any (the CLI reuses one a test or a parent installed)."""
    return _installed


def current() -> Context:
    """The context the composition root installed in this process."""
    if _installed is None:
        raise RuntimeError("no Context installed: start the process through gateway.composition.build_context")
    return _installed
