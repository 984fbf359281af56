"""Admin forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from coaching.form_fields import EmailAddress
from coaching.timezones import is_valid_zone, zone_choices


class CreateCoachForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), EmailAddress(), Length(max=254)])
    timezone = SelectField("Time zone", validate_choice=False, default="America/New_York")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices()

    def validate_timezone(self, field: SelectField) -> None:
        if not is_valid_zone(field.data or ""):
            raise ValidationError("Choose a time zone from the list.")


class OwnZoneForm(FlaskForm):
    """The admin's own time zone: every time on the admin pages is shown in it."""

    timezone = SelectField("Your time zone", validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices()

    def validate_timezone(self, field: SelectField) -> None:
        if not is_valid_zone(field.data or ""):
            raise ValidationError("Choose a time zone from the list.")
