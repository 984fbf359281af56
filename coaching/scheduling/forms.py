"""Scheduling forms: the shape of input only (rules live in the services)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from coaching.form_fields import CheckboxesField
from coaching.timezones import zone_choices
from coaching.validation import SaneDate

DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
             "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}
HOURS_HELP = "Ranges like 09:00-12:00, 13:00-17:00. Leave empty for a day off."


class SlotForm(FlaskForm):
    start = HiddenField(validators=[DataRequired()])


class WeeklyHoursForm(FlaskForm):
    timezone = SelectField("Your time zone", validate_choice=False)
    mon = StringField("Monday", validators=[Length(max=200)], description=HOURS_HELP)
    tue = StringField("Tuesday", validators=[Length(max=200)])
    wed = StringField("Wednesday", validators=[Length(max=200)])
    thu = StringField("Thursday", validators=[Length(max=200)])
    fri = StringField("Friday", validators=[Length(max=200)])
    sat = StringField("Saturday", validators=[Length(max=200)])
    sun = StringField("Sunday", validators=[Length(max=200)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices()


class OverrideForm(FlaskForm):
    on_date = DateField("Date", validators=[InputRequired(message="Choose a date."), SaneDate()])
    start = TimeField("From", validators=[Optional()])
    end = TimeField("Until", validators=[Optional()])
    closed = BooleanField("Closed all day")


class TimeOffForm(FlaskForm):
    start_date = DateField("First day off", validators=[InputRequired(message="Choose the first day."), SaneDate()])
    end_date = DateField("Last day off", validators=[InputRequired(message="Choose the last day."), SaneDate()])
    reason = StringField("Note (only you see it)", validators=[Optional(), Length(max=200)])


class SessionTypesForm(FlaskForm):
    offered = CheckboxesField("Session types you offer", choices=[], validate_choice=False)


class BlockForm(FlaskForm):
    on_date = DateField("Date", validators=[InputRequired(message="Choose a date."), SaneDate()])
    start = TimeField("From", validators=[InputRequired(message="Give a start time.")])
    end = TimeField("Until", validators=[InputRequired(message="Give an end time.")])


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason (the couple will see it)", validators=[Length(max=500)])


class ClientCancelForm(FlaskForm):
    reason = TextAreaField("Anything your coach should know? (optional)", validators=[Length(max=500)])


class AttendanceForm(FlaskForm):
    outcome = HiddenField(validators=[DataRequired()])


class EntryForm(FlaskForm):
    """A bare form (CSRF only) for removing an entry."""


class OpenJointForm(FlaskForm):
    """The coach opens joint sessions for a couple (see ``scheduling.gate``)."""

    flags_reviewed = BooleanField("I have reviewed this couple's safety flag and spoken with each partner "
                                  "alone; joint sessions are appropriate")
    note = TextAreaField("Note for the admins (required when a safety flag is not resolved)",
                         validators=[Optional(), Length(max=4000)])
