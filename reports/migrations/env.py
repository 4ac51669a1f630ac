"""Alembic environment: runs on the engine handed over by `reports.db.upgrade` (or DATABASE_URL)."""

from __future__ import annotations

from alembic import context

from gateway.settings import Settings
from reports.db import make_engine
from reports.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand: the database the environment names
    engine = make_engine(Settings.from_env().database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
