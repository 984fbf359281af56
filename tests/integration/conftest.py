"""Integration tests run twice: on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sqlite_url, truncate_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(sqlite_template, tmp_path)
    url = request.getfixturevalue("postgres_database")
    truncate_postgres(url)
    return url
