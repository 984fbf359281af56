"""The security baseline through HTTP: CSRF, headers, error pages, cookies, roles, tokens.

The CSRF and role checks walk ``app.url_map``, so routes that features add later are
covered without editing this file.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import abort, jsonify
from flask_login import current_user
from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter, Rule, UUIDConverter

from coaching import clock, create_app, db
from coaching.accounts import tokens
from coaching.accounts.models import Role, User
from coaching import config as config_module
from coaching.notify.models import OutboxMessage
from tests.mail import SentEmail, sent_emails
from tests.conftest import PASSWORD, csrf_token, login

CSRF_EXEMPT = {"/webhooks/stripe"}  # Stripe signs its webhooks; nothing else is exempt
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "This form has expired or was not sent from Tandem"
STACK_TRACE = re.compile(r"Traceback|File &#34;|File \"|\.py\", line|werkzeug\.|sqlalchemy\.", re.I)


# --- helpers ---------------------------------------------------------------------------------


def sample_urls(app: Any, rule: Rule) -> list[str]:
    """URLs matching ``rule``, with placeholder values (every choice of an ``any(...)`` part)."""
    choices: dict[str, list[Any]] = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)  # noqa: SLF001 - werkzeug keeps converters here
        if isinstance(converter, IntegerConverter):
            choices[name] = [1]
        elif isinstance(converter, UUIDConverter):
            choices[name] = [uuid.uuid4()]
        elif isinstance(converter, AnyConverter):
            choices[name] = sorted(converter.items)
        else:
            choices[name] = ["x"]
    adapter = app.url_map.bind("localhost")
    method = sorted(rule.methods or {"GET"})[0]
    return [adapter.build(rule.endpoint, dict(zip(choices, combo)), method=method)
            for combo in itertools.product(*choices.values())]


def write_rules(app: Any) -> list[tuple[Rule, str]]:
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted((rule.methods or set()) & WRITE_METHODS)]


def security_headers_problems(response: Any, production: bool = False) -> list[str]:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    problems = []
    if "frame-ancestors 'none'" not in csp:
        problems.append("CSP lacks frame-ancestors 'none'")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append("CSP allows inline code")
    if "script-src 'self'" not in csp and "default-src 'self'" not in csp:
        problems.append("CSP does not restrict scripts")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not h.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    hsts = h.get("Strict-Transport-Security")
    if production and not (hsts and "max-age=" in hsts):
        problems.append("no HSTS in production")
    if not production and hsts:
        problems.append("HSTS outside production")
    return problems


@pytest.fixture
def probes(app: Any) -> Any:
    """Test-only routes on the test app: forced errors, and a write route inside the API blueprint."""

    def boom() -> Any:
        raise RuntimeError("secret internal detail 7f3a")

    def status(code: int) -> Any:
        abort(code)

    def api_write() -> Any:
        if not current_user.is_authenticated:
            abort(401)
        return jsonify(ok=True)

    app.add_url_rule("/_test/boom", "_test_boom", boom)
    app.add_url_rule("/_test/status/<int:code>", "_test_status", status)
    app.add_url_rule("/api/_test/boom", "_test_api_boom", boom)
    # An endpoint named "api.*" belongs to the API blueprint: its CSRF rule applies to it.
    app.add_url_rule("/api/v1/_test/write", "api._test_write", api_write, methods=["POST"])
    return app


@pytest.fixture
def production_app(database_url: str) -> Iterator[Any]:
    application = create_app(config_module.TestConfig(env={"TANDEM_ENV": "production"}, DATABASE_URL=database_url,
                                         RATELIMIT_ENABLED=False))
    yield application
    db.session.remove()
    clock.set_source(None)


# --- CSRF ------------------------------------------------------------------------------------


def test_there_are_write_routes_to_check(app: Any) -> None:
    paths = {rule.rule for rule, _ in write_rules(app)}
    assert {"/account/login", "/account/register", "/account/logout", "/account/settings"} <= paths


@pytest.mark.parametrize("who", ["anonymous", "admin", "client"])
def test_every_write_route_rejects_a_request_without_a_csrf_token(
        app: Any, client: Any, create_user: Any, login_as: Any, who: str) -> None:
    if who != "anonymous":
        login_as(create_user(role=Role.ADMIN if who == "admin" else Role.CLIENT))
    accepted = []
    for rule, method in write_rules(app):
        if rule.rule in CSRF_EXEMPT:
            continue
        for url in sample_urls(app, rule):
            response = client.open(url, method=method, data={"email": "x@example.com", "name": "x"})
            if rule.rule.startswith("/api/") and who == "anonymous" and response.status_code == 401:
                continue  # no session, no ambient authority: the API refuses without asking for CSRF
            if response.status_code != 400 or CSRF_MESSAGE not in response.get_data(as_text=True):
                accepted.append(f"{method} {url} -> {response.status_code}")
    assert accepted == [], "write routes that did not refuse a missing CSRF token"


def test_a_refused_form_changes_nothing(app: Any, client: Any, create_user: Any, login_as: Any) -> None:
    client.post("/account/register", data={"name": "Eve", "email": "eve@example.com", "password": PASSWORD,
                                           "timezone": "UTC"})
    user = create_user()
    login_as(user)
    client.post("/account/settings", data={"current": PASSWORD, "password": "p" * 20, "confirm": "p" * 20})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert login(app.test_client(), user.email, PASSWORD).status_code == 302  # password unchanged


def test_a_csrf_token_from_another_session_is_refused(app: Any, client: Any, create_user: Any) -> None:
    user = create_user()
    foreign = csrf_token(app.test_client())
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD,
                                                   "csrf_token": foreign})
    assert response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)


def test_logging_out_needs_a_post_with_a_token(app: Any, client: Any, create_user: Any, login_as: Any) -> None:
    login_as(create_user())
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400
    assert client.get("/account/settings").status_code == 200  # still logged in


def test_api_writes_with_a_cookie_session_need_the_csrf_header(
        probes: Any, client: Any, create_user: Any, login_as: Any) -> None:
    login_as(create_user())
    refused = client.post("/api/v1/_test/write", json={})
    assert refused.status_code == 400
    assert refused.is_json and "error" in refused.get_json()
    allowed = client.post("/api/v1/_test/write", json={}, headers={"X-CSRFToken": csrf_token(client, "/account/settings")})
    assert allowed.status_code == 200, allowed.get_data(as_text=True)


def test_api_writes_with_a_bearer_token_need_no_csrf_header(
        app: Any, probes: Any, create_user: Any) -> None:
    from coaching.accounts.services import create_api_token

    user = create_user()
    with app.app_context():
        token = create_api_token(db.session, db.session.get(User, user.id), "test")
    client = app.test_client()
    assert client.post("/api/v1/_test/write", json={}, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    forged = client.post("/api/v1/_test/write", json={}, headers={"Authorization": "Bearer tdm_forged"})
    assert forged.status_code == 401


def test_every_api_write_route_refuses_a_cookie_session_without_the_header(
        app: Any, client: Any, create_user: Any, login_as: Any) -> None:
    login_as(create_user())
    accepted = []
    for rule, method in write_rules(app):
        if not rule.rule.startswith("/api/"):
            continue
        for url in sample_urls(app, rule):
            response = client.open(url, method=method, json={})
            if response.status_code != 400:
                accepted.append(f"{method} {url} -> {response.status_code}")
    assert accepted == []


# --- headers ---------------------------------------------------------------------------------


def response_kinds(client: Any) -> dict[str, Any]:
    return {
        "page": client.get("/"),
        "form page": client.get("/account/login"),
        "redirect": client.get("/home"),
        "404 page": client.get("/no/such/page"),
        "405 page": client.put("/"),
        "csrf 400 page": client.post("/account/login"),
        "500 page": client.get("/_test/boom"),
        "static file": client.get("/static/css/tandem.css"),
        "json": client.get("/healthz"),
        "json error": client.get("/api/_test/boom"),
        "api 404": client.get("/api/v1/no-such-thing"),
    }


def test_security_headers_are_on_every_kind_of_response(probes: Any, client: Any) -> None:
    kinds = response_kinds(client)
    assert kinds["redirect"].status_code == 302 and kinds["static file"].status_code == 200
    problems = {kind: security_headers_problems(r) for kind, r in kinds.items()}
    assert {k: v for k, v in problems.items() if v} == {}


def test_production_adds_hsts_to_every_kind_of_response(production_app: Any) -> None:
    def boom() -> Any:
        raise RuntimeError("boom")

    production_app.add_url_rule("/_test/boom", "_test_boom", boom)
    production_app.add_url_rule("/api/_test/boom", "_test_api_boom", boom)
    client = production_app.test_client()
    problems = {kind: security_headers_problems(r, production=True) for kind, r in response_kinds(client).items()}
    assert {k: v for k, v in problems.items() if v} == {}


def test_authenticated_pages_are_not_stored_by_caches(client: Any, create_user: Any, login_as: Any) -> None:
    login_as(create_user())
    for path in ("/home", "/account/settings", "/", "/coaches"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path


def test_account_pages_are_not_stored_even_before_logging_in(client: Any) -> None:
    assert "no-store" in client.get("/account/login").headers.get("Cache-Control", "")


# --- error pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "title"), [
    (400, "Something in that request was not right"),
    (403, "You can&#39;t open this page"),
    (404, "Page not found"),
    (409, "That changed in the meantime"),
    (413, "That is too large"),
    (429, "Too many attempts"),
    (500, "Something went wrong on our side"),
])
def test_errors_get_a_friendly_page(probes: Any, client: Any, code: int, title: str) -> None:
    response = client.get(f"/_test/status/{code}")
    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert title in body and f"Error {code}" in body
    assert 'href="/"' in body  # a way back
    assert not STACK_TRACE.search(body)


def test_an_unexpected_exception_shows_the_friendly_500_page_and_is_logged(
        probes: Any, client: Any, caplog: pytest.LogCaptureFixture) -> None:
    response = client.get("/_test/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "secret internal detail" not in body and not STACK_TRACE.search(body)
    assert any("secret internal detail 7f3a" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_an_unexpected_exception_under_the_api_is_a_json_500_without_detail(probes: Any, client: Any) -> None:
    response = client.get("/api/_test/boom")
    assert response.status_code == 500 and response.is_json
    body = response.get_data(as_text=True)
    assert "secret internal detail" not in body and not STACK_TRACE.search(body)


def test_real_errors_reach_their_friendly_pages(client: Any, create_user: Any, login_as: Any) -> None:
    assert "Page not found" in client.get("/nope").get_data(as_text=True)
    bad = client.post("/account/login", data={"email": "a@example.com"})
    assert bad.status_code == 400 and CSRF_MESSAGE in bad.get_data(as_text=True)
    login_as(create_user())
    forbidden = client.get("/admin/")
    assert forbidden.status_code == 403 and "You can&#39;t open this page" in forbidden.get_data(as_text=True)


def test_a_request_body_over_the_limit_is_refused_with_413(app: Any, client: Any) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert 0 < limit <= 16 * 1024 * 1024
    response = client.post("/account/login", data={"email": "a@example.com", "password": "x" * (limit + 1)})
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "That is too large" in body and not STACK_TRACE.search(body)
    assert client.post("/account/register", data={"file": (__import__("io").BytesIO(b"x" * (limit + 1)), "big.bin")},
                       content_type="multipart/form-data").status_code == 413


# --- cookies ---------------------------------------------------------------------------------


def session_cookie_header(response: Any, name: str) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    return header


def test_session_cookie_is_httponly_and_samesite_lax(app: Any, client: Any, create_user: Any) -> None:
    user = create_user()
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y",
                                                   "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    for name in (app.config["SESSION_COOKIE_NAME"], "remember_token"):
        header = session_cookie_header(response, name)
        assert "HttpOnly" in header and "SameSite=Lax" in header, header
        assert "Secure" not in header  # plain http in development


def test_session_cookie_is_secure_in_production(production_app: Any, create_user: Any) -> None:
    client = production_app.test_client()
    response = client.get("/account/login")
    header = session_cookie_header(response, production_app.config["SESSION_COOKIE_NAME"])
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


# --- roles -----------------------------------------------------------------------------------


def get_rules_under(app: Any, prefix: str) -> list[str]:
    return sorted({url for rule in app.url_map.iter_rules()
                   if (rule.rule == prefix or rule.rule.startswith(prefix + "/")) and "GET" in (rule.methods or ())
                   for url in sample_urls(app, rule)})


@pytest.mark.parametrize(("role", "prefix"), [
    (Role.CLIENT, "/admin"), (Role.COACH, "/admin"), (Role.CLIENT, "/coach"),
])
def test_a_role_cannot_open_another_roles_pages(
        app: Any, client: Any, create_user: Any, login_as: Any, role: Role, prefix: str) -> None:
    login_as(create_user(role=role))
    paths = get_rules_under(app, prefix)
    assert paths, prefix
    opened = [f"{p} -> {r.status_code}" for p in paths if (r := client.get(p)).status_code not in (403, 404)]
    assert opened == []
    assert client.get(prefix + "/" if prefix == "/admin" else prefix).status_code == 403


@pytest.mark.parametrize("prefix", ["/admin", "/coach"])
def test_anonymous_visitors_are_sent_to_log_in(app: Any, client: Any, prefix: str) -> None:
    for path in get_rules_under(app, prefix):
        response = client.get(path)
        assert response.status_code in (302, 404), path
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/account/login"), path


def test_each_role_opens_its_own_home(client: Any, create_user: Any, login_as: Any, app: Any) -> None:
    for role, path in ((Role.ADMIN, "/admin/"), (Role.COACH, "/coach"), (Role.CLIENT, "/home")):
        c = app.test_client()
        assert login(c, create_user(role=role).email).status_code == 302
        assert c.get(path).status_code == 200, role


def test_a_deactivated_user_is_logged_out_at_once(app: Any, client: Any, create_user: Any, login_as: Any) -> None:
    user = create_user()
    login_as(user)
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    assert client.get("/account/settings").status_code == 302


# --- enumeration -----------------------------------------------------------------------------


def clean(html: str) -> str:
    return re.sub(r'value="[^"]*"', "", html)


def test_unverified_account_with_a_wrong_password_answers_like_an_unknown_email(
        app: Any, client: Any, create_user: Any) -> None:
    user = create_user(verified=False)
    wrong = login(client, user.email, "not the password").get_data(as_text=True)
    unknown = login(client, "nobody@example.com", "not the password").get_data(as_text=True)
    assert clean(wrong) == clean(unknown)
    with app.app_context():  # no new verification link either: that would reveal the account
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_deactivated_account_answers_like_an_unknown_email(app: Any, client: Any, create_user: Any) -> None:
    user = create_user()
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    gone = login(client, user.email)
    unknown = login(client, "nobody@example.com")
    assert gone.status_code == unknown.status_code == 200
    assert clean(gone.get_data(as_text=True)) == clean(unknown.get_data(as_text=True))
    client.post("/account/forgot", data={"email": user.email, "csrf_token": csrf_token(client, "/account/forgot")})
    with app.app_context():  # what an unknown email gets: a "no login here" note, no reset link
        assert db.session.scalars(select(OutboxMessage.kind)).all() == ["reset_unknown"]


def test_register_answers_the_same_status_and_headers_for_known_and_unknown_emails(
        client: Any, create_user: Any) -> None:
    create_user("taken@example.com")

    def register(email: str) -> Any:
        return client.post("/account/register", data={"name": "R", "email": email, "password": PASSWORD,
                                                      "timezone": "UTC",
                                                      "csrf_token": csrf_token(client, "/account/register")})

    known, unknown = register("taken@example.com"), register("fresh@example.com")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    same_headers = ("Content-Type", "Cache-Control", "Set-Cookie")
    assert [known.headers.get(h) is None for h in same_headers] == [unknown.headers.get(h) is None for h in same_headers]


# --- email tokens ----------------------------------------------------------------------------


def last_email(app: Any, address: str) -> SentEmail:
    with app.app_context():
        return sent_emails(to=address)[-1]


def link_path(message: SentEmail, path: str) -> str:
    match = re.search(r"https?://[^\s/]+(" + re.escape(path) + r"[^\s]+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def request_reset(app: Any, client: Any, email: str) -> str:
    client.post("/account/forgot", data={"email": email, "csrf_token": csrf_token(client, "/account/forgot")})
    return link_path(last_email(app, email), "/account/reset/")


@pytest.fixture
def token_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Moves itsdangerous' idea of now: ``token_clock.shift = seconds``."""
    real = TimestampSigner.get_timestamp

    class Shift:
        shift = 0

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + Shift.shift)
    return Shift


