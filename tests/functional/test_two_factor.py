"""Staff sign-in: a password alone never signs a coach or admin in; the code step does, once.

Wrong, replayed and expired codes; recovery codes work once (audited, emailed); a half-way
sign-in is an anonymous visitor on every page and API route; enrolment on first sign-in;
an admin's reset is audited; secrets are encrypted (rate limits: test_two_factor_rate_limit.py).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from coaching import db
from coaching.accounts.models import LoginSession, Role
from coaching.audit.models import AuditEvent
from coaching.config import TEST_DATA_KEY
from coaching.twofactor import services, totp
from coaching.twofactor.models import RecoveryCode, SecondFactor
from tests.conftest import PASSWORD, csrf_token
from tests.functional.test_security import sample_urls, write_rules
from tests.mail import sent_emails
from tests.second_factor import code_for

VERIFY = "/account/two-factor/verify"
ENROL = "/account/two-factor/enrol"
WRONG = "That code did not work."


def password_step(client: Any, user: Any, *, next_path: str | None = None, remember: bool = False) -> Any:
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    return client.post("/account/login" + (f"?next={next_path}" if next_path else ""), data=data)


def submit_code(client: Any, code: str, path: str = VERIFY) -> Any:
    page = path if client.get(path).status_code == 200 else "/account/login"
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, page)})


def secret_of(app: Any, user_id: int) -> str:
    with app.app_context():
        return services.factor_of(db.session, user_id).secret


def enrolled(app: Any, user: Any) -> str:
    """Enrol ``user`` (as the fixtures do) and return their secret."""
    code_for(app, user.email)
    return secret_of(app, user.id)


def enrol_over_http(client: Any, user: Any) -> tuple[str, list[str], Any]:
    """The first sign-in of a staff member, through the pages: (secret, recovery codes, last response)."""
    response = password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"].startswith(VERIFY)
    response = client.get(response.headers["Location"])
    assert response.status_code == 302 and response.headers["Location"].startswith(ENROL)
    page = client.get(ENROL).get_data(as_text=True)
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    from coaching import clock

    response = submit_code(client, totp.code_at(secret, clock.now()), ENROL)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    codes = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", response.get_data(as_text=True))
    return secret, codes, response


def signed_in(client: Any, path: str) -> bool:
    return client.get(path).status_code == 200


def sign_in_with(client: Any, user: Any, code: str) -> Any:
    assert password_step(client, user).status_code == 302
    return submit_code(client, code)


@pytest.fixture
def coach(create_user: Any) -> Any:
    return create_user("coach@example.com", role=Role.COACH, name="Cora Coach")


@pytest.fixture
def admin(create_user: Any) -> Any:
    return create_user("admin@example.com", role=Role.ADMIN, name="Ada Admin")


# --- the password alone ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COACH, Role.ADMIN])
@pytest.mark.parametrize("is_enrolled", [True, False])
def test_a_password_alone_signs_no_staff_member_in(app: Any, client: Any, create_user: Any, role: Role,
                                                   is_enrolled: bool, frozen_clock: Any) -> None:
    user = create_user(role=role)
    if is_enrolled:
        enrolled(app, user)
    response = password_step(client, user, remember=True)
    assert response.status_code == 302 and response.headers["Location"].startswith(VERIFY)
    # No remember cookie for a half-way sign-in, and the row says it has not passed.
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    with app.app_context():
        [row] = db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).all()
        assert row.second_factor_at is None and row.revoked_at is None
    home = "/admin/" if role == Role.ADMIN else "/coach"
    response = client.get(home)
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login")
    assert client.get("/account/settings").status_code == 302
    assert client.post("/api/v1/bookings", json={}, headers={"X-CSRFToken": csrf_token(client)}).status_code == 401


def _fetch(client: Any, method: str, url: str, token: str | None) -> tuple[int, str]:
    data = {"csrf_token": token} if token else None
    headers = {"X-CSRFToken": token} if token else None
    response = client.open(url, method=method, data=data, headers=headers)
    location = response.headers.get("Location", "")
    return response.status_code, re.sub(r"next=[^&]*", "next=", location)


@pytest.mark.parametrize("role", [Role.COACH, Role.ADMIN])
def test_half_way_through_signing_in_every_route_answers_as_to_an_anonymous_visitor(
        app: Any, create_user: Any, role: Role, frozen_clock: Any) -> None:
    """Crawl every route (every coach, admin and API route among them), reading and writing."""
    user = create_user(role=role)
    enrolled(app, user)
    half = app.test_client()
    assert password_step(half, user).status_code == 302
    half_token = csrf_token(half, VERIFY)
    anonymous = app.test_client()
    anon_token = csrf_token(anonymous)
    differences, staff_routes = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/account/two-factor"):
            continue
        staff = rule.rule in ("/coach", "/admin/") or rule.rule.startswith(("/coach/", "/admin/"))
        staff_routes += staff or rule.rule.startswith("/api/")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for url in sample_urls(app, rule):
                got = _fetch(half, method, url, half_token if method != "GET" else None)
                expected = _fetch(anonymous, method, url, anon_token if method != "GET" else None)
                if got != expected or (staff and got[0] < 300):
                    differences.append(f"{method} {url}: half-way {got}, anonymous {expected}")
    assert staff_routes > 40
    assert differences == []
    # ... and the same person, once past the code step, does reach them.
    from tests.second_factor import pass_in_client

    client = app.test_client()
    pass_in_client(client, password_step(client, user), user.email)
    assert signed_in(client, "/admin/" if role == Role.ADMIN else "/coach")


def test_a_client_without_two_step_sign_in_signs_in_with_the_password(app: Any, client: Any,
                                                                      create_user: Any) -> None:
    response = password_step(client, create_user(role=Role.CLIENT))
    assert response.status_code == 302 and response.headers["Location"] == "/home"


# --- codes -----------------------------------------------------------------------------------


def test_the_right_code_signs_in_and_goes_where_the_person_was_going(app: Any, client: Any, coach: Any,
                                                                     frozen_clock: Any) -> None:
    secret = enrolled(app, coach)
    response = password_step(client, coach, next_path="/account/two-factor", remember=True)
    assert response.headers["Location"] == VERIFY + "?next=/account/two-factor"
    response = client.post(response.headers["Location"],
                           data={"code": totp.code_at(secret, frozen_clock()), "csrf_token": csrf_token(client, VERIFY)})
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor"
    assert [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert signed_in(client, "/account/two-factor")
    with app.app_context():
        [row] = db.session.scalars(select(LoginSession).where(LoginSession.user_id == coach.id)).all()
        assert row.second_factor_at == frozen_clock()


def test_the_sign_in_gets_a_new_secret_when_it_passes(app: Any, client: Any, coach: Any, frozen_clock: Any) -> None:
    """A copy of the half-way cookie is worth nothing, before or after the person passes."""
    secret = enrolled(app, coach)
    password_step(client, coach)
    copy = app.test_client()
    copy.set_cookie(app.config["SESSION_COOKIE_NAME"], client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    assert submit_code(client, totp.code_at(secret, frozen_clock())).status_code == 302
    assert signed_in(client, "/coach")
    assert not signed_in(copy, "/coach")
    assert copy.get(VERIFY).status_code == 302  # its half-way sign-in is over


@pytest.mark.parametrize("kind", ["wrong", "replayed", "expired", "too early", "malformed", "recovery-shaped"])
def test_wrong_replayed_and_expired_codes_are_refused_alike(app: Any, coach: Any, frozen_clock: Any,
                                                            kind: str) -> None:
    secret = enrolled(app, coach)
    now = frozen_clock()
    if kind == "replayed":
        first = app.test_client()
        assert sign_in_with(first, coach, totp.code_at(secret, now)).status_code == 302
        code = totp.code_at(secret, now)
    else:
        code = {"wrong": str((int(totp.code_at(secret, now)) + 1) % 1_000_000).zfill(6),
                "expired": totp.code_at(secret, now - timedelta(seconds=60)),
                "too early": totp.code_at(secret, now + timedelta(seconds=60)),
                "malformed": "12ab<script>",
                "recovery-shaped": "aaaa-bbbb-cccc-dddd"}[kind]
    client = app.test_client()
    response = sign_in_with(client, coach, code)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and WRONG in body
    assert not signed_in(client, "/coach")
    # The refusal is the same page whatever was wrong: it tells nothing about the code.
    reference = sign_in_with(app.test_client(), coach, "000000" if code != "000000" else "111111")
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 (tokens and the typed code)
    assert strip(body) == strip(reference.get_data(as_text=True))


def test_a_code_works_once_even_for_the_next_step_and_the_step_after_that_opens_again(
        app: Any, coach: Any, frozen_clock: Any) -> None:
    secret = enrolled(app, coach)
    now = frozen_clock()
    ahead = totp.code_at(secret, now + timedelta(seconds=30))  # the window's next step, accepted once
    assert sign_in_with(app.test_client(), coach, ahead).status_code == 302
    assert sign_in_with(app.test_client(), coach, totp.code_at(secret, now)).status_code == 200  # older step
    assert sign_in_with(app.test_client(), coach, ahead).status_code == 200  # replay
    frozen_clock.advance(seconds=60)
    assert sign_in_with(app.test_client(), coach, totp.code_at(secret, frozen_clock())).status_code == 302


def test_a_half_way_sign_in_lasts_ten_minutes(app: Any, client: Any, coach: Any, frozen_clock: Any) -> None:
    secret = enrolled(app, coach)
    password_step(client, coach)
    frozen_clock.advance(minutes=services.PENDING_MINUTES, seconds=1)
    response = submit_code(client, totp.code_at(secret, frozen_clock()))
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login")
    assert not signed_in(client, "/coach")


def test_cancel_ends_the_half_way_sign_in(app: Any, client: Any, coach: Any, frozen_clock: Any) -> None:
    enrolled(app, coach)
    password_step(client, coach)
    page = client.get(VERIFY).get_data(as_text=True)
    token = re.search(r'name="cancel-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/account/two-factor/cancel", data={"cancel-csrf_token": token}).status_code == 302
    with app.app_context():
        [row] = db.session.scalars(select(LoginSession).where(LoginSession.user_id == coach.id)).all()
        assert row.revoked_at is not None
    assert client.get(VERIFY).status_code == 302


def test_hostile_codes_get_a_4xx_or_the_form_never_a_500(app: Any, coach: Any, frozen_clock: Any) -> None:
    enrolled(app, coach)
    for code in ("", " ", "1" * 33, "' OR 1=1 --", "ü" * 6, "-" * 19, "0x1234"):
        client = app.test_client()
        password_step(client, coach)
        response = submit_code(client, code)
        assert response.status_code in (200, 400), (code, response.status_code)
        assert not signed_in(client, "/coach")


# --- recovery codes --------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_is_audited_and_the_owner_is_told(app: Any, coach: Any,
                                                                         frozen_clock: Any) -> None:
    _secret, codes, _ = enrol_over_http(app.test_client(), coach)
    assert len(codes) == 10 and len(set(codes)) == 10
    response = sign_in_with(app.test_client(), coach, codes[3].upper().replace("-", " "))
    assert response.status_code == 302 and response.headers["Location"] == "/coach"
    again = app.test_client()
    assert sign_in_with(again, coach, codes[3]).status_code == 200
    assert not signed_in(again, "/coach")
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recovery_code_used")).all()
        assert event.actor_id == coach.id and event.object_id == coach.id and "9 recovery codes left" in event.detail
        [email] = sent_emails(to=coach.email, kind="recovery_code_used")
        assert "you have 9 left" in email.text_body
        assert services.recovery_codes_left(db.session, coach.id) == 9
    # The other codes still work, each once.
    assert sign_in_with(app.test_client(), coach, codes[0]).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(app: Any, client: Any, coach: Any, frozen_clock: Any) -> None:
    secret, old, _ = enrol_over_http(client, coach)
    frozen_clock.advance(seconds=30)
    response = client.post("/account/two-factor/recovery-codes",
                           data={"regen-code": totp.code_at(secret, frozen_clock()),
                                 "regen-csrf_token": csrf_token(client, "/account/two-factor")})
    assert response.status_code == 200
    new = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert sign_in_with(app.test_client(), coach, old[0]).status_code == 200
    assert sign_in_with(app.test_client(), coach, new[0]).status_code == 302


# --- enrolment -------------------------------------------------------------------------------


def test_a_staff_member_enrols_at_first_sign_in_and_only_then_reaches_staff_pages(
        app: Any, client: Any, coach: Any, frozen_clock: Any) -> None:
    response = password_step(client, coach)
    response = client.get(response.headers["Location"])
    assert response.headers["Location"].startswith(ENROL)
    page = client.get(ENROL)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<svg role="img" aria-label="QR code for your authenticator app"' in html
    assert client.get("/coach").status_code == 302  # not before the first code
    with app.app_context():
        secret = services.factor_of(db.session, coach.id).secret
    assert " ".join(secret[i:i + 4] for i in range(0, 32, 4)) in html
    assert client.get(ENROL).get_data(as_text=True).count(secret[:4]) >= 1  # a reload keeps the key
    assert submit_code(client, "123456" if totp.code_at(secret, frozen_clock()) != "123456" else "654321",
                       ENROL).status_code == 200
    assert client.get("/coach").status_code == 302
    response = submit_code(client, totp.code_at(secret, frozen_clock()), ENROL)
    assert response.status_code == 200 and "They are shown only now" in response.get_data(as_text=True)
    assert signed_in(client, "/coach")
    with app.app_context():
        assert services.is_enrolled(db.session, coach.id)
        assert services.recovery_codes_left(db.session, coach.id) == 10
    # Next time: the code page, not enrolment.
    frozen_clock.advance(seconds=30)
    other = app.test_client()
    assert password_step(other, coach).headers["Location"].startswith(VERIFY)
    assert other.get(VERIFY).status_code == 200


def test_the_secret_and_the_recovery_codes_are_not_stored_in_plaintext(app: Any, coach: Any,
                                                                       frozen_clock: Any) -> None:
    secret, codes, _ = enrol_over_http(app.test_client(), coach)
    with app.app_context():
        stored = db.session.execute(text("SELECT secret FROM second_factors WHERE user_id = :id"),
                                    {"id": coach.id}).scalar_one()
        assert secret not in stored and Fernet(TEST_DATA_KEY).decrypt(stored.encode()).decode() == secret
        hashes = db.session.execute(text("SELECT code_hash FROM recovery_codes")).scalars().all()
        assert len(hashes) == 10
        dump = " ".join(hashes)
        for code in codes:
            assert code not in dump and code.replace("-", "") not in dump
            assert totp.recovery_digest(code) in hashes


def test_a_client_may_turn_it_on_and_then_must_pass_it_and_may_turn_it_off(
        app: Any, client: Any, create_user: Any, login_as: Any, frozen_clock: Any) -> None:
    user = create_user(role=Role.CLIENT)
    login_as(user)
    other_device = app.test_client()
    assert password_step(other_device, user).status_code == 302
    assert "Off." in client.get("/account/two-factor").get_data(as_text=True)
    html = client.get(ENROL).get_data(as_text=True)
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    response = submit_code(client, totp.code_at(secret, frozen_clock()), ENROL)
    assert response.status_code == 200 and "Two-step sign-in is on." in response.get_data(as_text=True)
    assert signed_in(client, "/home")  # this sign-in passed it
    assert not signed_in(other_device, "/account/settings")  # the others ended
    fresh = app.test_client()
    assert password_step(fresh, user).headers["Location"].startswith(VERIFY)
    assert not signed_in(fresh, "/home")
    frozen_clock.advance(seconds=30)
    assert submit_code(fresh, totp.code_at(secret, frozen_clock())).status_code == 302
    assert signed_in(fresh, "/home")
    # Off: password and a code.
    frozen_clock.advance(seconds=30)
    token = csrf_token(fresh, "/account/two-factor")
    refused = fresh.post("/account/two-factor/off", data={"off-password": "wrong password!",
                                                          "off-code": totp.code_at(secret, frozen_clock()),
                                                          "off-csrf_token": token})
    assert refused.status_code == 200 and "Your password is not correct." in refused.get_data(as_text=True)
    response = fresh.post("/account/two-factor/off", data={"off-password": PASSWORD,
                                                           "off-code": totp.code_at(secret, frozen_clock()),
                                                           "off-csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert services.factor_of(db.session, user.id) is None
    assert password_step(app.test_client(), user).headers["Location"] == "/home"


def test_staff_cannot_turn_it_off(app: Any, client: Any, coach: Any, login_as: Any, frozen_clock: Any) -> None:
    login_as(coach)
    secret = secret_of(app, coach.id)
    assert "Turn off" not in client.get("/account/two-factor").get_data(as_text=True)
    frozen_clock.advance(seconds=30)
    response = client.post("/account/two-factor/off", data={
        "off-password": PASSWORD, "off-code": totp.code_at(secret, frozen_clock()),
        "off-csrf_token": csrf_token(client, "/account/two-factor")})
    assert response.status_code == 403
    with app.app_context():
        assert services.is_enrolled(db.session, coach.id)


# --- admin reset -----------------------------------------------------------------------------


def api_token_of(app: Any, user: Any) -> str:
    from coaching.accounts.services import create_api_token

    with app.app_context():
        return create_api_token(db.session, db.session.get(type(user), user.id), "integration")


def bearer_reaches_api(app: Any, token: str) -> bool:
    """Whether the API takes ``token`` as a sign-in (an empty booking is then judged, not refused)."""
    answer = app.test_client().post("/api/v1/bookings", json={}, headers={"Authorization": f"Bearer {token}"})
    return answer.status_code != 401


def test_an_admin_resets_a_coach_audited_the_coach_is_signed_out_told_and_enrols_again(
        app: Any, coach: Any, admin: Any, login_as: Any, client: Any, frozen_clock: Any) -> None:
    coach_client = app.test_client()
    from tests.conftest import login

    assert login(coach_client, coach.email).status_code == 302
    assert signed_in(coach_client, "/coach")
    token = api_token_of(app, coach)
    assert bearer_reaches_api(app, token)
    login_as(admin)
    page = client.get("/admin/staff-sign-in")
    assert page.status_code == 200 and "Cora Coach" in page.get_data(as_text=True)
    response = client.post(f"/admin/staff-sign-in/{coach.id}/reset",
                           data={"csrf_token": csrf_token(client, "/admin/staff-sign-in")})
    assert response.status_code == 302
    assert not signed_in(coach_client, "/coach")
    assert not bearer_reaches_api(app, token)  # a token made with the lost device's sign-in ends too
    with app.app_context():
        assert services.factor_of(db.session, coach.id) is None
        assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == coach.id)) is None
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "second_factor_reset")).all()
        assert (event.actor_id, event.object_type, event.object_id) == (admin.id, "user", coach.id)
        [email] = sent_emails(to=coach.email, kind="second_factor_reset")
        assert "set it up again" in email.text_body
    log = client.get("/admin/access-log?action=second_factor_reset")
    assert log.status_code == 200 and "second-factor-reset" in log.get_data(as_text=True)
    again = app.test_client()
    response = password_step(again, coach)
    assert again.get(response.headers["Location"]).headers["Location"].startswith(ENROL)


def test_only_admins_reset_and_never_their_own(app: Any, client: Any, coach: Any, admin: Any, create_user: Any,
                                               login_as: Any, frozen_clock: Any) -> None:
    other_coach = create_user(role=Role.COACH)
    enrolled(app, other_coach)
    login_as(coach)
    assert client.get("/admin/staff-sign-in").status_code == 403
    token = csrf_token(client, "/account/settings")
    assert client.post(f"/admin/staff-sign-in/{other_coach.id}/reset", data={"csrf_token": token}).status_code == 403
    admin_client = app.test_client()
    from tests.conftest import login

    login(admin_client, admin.email)
    token = csrf_token(admin_client, "/admin/staff-sign-in")
    admin_client.post(f"/admin/staff-sign-in/{admin.id}/reset", data={"csrf_token": token})
    client_user = create_user(role=Role.CLIENT)
    admin_client.post(f"/admin/staff-sign-in/{client_user.id}/reset", data={"csrf_token": token})
    assert admin_client.post("/admin/staff-sign-in/2147483647/reset", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert services.is_enrolled(db.session, admin.id) and services.is_enrolled(db.session, other_coach.id)
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor_reset")) is None


def test_the_cli_resets_a_locked_out_admin(app: Any, runner: Any, admin: Any, frozen_clock: Any) -> None:
    enrolled(app, admin)
    token = api_token_of(app, admin)
    assert bearer_reaches_api(app, token)
    result = runner.invoke(args=["two-factor", "reset", admin.email])
    assert result.exit_code == 0, result.output
    assert not bearer_reaches_api(app, token)
    with app.app_context():
        assert not services.is_enrolled(db.session, admin.id)
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == admin.id)) == \
            "second_factor_reset"


# --- API tokens ------------------------------------------------------------------------------


def test_api_tokens_keep_working_for_integrations(app: Any, client: Any, coach: Any, login_as: Any,
                                                  frozen_clock: Any) -> None:
    login_as(coach)  # signed in with the code: the token page is reachable only now
    token_page = client.get("/account/settings")
    response = client.post("/account/settings", data={"token-name": "calendar sync", "token-password": PASSWORD,
                                                      "token-csrf_token": csrf_token(client, "/account/settings")})
    token = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert token_page.status_code == 200
    api = app.test_client()
    with_token = api.post("/api/v1/bookings", json={}, headers={"Authorization": f"Bearer {token}"})
    without = api.post("/api/v1/bookings", json={}, headers={"Authorization": "Bearer tdm_not-a-token"})
    assert without.status_code == 401
    assert with_token.status_code in (400, 403, 422), with_token.get_data(as_text=True)  # signed in: the body is judged


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_prints_staff_keys_and_the_cli_gives_the_current_code(app: Any, runner: Any,
                                                                      frozen_clock: Any) -> None:
    from coaching.demo import COACH_PASSWORD

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Two-step sign-in keys" in result.output
    line = next(line for line in result.output.splitlines() if line.strip().startswith("ana@example.com"))
    key = line.split()[-1]
    code = runner.invoke(args=["two-factor", "code", "ana@example.com"]).output.strip()
    assert code == totp.code_at(key, frozen_clock())
    client = app.test_client()
    client.post("/account/login", data={"email": "ana@example.com", "password": COACH_PASSWORD,
                                        "csrf_token": csrf_token(client)})
    assert submit_code(client, code).status_code == 302 and signed_in(client, "/coach")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # idempotent: the same key again
    with app.app_context():
        ana = db.session.scalar(select(SecondFactor).join(LoginSession, LoginSession.user_id == SecondFactor.user_id))
        assert ana.secret == key


def test_the_code_command_is_refused_in_production(app: Any, frozen_clock: Any) -> None:
    app.config["TANDEM_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["two-factor", "code", "ana@example.com"])
    assert result.exit_code != 0 and "Not available in production" in result.output
