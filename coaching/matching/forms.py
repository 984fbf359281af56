"""Matching forms: the shape of input only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class ChooseCoachForm(FlaskForm):
    coach_id = IntegerField(validators=[InputRequired(), NumberRange(min=1)])


class NoneFitForm(FlaskForm):
    missing = TextAreaField("What were you hoping for that you did not find?",
                            validators=[DataRequired(), Length(max=2000)])


class RematchForm(FlaskForm):
    reason = TextAreaField("Why would you like another coach? (optional, your partner sees this)",
                           validators=[Length(max=1000)])
    # Asked of each partner privately; the next coach reads earlier notes only if both say yes.
    share_notes = BooleanField("Our next coach may read the notes our current coach kept "
                               "(only if my partner agrees too; your partner does not see your answer)",
                               default=False)


class AssignCoachForm(FlaskForm):
    coach_id = SelectField("Coach", coerce=int, validate_choice=True)
    reason = TextAreaField("Reason for this assignment", validators=[DataRequired(), Length(max=2000)])
