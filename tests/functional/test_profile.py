"""``/account/profile``: name and time zone; a new email address is proved before it is used,
the old one is told, and the page never says whether an address has an account."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from coaching import db
from coaching.accounts.models import User
from tests.conftest import PASSWORD, csrf_token, login
from tests.mail import sent_emails

PAGE = "/account/profile"
CONFIRM = re.compile(r"(/account/email/confirm/[A-Za-z0-9_.\-]+)")


def save_profile(client: Any, name: str, zone: str) -> Any:
    return client.post(PAGE, data={"p-name": name, "p-timezone": zone, "p-csrf_token": csrf_token(client, PAGE)})


def change_email(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post(PAGE, data={"e-email": email, "e-password": password,
                                   "e-csrf_token": csrf_token(client, PAGE)})


def user(app: Any, user_id: int) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


def mails(app: Any, to: str) -> list[Any]:
    with app.app_context():
        return sent_emails(to=to)


def test_a_person_changes_their_name_and_time_zone(app, client, create_user, login_as):
    me = create_user(name="Robin Old")
    login_as(me)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'value="Robin Old"' in page and "Europe/Berlin" in page and 'id="current-email"' in page
    saved = save_profile(client, "  Robin New ", "Europe/Berlin")
    assert saved.status_code == 303
    assert (user(app, me.id).name, user(app, me.id).timezone) == ("Robin New", "Europe/Berlin")


def test_a_time_zone_outside_the_list_or_an_empty_name_is_refused(app, client, create_user, login_as):
    me = create_user(name="Robin")
    login_as(me)
    for name, zone in (("Robin", "Mars/Base"), ("Robin", "US/Eastern"), ("Robin", "x" * 500), ("   ", "UTC"),
                       ("R" * 121, "UTC")):
        refused = save_profile(client, name, zone)
        assert refused.status_code == 200, (name, zone)
        assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert (user(app, me.id).name, user(app, me.id).timezone) == ("Robin", "America/New_York")
    assert client.post(PAGE, data={"p-name": "Robin", "p-timezone": "UTC"}).status_code == 400  # no CSRF


def test_a_new_email_address_changes_only_when_confirmed_and_the_old_address_is_told(app, client, create_user,
                                                                                     login_as):
    me = create_user("robin@example.com")
    login_as(me)
    assert change_email(client, "robin.new@example.com", "not my password").status_code == 200
    assert mails(app, "robin.new@example.com") == []
    asked = change_email(client, "Robin.New@Example.com")
    assert asked.status_code == 303
    assert user(app, me.id).email == "robin@example.com"  # not yet
    [verify] = mails(app, "robin.new@example.com")
    assert verify.kind == "email_change_verify"
    link = CONFIRM.search(verify.text_body).group(1)
    assert mails(app, "robin@example.com") == []
    assert client.get(link).status_code == 302
    changed = user(app, me.id)
    assert changed.email == "robin.new@example.com" and changed.is_verified
    [notice] = mails(app, "robin@example.com")
    assert notice.kind == "email_changed_notice" and "robin.new@example.com" in notice.text_body
    # The link worked once; the old address no longer logs in, the new one does.
    again = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "invalid, used or expired" in again
    assert len(mails(app, "robin@example.com")) == 1
    other = app.test_client()
    assert login(other, "robin@example.com").status_code == 200
    assert login(other, "robin.new@example.com").status_code == 302


def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_is_told(app, client, create_user,
                                                                               login_as):
    create_user("taken@example.com")
    me = create_user("robin@example.com")
    login_as(me)
    free = change_email(client, "free@example.com")
    free_page = client.get(free.headers["Location"]).get_data(as_text=True)
    taken = change_email(client, "taken@example.com")
    assert (taken.status_code, taken.headers["Location"]) == (free.status_code, free.headers["Location"])
    taken_page = client.get(taken.headers["Location"]).get_data(as_text=True)
    strip = lambda page: re.sub(r'value="[^"]*"', "", page)  # noqa: E731  (CSRF tokens)
    assert strip(free_page) == strip(taken_page)
    [note] = mails(app, "taken@example.com")
    assert note.kind == "email_change_taken" and "/account/email/confirm/" not in note.text_body
    assert user(app, me.id).email == "robin@example.com"


def test_a_forged_expired_or_overtaken_link_changes_nothing(app, client, create_user, login_as):
    me = create_user("robin@example.com")
    login_as(me)
    change_email(client, "first@example.com")
    link = CONFIRM.search(mails(app, "first@example.com")[0].text_body).group(1)
    for bad in (link[:-3] + "abc", "/account/email/confirm/" + "x" * 3000, "/account/email/confirm/%00"):
        assert client.get(bad).status_code in (302, 404), bad
    app.config["EMAIL_CHANGE_TOKEN_MAX_AGE"] = -1  # every link is too old
    assert "invalid, used or expired" in client.get(link, follow_redirects=True).get_data(as_text=True)
    app.config["EMAIL_CHANGE_TOKEN_MAX_AGE"] = 24 * 3600
    # Someone registers the address meanwhile: the link cannot take it.
    create_user("first@example.com")
    assert "can no longer be used" in client.get(link, follow_redirects=True).get_data(as_text=True)
    assert user(app, me.id).email == "robin@example.com"
    with app.app_context():
        assert len(db.session.scalars(select(User).where(User.email == "first@example.com")).all()) == 1


def test_the_settings_page_links_the_profile_and_data_pages(client, create_user, login_as):
    login_as(create_user())
    page = client.get("/account/settings").get_data(as_text=True)
    assert 'href="/account/profile"' in page and 'href="/account/data"' in page