def test_a_reset_link_works_until_it_expires(app: Any, client: Any, create_user: Any, token_clock: Any) -> None:
    user = create_user()
    path = request_reset(app, client, user.email)
    max_age = app.config["RESET_TOKEN_MAX_AGE"]
    token_clock.shift = max_age - 5
    assert client.get(path).status_code == 200
    token_clock.shift = max_age + 5
    expired = client.get(path)
    assert expired.status_code == 302 and expired.headers["Location"] == "/account/forgot"
    assert "invalid, used or expired" in client.get("/account/forgot").get_data(as_text=True)
    response = client.post(path, data={"password": "a brand new password", "confirm": "a brand new password",
                                       "csrf_token": csrf_token(client, "/account/forgot")})
    assert response.status_code == 302 and response.headers["Location"] == "/account/forgot"
    assert login(app.test_client(), user.email, PASSWORD).status_code == 302  # password unchanged


def test_using_one_reset_link_voids_every_other_outstanding_link(
        app: Any, client: Any, create_user: Any, token_clock: Any) -> None:
    user = create_user()
    first = request_reset(app, client, user.email)
    token_clock.shift = 60  # a second request, a minute later
    second = request_reset(app, client, user.email)
    assert first != second
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    assert client.post(second, data={**form, "csrf_token": csrf_token(client, second)}).status_code == 302
    assert client.get(first).headers.get("Location") == "/account/forgot"
    assert client.get(second).headers.get("Location") == "/account/forgot"


