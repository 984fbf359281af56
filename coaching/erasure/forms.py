"""Leaving forms: the shape of input only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=256)],
                             description="Asked again so that nobody else can delete your account.")
    confirm = BooleanField("I understand that my account and my answers will be erased after the waiting period",
                           validators=[DataRequired(message="Tick the box to confirm.")])


class EndCoupleForm(FlaskForm):
    confirm = BooleanField("I want to end our couple on Tandem",
                           validators=[DataRequired(message="Tick the box to confirm.")])


class KeepAccountForm(FlaskForm):
    """Only the CSRF token: the "Keep my account" button."""
