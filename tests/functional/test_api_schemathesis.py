"""The OpenAPI document, fuzzed by schemathesis against the real app over HTTP on PostgreSQL.

The app runs in a werkzeug server thread on a free loopback port, on a throwaway PostgreSQL
database holding a verified couple, two bookable coaches and a personal API token, so the
booking endpoints are exercised past authentication. schemathesis runs every phase with its
default checks, once anonymously and once with the Bearer token; the bar is no failure at
all (no server error, no response outside the document, no schema violation). Bounded by
``--max-examples`` and deterministic generation, so the run is repeatable and short; the
one check tuned for business rules is explained in ``schemathesis.toml``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from coaching import clock, create_app, db
from coaching.accounts.services import create_api_token
from coaching.api.views import openapi_document
from coaching.scheduling import services
from coaching import config
from tests.conftest import truncate_postgres
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

pytestmark = pytest.mark.postgres

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 25


def document_with_free_slots(coach_id: int, starts: list[datetime]) -> dict[str, Any]:
    """The shipped document plus request examples that are free slots right now, so that the
    examples phase books (201), the stateful phase cancels what it booked, and a repeat is a 409."""
    document = openapi_document()
    examples = {f"slot{i}": {"value": {"coach_id": coach_id, "session_type": slug, "start": start.isoformat()}}
                for i, (start, slug) in enumerate(zip(starts, ["consultation", "couples-session"] * len(starts)))}
    document["paths"]["/bookings"]["post"]["requestBody"]["content"]["application/json"]["examples"] = examples
    return document


@pytest.fixture(scope="module")
def served_api(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on PostgreSQL behind a real HTTP server: its base URL, a client's token, and the
    document to test (with bookable examples)."""
    truncate_postgres(postgres_database)
    app = create_app(config.TestConfig(DATABASE_URL=postgres_database, RATELIMIT_ENABLED=False, SLOTS_CACHE_SECONDS=0))
    with app.app_context():
        free = create_session_type("consultation")
        paid = create_session_type("couples-session", price_cents=15000)
        everyday = {d: [(time(0), time(23, 59))] for d in range(7)}
        coach = create_coach("ana.coach@example.com", session_types=[free, paid], hours=everyday)
        create_coach("lee.coach@example.com", timezone="Europe/London", session_types=[free, paid])
        create_couple("sam@example.com", "alex@example.com")
        token = create_api_token(db.session, user_by_email("sam@example.com"), "schemathesis")
        tomorrow = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        found = services.free_slots(db.session, coach.id, free, tomorrow, tomorrow + timedelta(days=2), clock.now())
        starts = [start.astimezone(UTC) for start, _ in found[:6:2]]  # apart, so a hold never blocks the next
        document = tmp_path_factory.mktemp("openapi") / "openapi.json"
        document.write_text(json.dumps(document_with_free_slots(coach.id, starts)))
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", "token": token, "document": document}
    finally:
        server.shutdown()
        thread.join(10)
        truncate_postgres(postgres_database)


def run_schemathesis(served: dict[str, Any], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMATHESIS, "--config-file", str(CONFIG), "run", str(served["document"]),
         "--url", f"{served['url']}/api/v1", "--max-examples", str(MAX_EXAMPLES),
         "--generation-deterministic", "--workers", "1", "--no-color",
         "--request-timeout", "10", *extra],
        capture_output=True, text=True, timeout=280, check=False,
        cwd=served["document"].parent)  # its crash cache (.schemathesis/) stays out of the checkout


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout + result.stderr)[-12000:]


def test_api_document_holds_for_anonymous_callers(served_api):
    result = run_schemathesis(served_api)
    assert result.returncode == 0, _report(result)


def test_api_document_holds_for_a_client_with_a_bearer_token(served_api):
    result = run_schemathesis(served_api, "--header", f"Authorization: Bearer {served_api['token']}")
    assert result.returncode == 0, _report(result)


def test_the_shipped_document_is_the_one_served(served_api):
    import urllib.request

    with urllib.request.urlopen(f"{served_api['url']}/api/v1/openapi.json") as response:  # noqa: S310 - loopback
        served = json.load(response)
    tested = json.loads(served_api["document"].read_text())
    del tested["paths"]["/bookings"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert served == tested
