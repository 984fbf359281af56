"""Series forms: the shape of input only (the rules live in ``plan`` and ``services``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length


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
