"""Coach profile forms: the shape of input only. Vocabularies are the intake's, so both sides
of a match speak the same words."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from coaching.coaches.catalog import FORMATS
from coaching.form_fields import CheckboxesField, select_choices
from coaching.intake.questionnaire import APPROACHES, CONCERNS, GENDERS, LANGUAGES


class CoachProfileForm(FlaskForm):
    bio = TextAreaField("About you (shown to couples)", validators=[Length(max=5000)])
    languages = CheckboxesField("Languages you coach in", choices=select_choices(LANGUAGES),
                                validators=[DataRequired("Choose at least one language.")])
    specialties = CheckboxesField("What you work with", choices=select_choices(c for c in CONCERNS if c[0] != "other"))
    approaches = CheckboxesField("Approaches", choices=select_choices(APPROACHES))
    formats = CheckboxesField("Formats", choices=select_choices((f, f.replace("_", " ").capitalize()) for f in FORMATS),
                              validators=[DataRequired("Choose at least one format.")])
    gender = SelectField("Gender (used only when a couple asks)", choices=select_choices([("", "Prefer not to say"), *GENDERS]))
    lgbtq_affirming = BooleanField("LGBTQ+ affirming practice")
    faith_based = BooleanField("Faith-based practice")


class AdminCoachProfileForm(CoachProfileForm):
    accepting_new = BooleanField("Accepting new couples")
    max_active_couples = IntegerField("Capacity (active couples)",
                                      validators=[InputRequired(), NumberRange(min=0, max=1000)])
    safety_trained = BooleanField("Trained for couples flagged by the safety screen")
