"""Tokens in URLs never reach the access log: werkzeug's and gunicorn's, request line and Referer."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from coaching.access_log import REDACTED, is_secret_name
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "S3CRETvalue_abc-123"
KNOWN_TOKEN_ROUTES = {"/account/verify/<token>", "/account/reset/<token>", "/intake/join/<token>",
                      "/intake/join/<token>/register", "/bookings/manage/<token>"}


def secret_routes(app: Any) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules()
            if any(is_secret_name(arg) for arg in rule.arguments)]


def example_path(rule: Any) -> str:
    """The rule's path with the secret in every secret variable and 1 elsewhere."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>",
                  lambda m: SECRET if is_secret_name(m.group(1)) else "1",
                  rule.rule)


def test_every_route_with_a_token_in_its_path_is_redacted_in_the_access_log(app: Any, caplog: Any) -> None:
    rules = secret_routes(app)
    assert KNOWN_TOKEN_ROUTES <= {rule.rule for rule in rules}
    caplog.set_level(logging.INFO, logger="werkzeug")
    for rule in rules:
        path = example_path(rule)
        logging.getLogger("werkzeug").info('%s - - [date] "%s" %s %s', "127.0.0.1", f"GET {path} HTTP/1.1", 200, "-")
    assert len(caplog.records) == len(rules)
    for record in caplog.records:
        assert SECRET not in record.getMessage() and REDACTED in record.getMessage()


def test_token_query_parameters_are_redacted_and_other_lines_are_left_alone(app: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    log = logging.getLogger("werkzeug")
    log.info('"%s" %s', f"GET /payments/done?session_id=cs_1&token={SECRET}&api_key={SECRET} HTTP/1.1", 200)
    log.info('"%s" %s', "GET /book/3/consultation?start=2026-11-03 HTTP/1.1", 200)
    first, second = (r.getMessage() for r in caplog.records)
    assert SECRET not in first and "session_id=cs_1" in first and f"token={REDACTED}" in first
    assert second == '"GET /book/3/consultation?start=2026-11-03 HTTP/1.1" 200'


def test_werkzeug_server_access_lines_carry_no_token(app: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in (f"/account/reset/{SECRET}", f"/intake/join/{SECRET}/register", f"/account/verify/{SECRET}"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}?token={SECRET}", timeout=10)
            except urllib.error.HTTPError:
                pass  # redirects and 4xx are fine: only the log line matters
    finally:
        server.shutdown()
        thread.join(10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug" and "HTTP/1.1" in r.getMessage()]
    assert len(lines) >= 3, lines
    assert all(SECRET not in line for line in lines), lines
    assert any(f"/account/reset/{REDACTED}" in line for line in lines), lines


def test_gunicorn_access_log_carries_no_token_in_the_request_line_or_referer(
        database_url: str, tmp_path: Path) -> None:
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TANDEM_TASKS")}
    env.update({"DATABASE_URL": database_url, "SECRET_KEY": "s" * 40, "TANDEM_TASKS": "inline",
                "HUEY_SQLITE_PATH": str(tmp_path / "huey.db")})
    # The repository's production configuration (its log format writes the Referer too).
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "1",
                               "-b", f"127.0.0.1:{port}", "--access-logfile", str(access_log), "app:app"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/bookings/manage/{SECRET}?token={SECRET}",
                                         headers={"Referer": f"http://127.0.0.1:{port}/intake/join/{SECRET}"})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError:
            pass
        deadline = time.monotonic() + 10
        while "/bookings/manage/" not in access_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    logged = access_log.read_text()
    assert "/bookings/manage/" in logged, output[-3000:]
    assert SECRET not in logged, logged
    assert f"/intake/join/{REDACTED}" in logged
