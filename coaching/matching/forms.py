"""Matching forms: the shape of input only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from coaching.validation import MAX_DATABASE_ID


class ChooseCoachForm(FlaskForm):
    coach_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_DATABASE_ID)])


class NoneFitForm(FlaskForm):
    missing = TextAreaField("What were you hoping for that you did not find?",
                            validators=[DataRequired(), Length(max=2000)])


class RematchForm(FlaskForm):
    reason = TextAreaField("Why would you like another coach? (optional, your partner sees this)",
                           validators=[Length(max=1000)])


class AssignCoachForm(FlaskForm):
    coach_id = SelectField("Coach", coerce=int, validate_choice=True)
    reason = TextAreaField("Reason for this assignment", validators=[DataRequired(), Length(max=2000)])
