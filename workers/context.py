"""What jobs and web handlers share in one process: settings, Redis, the database, centres, gazetteer."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.settings import Settings
from reports.centers import Centers, load_centers
from reports.db import make_engine, make_sessionmaker
from reports.places import Gazetteer, gazetteer


@dataclass
class Context:
    """Connections are made on first use, so a web process that never touches the database opens none."""

    settings: Settings

    @cached_property
    def redis(self) -> Redis:
        """The Redis client (queue and conversation state)."""
        return Redis.from_url(self.settings.redis_url or "redis://127.0.0.1:6379/0", socket_timeout=5,
                              socket_connect_timeout=3, health_check_interval=30)

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
        """The process-wide gazetteer."""
        return gazetteer()


_current: Context | None = None


def get_context() -> Context:
    """The process's context (built from the environment on first use)."""
    global _current
    if _current is None:
        _current = Context(Settings.from_env())
    return _current


def set_context(context: Context | None) -> None:
    """Install a context (tests, the dev runner); None forgets it."""
    global _current
    _current = context
