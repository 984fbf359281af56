"""Series forms: the shape of input only (the rules live in ``plan`` and ``services``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length

from coaching.form_fields import select_choices
from coaching.validation import SaneDate


class SeriesSlotForm(FlaskForm):
    """The first time of a series (the interval and count ride in the action's query string)."""

    start = HiddenField(validators=[DataRequired()])


class ResolveForm(FlaskForm):
    """After a clash: each ``occ-<n>`` field is a chosen start (ISO) or ``drop`` (read by the view)."""


class PayForm(FlaskForm):
    """Pay for the series' held sessions (CSRF only)."""


class SeriesCancelForm(FlaskForm):
    booking_id = HiddenField(validators=[DataRequired()])
    scope = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Anything your coach should know? (optional)", validators=[Length(max=500)])


class CoachSeriesForm(FlaskForm):
    """The coach books a series of joint sessions for a couple, at a time in the coach's zone."""

    session_type = SelectField("Session", validate_choice=False)
    on_date = DateField("First date", validators=[InputRequired(message="Choose the first date."), SaneDate()])
    start = TimeField("Time (your time zone)", validators=[InputRequired(message="Give a start time.")])
    every = SelectField("Repeat", choices=select_choices([("1", "Every week"), ("2", "Every other week")]))
    count = SelectField("Number of sessions", choices=select_choices((str(n), str(n)) for n in range(2, 13)),
                        default="6")
