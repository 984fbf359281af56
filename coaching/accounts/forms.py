"""Account forms: the shape of input only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from coaching.form_fields import EmailAddress
from coaching.timezones import is_valid_zone, zone_choices

PASSWORD_RULES = [DataRequired(), Length(min=10, max=256, message="Use 10 to 256 characters.")]


def _zone(form: FlaskForm, field: SelectField) -> None:
    if not is_valid_zone(field.data or ""):
        raise ValidationError("Choose a time zone from the list.")


class RegisterForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), EmailAddress(), Length(max=254)])
    password = PasswordField("Password", validators=PASSWORD_RULES,
                             description="At least 10 characters.")
    timezone = SelectField("Your time zone", validators=[_zone], validate_choice=False,
                           default="America/New_York")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices()
        if not self.is_submitted():  # nothing chosen yet: static/js/browser_zone.js may preselect
            self.timezone.render_kw = {"data-browser-zone": "default"}


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me logged in on this device")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), EmailAddress(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=PASSWORD_RULES)
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    password = PasswordField("New password", validators=PASSWORD_RULES)
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class ApiTokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=256)],
                             description="Asked again before a new token is made.")


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""
