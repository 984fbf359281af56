"""Forms of the calendar connection page: the shape of input only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class CalDAVForm(FlaskForm):
    url = StringField("CalDAV server or calendar address", validators=[DataRequired(), Length(max=2000)],
                      description="For example https://caldav.fastmail.com/dav/calendars/user/you@example.com/ "
                                  "or your server's address; Tandem uses your first calendar unless the "
                                  "address is one calendar.")
    username = StringField("User name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("App password", validators=[DataRequired(), Length(max=500)],
                             description="An app-specific password from your calendar provider; stored encrypted.")


class SubscriptionForm(FlaskForm):
    url = StringField("Secret iCal address", validators=[DataRequired(), Length(max=2000)],
                      description="The private address ending in .ics that Google Calendar, Outlook or "
                                  "iCloud shows for sharing a calendar (read only).")


class ActionForm(FlaskForm):
    """Disconnect or sync now: the CSRF token only."""
