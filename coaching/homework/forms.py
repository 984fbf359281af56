"""Homework forms: the shape of input only (lengths and who-may-see rules live in the services)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField

from coaching.form_fields import select_choices
from coaching.homework import rules

AUDIENCE_LABELS = {rules.COACH_ONLY: "For my coach only",
                   rules.SHARED: "For my coach and my partner"}


class ShareForm(FlaskForm):
    summary = TextAreaField("Summary of the session",
                            description=f"What you would like the couple to take home (at most {rules.SUMMARY_MAX:,} characters).")
    homework = TextAreaField("Homework, one item per line",
                             description=f"Between 1 and {rules.ITEMS_MAX} items.")


class DoneForm(FlaskForm):
    done = HiddenField()


class ReflectionForm(FlaskForm):
    text = TextAreaField("Your reflection", description=f"At most {rules.REFLECTION_MAX:,} characters.")
    audience = RadioField("Who may read it", validate_choice=False, default=rules.COACH_ONLY)

    def __init__(self, *args: object, individual: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.audience.choices = select_choices(
            (value, AUDIENCE_LABELS[value]) for value in rules.reflection_choices(individual))
