"""Second factor: what it costs per request and per sign-in (PostgreSQL, in-process test client).

- every request of a signed-in person: the user loader asks "does this person need a second
  factor?" only for a sign-in that has not passed one (a client with it off: one primary-key
  SELECT); compared with the same page for a client whose sign-in passed it (no extra query);
- the code step itself (decrypt the key, three HMACs, the conditional UPDATEs, a new secret),
  compared with the password step (argon2id) in the same run.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from sqlalchemy import event, update  # noqa: E402

from bench.throwaway_db import create_database, drop_database  # noqa: E402
from coaching import clock, create_app, db  # noqa: E402
from coaching.accounts import passwords  # noqa: E402
from coaching.accounts.models import Role, User  # noqa: E402
from coaching.config import TestConfig  # noqa: E402
from coaching.twofactor import services, totp  # noqa: E402
from coaching.twofactor.models import SecondFactor  # noqa: E402

PASSWORD = "bench password 2fa"
RUNS = 300
SIGN_INS = 30


def csrf(client, path: str = "/account/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def main() -> int:
    admin, name, url = create_database()
    try:
        app = create_app(TestConfig(DATABASE_URL=url, RATELIMIT_ENABLED=False, PASSWORD_HASH_FAST=False))
        passwords.use_fast_hashing(False)
        with app.app_context():
            for email, role in (("plain@example.com", Role.CLIENT), ("otp@example.com", Role.CLIENT),
                                ("coach@example.com", Role.COACH)):
                db.session.add(User(email=email, name=email, role=role, email_verified_at=clock.now(),
                                    password_hash=passwords.hash_password(PASSWORD)))
            db.session.commit()
            secrets = {u.email: services.enrol_directly(db.session, u)
                       for u in db.session.query(User).filter(User.email != "plain@example.com")}
        statements: list[str] = []
        event.listen(db.get_engine(), "before_cursor_execute", lambda *a: statements.append(a[2]))

        def sign_in(email: str):
            client = app.test_client()
            started = time.perf_counter()
            response = client.post("/account/login", data={"email": email, "password": PASSWORD,
                                                           "csrf_token": csrf(client)})
            password_ms = (time.perf_counter() - started) * 1000
            code_ms = None
            if response.headers["Location"].startswith("/account/two-factor/verify"):
                with app.app_context():
                    db.session.execute(update(SecondFactor).values(last_step=None))
                    db.session.commit()
                token = csrf(client, "/account/two-factor/verify")
                started = time.perf_counter()
                response = client.post("/account/two-factor/verify", data={
                    "code": totp.code_at(secrets[email], clock.now()), "csrf_token": token})
                code_ms = (time.perf_counter() - started) * 1000
                assert response.status_code == 302, response.status_code
            return client, password_ms, code_ms

        def page(client) -> tuple[float, float]:
            for _ in range(20):
                client.get("/account/settings")
            times, counts = [], []
            for _ in range(RUNS):
                statements.clear()
                started = time.perf_counter()
                assert client.get("/account/settings").status_code == 200
                times.append((time.perf_counter() - started) * 1000)
                counts.append(len(statements))
            return statistics.median(times), statistics.median(counts)

        plain, _, _ = sign_in("plain@example.com")
        otp, _, _ = sign_in("otp@example.com")
        plain_ms, plain_q = page(plain)
        otp_ms, otp_q = page(otp)
        print(f"GET /account/settings, {RUNS} runs each (median):")
        print(f"  client, two-step sign-in off:          {plain_ms:.2f} ms, {plain_q:.0f} SQL statements")
        print(f"  client, sign-in passed the code step:  {otp_ms:.2f} ms, {otp_q:.0f} SQL statements"
              f"  (off/passed ratio {plain_ms / otp_ms:.2f})")
        password_times, code_times = [], []
        for _ in range(SIGN_INS):
            _c, p, c = sign_in("coach@example.com")
            password_times.append(p)
            code_times.append(c)
        p, c = statistics.median(password_times), statistics.median(code_times)
        print(f"Coach sign-in, {SIGN_INS} runs (median): password step {p:.1f} ms (argon2id defaults), "
              f"code step {c:.1f} ms (ratio code/password {c / p:.2f})")
    finally:
        db.session.remove()
        if db._engine is not None:
            db._engine.dispose()
        drop_database(admin, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
