"""Series through HTTP: the book page's repeat form, a clash page with alternatives, paying,
cancelling one or the rest, who may see a series, the portal and the coach's week, the API,
and hostile input (always a 4xx)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.payments.models import Payment, PaymentStatus
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from coaching.series.models import BookingSeries
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

FIRST = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # Tue 10:00 New York
WEEK = timedelta(weeks=1)


@pytest.fixture
def setup(app, frozen_clock):
    with app.app_context():
        paid = create_session_type("couples-session", price_cents=12000)
        own = create_session_type("individual-session", price_cents=8000, kind=SessionKind.INDIVIDUAL)
        coach = create_coach("coach@example.com", session_types=[paid, own])
        create_couple("ana@example.com", "ben@example.com", timezones=("America/New_York", "Europe/London"))
        create_couple("cleo@example.com", "dev@example.com")
        return {"coach": coach.id, "ana": create_api_token(db.session, user_by_email("ana@example.com"), "t"),
                "cleo": create_api_token(db.session, user_by_email("cleo@example.com"), "t")}


def series_url(coach_id, slug="couples-session", every=1, count=3):
    return f"/book/{coach_id}/{slug}/series?every={every}&count={count}"


def book_series(client, coach_id, start=FIRST, **kw):
    url = series_url(coach_id, **kw)
    return client.post(url, data={"csrf_token": csrf_token(client, url), "start": start.isoformat()})


def rows(model, *where):
    db.session.commit()
    return db.session.scalars(select(model).where(*where)).all()


def test_the_book_page_offers_a_series_without_javascript(client, setup):
    login(client, "ana@example.com")
    page = client.get(f"/book/{setup['coach']}/couples-session").get_data(as_text=True)
    form = re.search(r'<form method="get" action="([^"]+)" class="repeat-form">(.*?)</form>', page, re.S)
    assert form and form.group(1) == f"/book/{setup['coach']}/couples-session/series"
    assert 'name="every"' in form.group(2) and 'name="count"' in form.group(2)
    assert '<option value="2">' in form.group(2) and '<option value="12">' in form.group(2)
    chooser = client.get(series_url(setup["coach"], every=2, count=4)).get_data(as_text=True)
    assert "4 sessions, every other week" in chooser
    assert f'action="/book/{setup["coach"]}/couples-session/series?every=2&amp;count=4"' in chooser


def test_booking_a_series_holds_every_date_then_pays_by_invoice(app, client, setup):
    login(client, "ana@example.com")
    response = book_series(client, setup["coach"])
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("waiting for payment") == 3 + 0 and "Tue 10 Nov 2026, 10:00 EST" in page
    with app.app_context():
        assert len(rows(Booking, Booking.status == BookingStatus.HELD)) == 3
    pay_url = re.search(r'action="(/series/\d+/pay)"', page).group(1)
    paid = client.post(pay_url, data={"csrf_token": csrf_token(client, response.headers["Location"])})
    assert paid.status_code == 303
    page = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert page.count(">confirmed<") == 3
    with app.app_context():
        assert {p.status for p in rows(Payment)} == {PaymentStatus.INVOICED} and len(rows(Payment)) == 3


def test_a_clash_page_lists_alternatives_and_the_choice_is_held_whole(app, client, setup):
    other = app.test_client()
    login(other, "cleo@example.com")
    assert book_series(other, setup["coach"], start=FIRST + WEEK, count=2).status_code == 303  # takes 10 and 17 Nov
    login(client, "ana@example.com")
    clash = book_series(client, setup["coach"], count=3)
    page = clash.get_data(as_text=True)
    assert clash.status_code == 409 and "Some dates of your series clash" in page
    assert re.search(r"Tue 10 Nov 2026, 10:00 EST:\s+already taken", page)
    assert re.search(r"Tue 17 Nov 2026, 10:00 EST:\s+already taken", page)
    with app.app_context():
        assert rows(Booking, Booking.couple_id == 1) == []  # nothing held for ana's couple
    form = dict(re.findall(r'<input type="hidden" name="(occ-\d+)" value="([^"]+)"', page))
    assert list(form) == ["occ-0"]
    alternatives = re.findall(r'type="radio" id="occ-1-[a-z0-9]+" name="occ-1" value="([^"]+)"', page)
    assert alternatives == ["2026-11-10T14:00:00+00:00", "2026-11-10T16:00:00+00:00", "2026-11-10T17:00:00+00:00", "drop"]
    form.update({"occ-1": alternatives[1], "occ-2": "drop"})
    action = html_unescape(re.search(r'<form method="post" action="([^"]+/series/confirm[^"]*)"', page).group(1))
    done = client.post(action, data={"csrf_token": csrf_token(client, "/home"), **form})
    assert done.status_code == 303
    with app.app_context():
        held = rows(Booking, Booking.couple_id == 1)
        assert [b.starts_at for b in held] == [FIRST, FIRST + WEEK + timedelta(hours=1)]
        assert rows(BookingSeries)[-1].requested == 3


def html_unescape(text):
    import html

    return html.unescape(text)


def test_cancel_one_then_the_rest_with_a_confirmation_of_each_outcome(app, client, setup):
    login(client, "ana@example.com")
    location = book_series(client, setup["coach"], count=3).headers["Location"]
    client.post(location + "/pay", data={"csrf_token": csrf_token(client, location)})
    page = client.get(location).get_data(as_text=True)
    ids = re.findall(r'name="booking_id" value="(\d+)"', page)[::2]
    token = csrf_token(client, location)
    ask = client.post(location + "/cancel", data={"csrf_token": token, "booking_id": ids[1], "scope": "one"})
    assert ask.status_code == 200 and "The unpaid invoice for this appointment is cancelled" in ask.get_data(as_text=True)
    with app.app_context():
        assert len(rows(Booking, Booking.status == BookingStatus.CONFIRMED)) == 3  # only asked
    done = client.post(location + "/cancel", data={"csrf_token": token, "booking_id": ids[1], "scope": "one",
                                                   "confirm": "yes"})
    assert done.status_code == 303
    rest = client.post(location + "/cancel", data={"csrf_token": token, "booking_id": ids[0], "scope": "later",
                                                   "confirm": "yes"})
    assert rest.status_code == 303
    with app.app_context():
        assert {str(b.status) for b in rows(Booking)} == {"cancelled"}
        # the first is 24 hours ahead, past the 48-hour cutoff: its invoice stays due in part
        assert sorted((p.status, p.amount_cents) for p in rows(Payment)) == [
            (PaymentStatus.INVOICED, 6000), (PaymentStatus.VOID, 12000), (PaymentStatus.VOID, 12000)]


def test_the_series_shows_on_the_portal_and_the_coachs_week(app, client, setup):
    login(client, "ana@example.com")
    location = book_series(client, setup["coach"], count=2).headers["Location"]
    home = client.get("/home").get_data(as_text=True)
    assert f'href="{location}">Series, session 1 of 2' in home
    partner = app.test_client()
    login(partner, "ben@example.com")  # a joint series: both partners see it
    assert partner.get(location).status_code == 200
    assert f'href="{location}">Series, session 2 of 2' in partner.get("/home").get_data(as_text=True)
    coach = app.test_client()
    login(coach, "coach@example.com")
    week = coach.get("/coach/calendar?week=2026-11-02").get_data(as_text=True)
    assert "Series, session 1 of 2" in week and coach.get(location).status_code == 200


def test_an_individual_series_is_only_the_booking_partners_and_other_couples_see_nothing(app, client, setup):
    login(client, "ana@example.com")
    location = book_series(client, setup["coach"], slug="individual-session", count=2).headers["Location"]
    partner, stranger = app.test_client(), app.test_client()
    login(partner, "ben@example.com")
    login(stranger, "cleo@example.com")
    for other in (partner, stranger):
        assert other.get(location).status_code == 404
        assert other.post(location + "/cancel", data={"csrf_token": csrf_token(other, "/home"), "booking_id": "1",
                                                      "scope": "later", "confirm": "yes"}).status_code == 404
        assert "Series, session" not in other.get("/home").get_data(as_text=True)
    series_id = int(location.rsplit("/", 1)[1])
    assert stranger.get(f"/api/v1/series/{series_id}", headers={"Authorization": f"Bearer {setup['cleo']}"}
                        ).status_code == 404
    with app.app_context():
        assert {str(b.status) for b in rows(Booking)} == {"held"}


def test_joint_sessions_not_open_refuse_a_series_on_the_page_and_the_api(app, client, frozen_clock):
    with app.app_context():
        st = create_session_type("couples-session", price_cents=12000)
        coach = create_coach(session_types=[st])
        create_couple("new@example.com", "pair@example.com", joint_open=False)
        token = create_api_token(db.session, user_by_email("new@example.com"), "t")
    login(client, "new@example.com")
    page = client.get(series_url(coach.id)).get_data(as_text=True)
    assert "Your coach will open joint sessions" in page and 'name="start"' not in page
    assert book_series(client, coach.id).status_code == 403
    answer = app.test_client().post("/api/v1/series", headers={"Authorization": f"Bearer {token}"}, json={
        "coach_id": coach.id, "session_type": "couples-session", "interval": "weekly", "start": FIRST.isoformat(),
        "count": 3})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "not_bookable"
    with app.app_context():
        assert rows(Booking) == []


# --- the API ---------------------------------------------------------------------------------


def api(client, token, body, path="/api/v1/series"):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_api_books_a_series_and_reports_clashes_with_alternatives(app, client, setup):
    body = {"coach_id": setup["coach"], "session_type": "couples-session", "interval": "fortnightly",
            "start": FIRST.isoformat(), "count": 3}
    made = api(client, setup["cleo"], {**body, "interval": "weekly", "start": (FIRST + 2 * WEEK).isoformat(), "count": 2})
    assert made.status_code == 201 and made.get_json()["series_url"].startswith("http://")
    clash = api(client, setup["ana"], body)
    error = clash.get_json()["error"]
    assert clash.status_code == 409 and error["code"] == "series_clash"
    [item] = error["clashes"]
    assert item["position"] == 1 and item["date"] == "2026-11-17" and item["reason"] == "taken"
    assert len(item["alternatives"]) == 3 and item["start"] == "2026-11-17T10:00:00-05:00"
    starts = [FIRST.isoformat(), item["alternatives"][0]["start"], (FIRST + 4 * WEEK).isoformat()]
    held = api(client, setup["ana"], {k: v for k, v in body.items() if k not in ("start", "count")} | {"starts": starts})
    assert held.status_code == 201
    series = held.get_json()["series"]
    assert series["interval"] == "fortnightly" and [o["status"] for o in series["occurrences"]] == ["held"] * 3
    got = client.get(f"/api/v1/series/{series['id']}", headers={"Authorization": f"Bearer {setup['ana']}"})
    assert got.status_code == 200 and got.get_json()["series"] == series
    cancel = api(client, setup["ana"], {"booking_id": series["occurrences"][1]["id"], "scope": "later"},
                 path=f"/api/v1/series/{series['id']}/cancel")
    assert cancel.status_code == 200
    assert [o["status"] for o in cancel.get_json()["series"]["occurrences"]] == ["held", "cancelled", "cancelled"]


@pytest.mark.parametrize(("change", "field"), [
    ({"count": 0}, "count"), ({"count": 1}, "count"), ({"count": 1000}, "count"), ({"count": True}, "count"),
    ({"count": "6"}, "count"), ({"interval": "daily"}, "interval"), ({"interval": 1}, "interval"),
    ({"interval": None}, "interval"), ({"start": "tomorrow"}, "start"), ({"start": "3026-01-01T10:00:00+00:00"}, "start"),
    ({"extra": 1}, "extra"), ({"starts": [FIRST.isoformat()]}, "starts"), ({"coach_id": 0}, "coach_id"),
])
def test_api_hostile_series_requests_are_4xx(app, client, setup, change, field):
    body = {"coach_id": setup["coach"], "session_type": "couples-session", "interval": "weekly",
            "start": FIRST.isoformat(), "count": 3} | change
    answer = api(client, setup["ana"], body)
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == field
    with app.app_context():
        assert rows(Booking) == []


@pytest.mark.parametrize("starts", [[], ["x"], [FIRST.isoformat()] * 2, [(FIRST + i * WEEK).isoformat() for i in range(13)],
                                    "2026-11-03T15:00:00+00:00", [3]])
def test_api_hostile_explicit_lists_are_4xx(client, setup, starts):
    answer = api(client, setup["ana"], {"coach_id": setup["coach"], "session_type": "couples-session",
                                        "interval": "weekly", "starts": starts})
    assert answer.status_code == 422


def test_api_hostile_bodies_and_cancellations_are_4xx(client, setup):
    assert api(client, setup["ana"], [1, 2]).status_code == 400
    assert client.post("/api/v1/series", json={}).status_code == 401
    for body in ({"booking_id": 1, "scope": "all"}, {"booking_id": "1", "scope": "one"}, {"scope": "one"},
                 {"booking_id": 1, "scope": "one", "reason": "x" * 501}):
        assert api(client, setup["ana"], body, path="/api/v1/series/1/cancel").status_code == 422
    assert api(client, setup["ana"], {"booking_id": 1, "scope": "one"}, path="/api/v1/series/1/cancel").status_code == 404
    assert api(client, setup["ana"], {"booking_id": 1, "scope": "one"},
               path="/api/v1/series/99999999999/cancel").status_code == 404


@pytest.mark.parametrize("query", ["every=0&count=3", "every=3&count=3", "every=daily&count=3", "every=1&count=0",
                                   "every=1&count=1", "every=1&count=1000", "every=1&count=-1", "every=1&count=x",
                                   "every=1&count=99999999999999999999"])
def test_page_hostile_series_queries_are_400(client, setup, query):
    login(client, "ana@example.com")
    url = f"/book/{setup['coach']}/couples-session/series?{query}"
    page = client.get(url)
    assert page.status_code == 400
    # The page says what was wrong, not only that something was.
    assert ("between 2 and 12 sessions" in page.get_data(as_text=True)
            or "weekly or every other week" in page.get_data(as_text=True))
    assert client.post(url, data={"csrf_token": csrf_token(client, "/home"), "start": FIRST.isoformat()}).status_code == 400


def test_page_hostile_resolve_and_cancel_forms_are_4xx(app, client, setup):
    login(client, "ana@example.com")
    token = csrf_token(client, "/home")
    resolve = f"/book/{setup['coach']}/couples-session/series/confirm?every=1&count=3"
    assert client.post(resolve, data={"csrf_token": token, "occ-0": "not a time"}).status_code == 422
    assert client.post(resolve, data={"csrf_token": token, "occ-0": "drop"}).status_code == 303  # back to choose
    assert client.post(resolve, data={"occ-0": FIRST.isoformat()}).status_code == 400  # no CSRF
    location = book_series(client, setup["coach"], count=2).headers["Location"]
    for data in ({"booking_id": "x", "scope": "one"}, {"booking_id": "1", "scope": "everything"},
                 {"booking_id": "99999999999", "scope": "one"}, {"scope": "one"}):
        assert 400 <= client.post(location + "/cancel", data={"csrf_token": token, **data}).status_code < 500
    with app.app_context():
        assert {str(b.status) for b in rows(Booking)} == {"held"}


# --- the coach books a series for a couple -----------------------------------------------------


def coach_form(client, couple_id, **values):
    url = f"/coach/couples/{couple_id}/series"
    data = {"csrf_token": csrf_token(client, url), "session_type": "couples-session", "on_date": "2026-11-03",
            "start": "10:00", "every": "2", "count": "3"} | values
    return client.post(url, data=data)


def test_the_coach_books_a_series_for_their_couple_who_are_emailed_and_pay(app, client, setup):
    from tests.mail import sent_emails

    with app.app_context():
        from coaching.intake.models import Couple

        db.session.get(Couple, 1).coach_id = setup["coach"]
        db.session.commit()
    login(client, "coach@example.com")
    assert "Book a series of joint sessions" in client.get("/coach/couples/1/joint").get_data(as_text=True)
    done = coach_form(client, 1)
    assert done.status_code == 303
    with app.app_context():
        held = rows(Booking)
        assert [b.starts_at for b in held] == [FIRST, FIRST + 2 * WEEK, FIRST + 4 * WEEK]
        assert {str(b.status) for b in held} == {"held"}
        assert {b.hold_expires_at for b in held} == {datetime(2026, 11, 4, 15, 0, tzinfo=UTC)}  # 48 hours
        [to_ben] = sent_emails(to="ben@example.com", kind="series_reserved")
        assert "Tue 03 Nov 2026, 15:00 GMT" in to_ben.text_body and "/series/1" in to_ben.text_body
        assert len(sent_emails(to="ana@example.com", kind="series_reserved")) == 1
    partner = app.test_client()
    login(partner, "ben@example.com")
    paid = partner.post("/series/1/pay", data={"csrf_token": csrf_token(partner, "/series/1")})
    assert paid.status_code == 303
    with app.app_context():
        assert {str(b.status) for b in rows(Booking)} == {"confirmed"} and len(rows(Payment)) == 3


def test_the_coach_sees_clashes_and_cannot_book_for_someone_elses_couple(app, client, setup):
    with app.app_context():
        from coaching.intake.models import Couple

        db.session.get(Couple, 1).coach_id = setup["coach"]
        db.session.commit()
    other = app.test_client()
    login(other, "cleo@example.com")
    book_series(other, setup["coach"], start=FIRST + 2 * WEEK, count=2)
    login(client, "coach@example.com")
    clash = coach_form(client, 1)
    assert clash.status_code == 409 and "Some dates of your series clash" in clash.get_data(as_text=True)
    assert coach_form(client, 2).status_code == 404  # cleo's couple has no coach chosen
    assert coach_form(client, 1, session_type="individual-session").status_code == 422
    assert coach_form(client, 1, count="1000").status_code == 422
    assert coach_form(client, 1, every="9").status_code == 422
    with app.app_context():
        assert len(rows(Booking, Booking.couple_id == 1)) == 0


class TestWithStripe:
    """With Stripe each session is its own Checkout: paying again opens the next one."""

    @pytest.fixture
    def config_overrides(self, standin):
        from tests.payment_data import stripe_config

        return stripe_config(standin)

    @pytest.fixture
    def standin(self):
        from tests.payment_data import WEBHOOK_SECRET
        from tests.stripe_standin import StripeStandIn

        with StripeStandIn(WEBHOOK_SECRET) as server:
            yield server

    def test_each_session_gets_its_own_checkout(self, app, client, setup, standin):
        login(client, "ana@example.com")
        location = book_series(client, setup["coach"], count=2).headers["Location"]
        token = csrf_token(client, location)
        first = client.post(location + "/pay", data={"csrf_token": token})
        second = client.post(location + "/pay", data={"csrf_token": token})
        again = client.post(location + "/pay", data={"csrf_token": token})
        assert first.status_code == second.status_code == 303
        assert first.headers["Location"] != second.headers["Location"]
        assert again.headers["Location"] == first.headers["Location"]  # both open: back to the first
        assert len(standin.sessions) == 2
        with app.app_context():
            assert {str(b.status) for b in rows(Booking)} == {"held"}
            assert {p.status for p in rows(Payment)} == {PaymentStatus.PENDING}
