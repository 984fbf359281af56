"""Alembic environment: targets ``coaching.db.Base.metadata``."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

from coaching import models  # noqa: F401  (registers every table)
from coaching.config import INSTANCE
from coaching.db import Base, make_engine

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    INSTANCE.mkdir(parents=True, exist_ok=True)
    return os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'tandem.db'}"


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Objects made by raw SQL in migrations (PostgreSQL exclusion constraints and the
    # SQLite triggers that stand in for them) are not in the models; don't drop them.
    if type_ == "table" and name == "sqlite_sequence":
        return False
    return True


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
