"""Integration tests run twice: on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from werkzeug.serving import make_server

from tests.conftest import sqlite_url, truncate_postgres
from tests.smtp import free_port


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(sqlite_template, tmp_path)
    url = request.getfixturevalue("postgres_database")
    truncate_postgres(url)
    return url


@pytest.fixture
def server(app: Any, frozen_clock: Any) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port (for racing clients); its base URL."""
    port = free_port()
    srv = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    srv.shutdown()
    thread.join(timeout=10)
