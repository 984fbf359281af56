"""The notifications form: which optional emails a person gets."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField


class NotificationsForm(FlaskForm):
    reminders = BooleanField("Email me a reminder before each session")
    homework_emails = BooleanField("Email me when my coach shares a session summary or homework")