def test_a_reset_link_ends_sessions_opened_with_the_old_password(app: Any, create_user: Any) -> None:
    user = create_user()
    victim_session = app.test_client()
    assert login(victim_session, user.email).status_code == 302
    client = app.test_client()
    path = request_reset(app, client, user.email)
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    assert client.post(path, data={**form, "csrf_token": csrf_token(client, path)}).status_code == 302
    assert victim_session.get("/account/settings").status_code == 302


def tampered(token: str) -> list[str]:
    payload, _, signature = token.rpartition(".")
    # Flip the first character: the last one of a base64 signature also carries two padding
    # bits, so swapping "A" and "B" there can decode to the very same bytes (a valid link).
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [f"{payload}.{flipped}", token[:-3], "x" + token, token.replace(".", "", 1), "garbage"]


def verify_link(app: Any, user: User) -> str:
    with app.app_context():
        return tokens.make_verify_token(app.config["SECRET_KEY"], db.session.get(User, user.id))


def is_verified(app: Any, user: User) -> bool:
    with app.app_context():
        return db.session.get(User, user.id).is_verified


def test_a_tampered_verification_link_verifies_nobody(app: Any, client: Any, create_user: Any) -> None:
    user = create_user(verified=False)
    good = verify_link(app, user)
    for bad in tampered(good):
        response = client.get(f"/account/verify/{bad}")
        assert response.status_code in (302, 404), bad
        assert not is_verified(app, user), bad
    assert client.get(f"/account/verify/{good}").status_code == 302
    assert is_verified(app, user)


