"""The OpenAPI document, fuzzed by schemathesis against the real app over HTTP on PostgreSQL.

The app runs in a werkzeug server thread on a free loopback port, on a throwaway PostgreSQL
database holding a verified couple, two bookable coaches and a personal API token, so the
booking endpoints are exercised past authentication. schemathesis runs every phase with its
default checks, once anonymously and once with the Bearer token; the bar is no failure at
all (no server error, no response outside the document, no schema violation). Bounded by
``--max-examples`` and a fixed ``--seed`` so the run is repeatable and takes about a minute.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from coaching import create_app, db
from coaching.accounts.services import create_api_token
from coaching import config
from tests.conftest import truncate_postgres
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

pytestmark = pytest.mark.postgres

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 40
SEED = 20261130


@pytest.fixture(scope="module")
def served_api(postgres_database: str) -> Iterator[dict[str, Any]]:
    """The app on PostgreSQL behind a real HTTP server; yields its base URL and a client's token."""
    truncate_postgres(postgres_database)
    app = create_app(config.TestConfig(DATABASE_URL=postgres_database, RATELIMIT_ENABLED=False, SLOTS_CACHE_SECONDS=0))
    with app.app_context():
        free = create_session_type("consultation")
        paid = create_session_type("couples-session", price_cents=15000)
        everyday = {d: [(time(0), time(23, 59))] for d in range(7)}
        create_coach("ana.coach@example.com", session_types=[free, paid], hours=everyday)
        create_coach("lee.coach@example.com", timezone="Europe/London", session_types=[free, paid])
        create_couple("sam@example.com", "alex@example.com")
        token = create_api_token(db.session, user_by_email("sam@example.com"), "schemathesis")
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", "token": token}
    finally:
        server.shutdown()
        thread.join(10)
        truncate_postgres(postgres_database)


def run_schemathesis(base_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"{base_url}/api/v1/openapi.json", "--max-examples", str(MAX_EXAMPLES),
         "--seed", str(SEED), "--generation-deterministic", "--workers", "1", "--no-color",
         "--request-timeout", "10", *extra],
        capture_output=True, text=True, timeout=240, check=False)


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout + result.stderr)[-12000:]


def test_api_document_holds_for_anonymous_callers(served_api):
    result = run_schemathesis(served_api["url"])
    assert result.returncode == 0, _report(result)


def test_api_document_holds_for_a_client_with_a_bearer_token(served_api):
    result = run_schemathesis(served_api["url"], "--header", f"Authorization: Bearer {served_api['token']}")
    assert result.returncode == 0, _report(result)
