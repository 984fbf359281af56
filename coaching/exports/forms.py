"""Export forms: the shape of input only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField


class RequestExportForm(FlaskForm):
    include_notes = BooleanField("Also ask for my coach's notes (the practice reviews them first)")


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""
