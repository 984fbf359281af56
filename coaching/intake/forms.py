"""Intake forms: the shape of input only. Answers are checked by ``questionnaire.validate``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField, \
    TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from coaching.accounts.forms import PASSWORD_RULES, _zone
from coaching.form_fields import EmailAddress
from coaching.timezones import zone_choices


class StepForm(FlaskForm):
    """CSRF and the questionnaire version; the questions themselves come from the definitions."""

    version = HiddenField()


class ConsentForm(FlaskForm):
    terms = BooleanField("I agree to Tandem's terms of service.")
    sharing = BooleanField("I have read how our answers are shared between us and with our coach.")
    sensitive_data = BooleanField("I agree that Tandem stores and processes sensitive information I give "
                                  "about my relationship, health and safety, for my coaching.")


class InviteForm(FlaskForm):
    email = EmailField("Your partner's email", validators=[DataRequired(), EmailAddress(), Length(max=254)])


class JoinRegisterForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    password = PasswordField("Password", validators=PASSWORD_RULES, description="At least 10 characters.")
    timezone = SelectField("Your time zone", validators=[_zone], validate_choice=False,
                           default="America/New_York")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices()
        if not self.is_submitted():  # nothing chosen yet: static/js/browser_zone.js may preselect
            self.timezone.render_kw = {"data-browser-zone": "default"}


class SafetyGateForm(FlaskForm):
    private = RadioField("Are you somewhere you can answer privately right now?",
                         choices=[SelectChoice("yes", "Yes, I can answer privately"),
                                  SelectChoice("no", "No, not right now")],
                         validators=[InputRequired("Please choose one.")])


class ReviewForm(FlaskForm):
    note = TextAreaField("Note", validators=[Length(max=4000)])


class EmptyForm(FlaskForm):
    """Only the CSRF token, for buttons that POST."""