def test_a_verification_link_signed_with_another_key_or_purpose_is_refused(
        app: Any, client: Any, create_user: Any) -> None:
    user = create_user(verified=False)
    with app.app_context():
        row = db.session.get(User, user.id)
        other_key = tokens.make_verify_token("another-secret-key-" + "y" * 32, row)
        reset_token = tokens.make_reset_token(app.config["SECRET_KEY"], row)
    for token in (other_key, reset_token):
        client.get(f"/account/verify/{token}")
        assert not is_verified(app, user)
    assert "invalid or has expired" in client.get("/account/login").get_data(as_text=True)
    assert client.get(f"/account/reset/{verify_link(app, user)}").headers.get("Location") == "/account/forgot"


def test_a_verification_link_expires(app: Any, client: Any, create_user: Any, token_clock: Any) -> None:
    user = create_user(verified=False)
    link = verify_link(app, user)
    token_clock.shift = app.config["EMAIL_TOKEN_MAX_AGE"] + 5
    client.get(f"/account/verify/{link}")
    assert not is_verified(app, user)


def test_a_verification_link_for_an_old_email_address_is_refused(app: Any, client: Any, create_user: Any) -> None:
    user = create_user("before@example.com", verified=False)
    link = verify_link(app, user)
    with app.app_context():
        db.session.get(User, user.id).email = "after@example.com"
        db.session.commit()
    client.get(f"/account/verify/{link}")
    assert not is_verified(app, user)
