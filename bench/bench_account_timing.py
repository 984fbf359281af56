"""Register and forgot: median answer time for a known email versus a new (unknown) one.

The two should be about equal (issue 9: they differed by argon2's cost). Runs in-process
through Flask's test client on SQLite with the production argon2id parameters; the two
kinds of request are interleaved so that drift on a busy machine hits both alike.
"""

from __future__ import annotations

import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from alembic import command  # noqa: E402

from coaching import clock, create_app, db  # noqa: E402
from coaching.accounts import passwords  # noqa: E402
from coaching.accounts.models import Role, User  # noqa: E402
from coaching.cli import alembic_config  # noqa: E402
from coaching.config import TestConfig  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 15))
PASSWORD = "correct horse battery"
KNOWN = "known@example.com"


def migrated(url: str) -> str:
    cfg = alembic_config(url)
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "heads")
    return url


def timed_post(app, path: str, data: dict[str, str]) -> float:  # type: ignore[no-untyped-def]
    client = app.test_client()
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    started = time.perf_counter()
    response = client.post(path, data={**data, "csrf_token": token})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


def line(name: str, timings: list[float]) -> None:
    print(f"{name:<44} median {statistics.median(timings) * 1000:>8.1f} ms  "
          f"(min {min(timings) * 1000:.1f}, max {max(timings) * 1000:.1f}, n={len(timings)})", flush=True)


def main() -> None:
    logging.getLogger("tandem.mail").setLevel(logging.ERROR)  # emails go to the log otherwise
    logging.getLogger("huey").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = migrated(f"sqlite:///{Path(tmp) / 'bench.db'}")
        app = create_app(TestConfig(DATABASE_URL=url, RATELIMIT_ENABLED=False, PASSWORD_HASH_FAST=False))
        passwords.use_fast_hashing(False)
        with app.app_context():
            db.session.add(User(email=KNOWN, name="Known", role=Role.CLIENT, email_verified_at=clock.now(),
                                password_hash=passwords.hash_password(PASSWORD)))
            db.session.commit()
        form = {"name": "Robin", "password": PASSWORD, "timezone": "Europe/London"}
        timed_post(app, "/account/register", {**form, "email": "warm-up@example.com"})
        timings: dict[str, list[float]] = {k: [] for k in ("reg-known", "reg-new", "fgt-known", "fgt-unknown")}
        for n in range(ROUNDS):
            timings["reg-known"].append(timed_post(app, "/account/register", {**form, "email": KNOWN}))
            timings["reg-new"].append(timed_post(app, "/account/register", {**form, "email": f"new{n}@example.com"}))
            timings["fgt-known"].append(timed_post(app, "/account/forgot", {"email": KNOWN}))
            timings["fgt-unknown"].append(timed_post(app, "/account/forgot", {"email": f"ghost{n}@example.com"}))
        line("POST /account/register, known email", timings["reg-known"])
        line("POST /account/register, new email", timings["reg-new"])
        line("POST /account/forgot, known email", timings["fgt-known"])
        line("POST /account/forgot, unknown email", timings["fgt-unknown"])


if __name__ == "__main__":
    main()
