"""Add to calendar (an .ics download, Google Calendar and Outlook links) and private calendar feeds.

- ``GET /bookings/<id>/calendar.ics``: one booking as the signed-in person sees it (ownership
  by ``visible_booking``: the other partner's individual session or another couple's is a 404).
- ``GET /calendar/feed/<token>.ics``: a person's feed, anonymous (calendar programs fetch it),
  with ETag / Last-Modified and 304s, rate-limited per feed and per address; the token is
  redacted from access logs (``coaching.access_log``: the rule's variable is named ``token``).
- ``/account/calendar``: make (shown once, on the page the POST redirects to), renew or revoke one's feed.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.http import http_date, is_resource_modified

from coaching import clock, db
from coaching.accounts.forms import EmptyForm
from coaching.accounts.models import User
from coaching.extensions import limiter
from coaching.feeds import services
from coaching.scheduling import entries, invitations
from coaching.scheduling.models import Booking, BookingStatus
from coaching.scheduling.services import NotFound, visible_booking
from coaching.timezones import is_valid_zone

bp = Blueprint("feeds", __name__)

ICS = "text/calendar; charset=utf-8"
DOWNLOADABLE = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED)


# --- one booking -------------------------------------------------------------------------------


@bp.get("/bookings/<int:booking_id>/calendar.ics")
@login_required
def download(booking_id: int):
    try:
        booking = visible_booking(db.session, current_user, booking_id)
    except NotFound:
        abort(404)
    if booking.status not in DOWNLOADABLE:  # a hold is not an appointment yet
        abort(404)
    event = services.download_event(db.session, booking, current_user)
    body = invitations.calendar([event], stamp=clock.now(), method="PUBLISH")
    return Response(body, content_type=ICS,
                    headers={"Content-Disposition": 'attachment; filename="tandem-appointment.ics"'})


@bp.app_template_global("calendar_links")
def calendar_links(booking: Booking) -> dict[str, str] | None:
    """Add-to-calendar links for ``booking`` as the current viewer sees it; None unless confirmed.

    A viewer who is not signed in (a client on an emailed manage link) gets the client's view."""
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        return None
    if current_user.is_authenticated:
        event = services.download_event(db.session, booking, current_user)
    else:
        zone = request.args.get("tz", "")
        zone = zone if is_valid_zone(zone) else "UTC"
        [event] = entries.events_for(db.session, [booking], entries.Viewer(is_coach=False, zone=zone))
    return {"ics": url_for("feeds.download", booking_id=booking.id),
            "google": invitations.google_calendar_url(event),
            "outlook": invitations.outlook_url(event, "outlook"),
            "office": invitations.outlook_url(event, "office")}


# --- the feed ----------------------------------------------------------------------------------


def _feed_key() -> str:
    """Rate-limit key of one feed: a digest of the token, never the token itself."""
    token = (request.view_args or {}).get("token", "")
    return "feed:" + services.digest(str(token))[:24]


@bp.get("/calendar/feed/<token>")
@limiter.limit(lambda: current_app.config["CALENDAR_FEED_LIMIT_PER_IP"])
@limiter.limit(lambda: current_app.config["CALENDAR_FEED_LIMIT"], key_func=_feed_key)
def feed(token: str):
    feed_row = services.feed_for_token(db.session, token.removesuffix(".ics"))
    if feed_row is None:
        abort(404)
    owner = db.session.get(User, feed_row.user_id)
    if owner is None or not owner.is_active:
        abort(404)
    now = clock.now()
    content = services.feed_content(db.session, owner, now)
    last_modified = services.note_fetch(db.session, feed_row, content.etag, now)
    headers = {"ETag": f'"{content.etag}"', "Cache-Control": "private, no-cache",
               "Last-Modified": http_date(last_modified)}
    if not is_resource_modified(request.environ, etag=content.etag, last_modified=last_modified):
        return Response(status=304, headers=headers)
    body = services.render_feed(content, now)
    return Response(body, content_type=ICS, headers={**headers, "Content-Disposition": 'inline; filename="tandem.ics"'})


# --- the account page --------------------------------------------------------------------------


def _feed_url(token: str) -> str:
    return f"{current_app.config['TANDEM_BASE_URL']}/calendar/feed/{token}.ics"


def _page(new_url: str | None = None):  # type: ignore[no-untyped-def]
    row = services.feed_of(db.session, current_user)
    webcal = "webcal://" + new_url.split("://", 1)[1] if new_url else None
    return render_template("feeds/calendar.html", feed=row, new_url=new_url, webcal=webcal,
                           form=EmptyForm())


@bp.get("/account/calendar")
@login_required
def account_calendar():
    token = session.pop("new_calendar_feed", None)  # shown once, on the page the POST redirects to
    return _page(new_url=_feed_url(token) if token else None)


@bp.post("/account/calendar/new")
@login_required
def new_feed():
    if not EmptyForm().validate_on_submit():
        abort(400)
    session["new_calendar_feed"] = services.issue_feed(db.session, current_user, clock.now())
    return redirect(url_for("feeds.account_calendar"), code=303)  # a reload must not make another


@bp.post("/account/calendar/revoke")
@login_required
def revoke_feed():
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.revoke_feed(db.session, current_user):
        flash("Your calendar feed is turned off. Calendars subscribed to it no longer get your sessions.", "success")
    return redirect(url_for("feeds.account_calendar"))
