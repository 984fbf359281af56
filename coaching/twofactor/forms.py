"""Second-factor forms: the shape of input only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

CODE_HELP = "The six-digit code your authenticator app shows for Tandem, or one of your recovery codes."


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)], description=CODE_HELP,
                       render_kw={"inputmode": "text", "autocapitalize": "off", "spellcheck": "false"})


class EnrolForm(FlaskForm):
    code = StringField("Code from your app", validators=[DataRequired(), Length(max=32)],
                       description="Six digits, shown by your authenticator app after you add Tandem.",
                       render_kw={"inputmode": "numeric", "autocapitalize": "off"})


class RegenerateForm(FlaskForm):
    code = StringField("Current code from your app", validators=[DataRequired(), Length(max=32)],
                       description="Six digits. Your old recovery codes stop working.",
                       render_kw={"inputmode": "numeric", "autocapitalize": "off"})


class TurnOffForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=256)])
    code = StringField("Current code from your app, or a recovery code",
                       validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocapitalize": "off", "spellcheck": "false"})


class EmptyForm(FlaskForm):
    """Only the CSRF token, for buttons that POST."""
