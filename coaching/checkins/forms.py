"""Check-in forms: the shape of input only (answers are checked by ``questionnaire.validate``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class AnswersForm(FlaskForm):
    """CSRF and the questionnaire version; the questions come from the intake's definitions."""

    version = HiddenField()


class SendForm(FlaskForm):
    """Only the CSRF token: the coach's "send a check-in" button."""
