"""Profile forms (``/account/profile``): the shape of input only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from coaching.form_fields import EmailAddress
from coaching.timezones import canonical_zones, zone_choices


class ProfileForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    timezone = SelectField("Your time zone", validate_choice=False,
                           description="Every time on Tandem is shown to you in this zone.")

    def __init__(self, *args: object, current_zone: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._current_zone = current_zone
        self.timezone.choices = zone_choices(current_zone)

    def validate_timezone(self, field: SelectField) -> None:
        # The canonical list offered on registration; a person's existing (older) zone may stay.
        if field.data not in canonical_zones() and field.data not in ("UTC", self._current_zone):
            raise ValidationError("Choose a time zone from the list.")

    def validate_name(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Please enter your name.")


class ChangeEmailForm(FlaskForm):
    email = EmailField("New email address", validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       description="We send a link to the new address; it changes when you open it.")
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=256)],
                             description="Asked again before the address can change.")
