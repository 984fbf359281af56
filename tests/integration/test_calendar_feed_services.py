"""What each person's calendar feed holds, on SQLite and PostgreSQL (parsed with icalendar)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from coaching import db
from coaching.feeds import services as feeds
from coaching.feeds.models import CalendarFeed
from coaching.scheduling import services
from coaching.scheduling.models import SessionKind
from tests.mail import sent_emails
from tests.scheduling_data import create_coach, create_couple, create_session_type, create_user_row, user_by_email

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
DAY = timedelta(days=1)


@pytest.fixture
def world(dbs, frozen_clock):
    joint = create_session_type("consultation")
    solo = create_session_type("individual-session", kind=SessionKind.INDIVIDUAL)
    coach = create_coach(name="Casey Coach", session_types=[joint, solo])
    create_couple("ana@example.com", "ben@example.com")
    create_couple("cy@example.com", "di@example.com")
    return coach


def book(coach, slug, start, email):
    return services.place_hold(db.session, user=user_by_email(email), coach_id=coach.id, session_type_slug=slug,
                               start=start, now=NOW)


def feed_of(email, now=NOW):
    content = feeds.feed_content(db.session, user_by_email(email), now)
    cal = Calendar.from_ical(feeds.render_feed(content, now))
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}, content


def test_each_partner_sees_joint_sessions_and_only_their_own_individual_ones(world):
    joint = book(world, "consultation", NOW + DAY, "ana@example.com")
    anas = book(world, "individual-session", NOW + DAY + timedelta(hours=2), "ana@example.com")
    bens = book(world, "individual-session", NOW + DAY + timedelta(hours=4), "ben@example.com")
    others = book(world, "consultation", NOW + 2 * DAY, "cy@example.com")
    ana, _ = feed_of("ana@example.com")
    ben, _ = feed_of("ben@example.com")
    coach, content = feed_of("coach@example.com")
    assert set(ana) == {joint.ical_uid, anas.ical_uid}
    assert set(ben) == {joint.ical_uid, bens.ical_uid}
    assert set(coach) == {joint.ical_uid, anas.ical_uid, bens.ical_uid, others.ical_uid}
    # Clients read a neutral title; the coach reads what and with whom.
    assert {str(e["SUMMARY"]) for e in (*ana.values(), *ben.values())} == {"Tandem appointment"}
    assert str(coach[bens.ical_uid]["SUMMARY"]) == "Individual session: Ben"
    assert str(coach[joint.ical_uid]["SUMMARY"]) == "Consultation: Ana & Ben"
    # Nothing of Ben's own session reaches Ana's feed, not even as an attendee.
    ana_text = feeds.render_feed(feeds.feed_content(db.session, user_by_email("ana@example.com"), NOW), NOW)
    assert bens.ical_uid not in ana_text and bens.video_url not in ana_text
    attendees = {str(a).lower() for a in ana[anas.ical_uid].get("ATTENDEE")}
    assert attendees == {"mailto:coach@example.com", "mailto:ana@example.com"}
    assert str(ana[joint.ical_uid]["ORGANIZER"]) == "mailto:hello@tandem.localhost"
    assert ana[joint.ical_uid].decoded("DTSTART") == NOW + DAY  # UTC instants
    assert content.name == "Tandem: Casey Coach"


def test_the_coach_feed_holds_blocked_time_and_people_without_a_couple_get_an_empty_feed(world):
    block = services.block_time(db.session, world, start=NOW + DAY, end=NOW + DAY + timedelta(hours=3), now=NOW)
    coach, _ = feed_of("coach@example.com")
    assert str(coach[block.ical_uid]["SUMMARY"]) == "Blocked time" and "ATTENDEE" not in coach[block.ical_uid]
    create_user_row("solo@example.com")  # neither a coach nor in a couple
    db.session.commit()
    empty, _ = feed_of("solo@example.com")
    assert empty == {}


def test_a_cancelled_session_stays_as_cancelled_for_30_days_then_leaves(world):
    booking = book(world, "consultation", NOW + 3 * DAY, "ana@example.com")
    services.cancel_booking(db.session, booking, now=NOW, by_coach=True, reason="ill")
    for email in ("ana@example.com", "ben@example.com", "coach@example.com"):
        events, _ = feed_of(email, NOW + 29 * DAY)
        assert str(events[booking.ical_uid]["STATUS"]) == "CANCELLED", email
        assert int(events[booking.ical_uid]["SEQUENCE"]) == 1
    gone, _ = feed_of("ana@example.com", NOW + 31 * DAY)
    assert booking.ical_uid not in gone


def test_a_moved_session_keeps_its_uid_and_leaves_no_cancelled_ghost(world):
    first = book(world, "consultation", NOW + 3 * DAY, "ana@example.com")
    uid = first.ical_uid
    moved = services.reschedule_booking(db.session, first, new_start=NOW + 4 * DAY, now=NOW, by_coach=True)
    events, _ = feed_of("ben@example.com")
    assert list(events) == [uid] and moved.ical_uid == uid
    assert events[uid].decoded("DTSTART") == NOW + 4 * DAY and int(events[uid]["SEQUENCE"]) == 1
    assert str(events[uid]["STATUS"]) == "CONFIRMED"


def test_old_sessions_drop_out_after_the_configured_days(world, app):
    booking = book(world, "consultation", NOW + DAY, "ana@example.com")
    assert booking.ical_uid in feed_of("ana@example.com", NOW + 80 * DAY)[0]
    assert booking.ical_uid not in feed_of("ana@example.com", NOW + 92 * DAY)[0]
    app.config["CALENDAR_FEED_PAST_DAYS"] = 365
    assert booking.ical_uid in feed_of("ana@example.com", NOW + 92 * DAY)[0]


def test_the_etag_changes_exactly_when_the_feed_would(world):
    _, before = feed_of("ana@example.com")
    _, again = feed_of("ana@example.com", NOW + timedelta(hours=1))
    assert before.etag == again.etag
    book(world, "individual-session", NOW + DAY, "ben@example.com")  # Ben's own: not in Ana's feed
    assert feed_of("ana@example.com")[1].etag == before.etag
    joint = book(world, "consultation", NOW + 2 * DAY, "ben@example.com")
    with_joint = feed_of("ana@example.com")[1].etag
    assert with_joint != before.etag
    user_by_email("ben@example.com").name = "Benedict"  # a name the joint session's attendees show
    db.session.commit()
    renamed = feed_of("ana@example.com")[1].etag
    assert renamed != with_joint
    services.cancel_booking(db.session, joint, now=NOW, by_coach=True, reason="ill")
    assert feed_of("ana@example.com")[1].etag != renamed


def test_only_the_digest_is_stored_and_renewing_or_revoking_ends_the_old_secret(world):
    ana = user_by_email("ana@example.com")
    first = feeds.issue_feed(db.session, ana, NOW)
    row = db.session.scalar(select(CalendarFeed))
    assert first not in " ".join(str(v) for v in vars(row).values()) and row.token_hash == feeds.digest(first)
    assert feeds.feed_for_token(db.session, first).user_id == ana.id
    second = feeds.issue_feed(db.session, ana, NOW + DAY)
    assert feeds.feed_for_token(db.session, first) is None and feeds.feed_for_token(db.session, second) is not None
    assert len(db.session.scalars(select(CalendarFeed)).all()) == 1
    assert feeds.revoke_feed(db.session, ana) and feeds.feed_for_token(db.session, second) is None
    assert not feeds.revoke_feed(db.session, ana)


def test_email_invitations_name_the_organizer_and_only_the_people_who_may_see_the_booking(world):
    solo = book(world, "individual-session", NOW + DAY, "ben@example.com")
    [to_ben] = sent_emails(to="ben@example.com")
    [to_coach] = sent_emails(to="coach@example.com")
    assert not sent_emails(to="ana@example.com")
    ben_event = next(iter(Calendar.from_ical(to_ben.attachments[0]["content"]).walk("VEVENT")))
    assert str(ben_event["ORGANIZER"]) == "mailto:hello@tandem.localhost"
    assert ben_event["ORGANIZER"].params["CN"] == "Tandem"
    assert {str(a) for a in ben_event["ATTENDEE"]} == {"mailto:coach@example.com", "mailto:ben@example.com"}
    assert str(ben_event["SUMMARY"]) == "Tandem appointment" and str(ben_event["UID"]) == solo.ical_uid
    assert "/bookings/manage/" in str(ben_event["DESCRIPTION"])
    coach_event = next(iter(Calendar.from_ical(to_coach.attachments[0]["content"]).walk("VEVENT")))
    assert str(coach_event["SUMMARY"]) == "Individual session: Ben"
    assert "/bookings/manage/" not in str(coach_event["DESCRIPTION"])
    joint = book(world, "consultation", NOW + 2 * DAY, "ana@example.com")
    invite = sent_emails(to="ana@example.com")[-1].attachments[0]["content"]
    event = next(iter(Calendar.from_ical(invite).walk("VEVENT")))
    assert str(event["UID"]) == joint.ical_uid
    assert {str(a) for a in event["ATTENDEE"]} == {"mailto:coach@example.com", "mailto:ana@example.com",
                                                   "mailto:ben@example.com"}
