"""A throwaway PostgreSQL database for a benchmark: created, migrated to head, dropped after."""

from __future__ import annotations

import os
import uuid
from typing import Any

from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("TANDEM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def create_database() -> tuple[Any, str, str]:
    """Create and migrate a new database; return (admin engine, name, URL) for ``drop_database``."""
    from alembic import command

    from coaching.cli import alembic_config

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"tandem_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        cfg = alembic_config(url)
        cfg.attributes["skip_logging"] = True
        command.upgrade(cfg, "heads")
    except BaseException:
        drop_database(admin, name)
        raise
    return admin, name, url


def drop_database(admin: Any, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
