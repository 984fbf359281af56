"""Payment forms: the shape of input only (amounts are parsed to integer minor units)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from coaching.form_fields import select_choices
from coaching.payments.states import PaymentStatus
from coaching.validation import SaneDate

#: A reference is one line of printable text (a NUL byte would not even reach PostgreSQL).
ONE_LINE = Regexp(r"^[^\x00-\x1f\x7f]*$", message="Use letters, digits and punctuation only.")

METHODS = [("bank_transfer", "Bank transfer"), ("card_terminal", "Card terminal"), ("cash", "Cash"),
           ("cheque", "Cheque"), ("other", "Other")]


def to_cents(text: str) -> int:
    """``"12.5"`` -> 1250; raises ``ValueError`` for anything but a plain amount with <= 2 decimals."""
    try:
        amount = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise ValueError("Enter an amount such as 40 or 40.00.") from exc
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("Enter an amount such as 40 or 40.00.")
    return int(amount * 100)


class RefundForm(FlaskForm):
    amount = StringField("Amount to refund", validators=[DataRequired(), Length(max=20)],
                         description="In the payment's currency, e.g. 40.00.")
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=400)])

    def validate_amount(self, field: StringField) -> None:
        try:
            self.cents = to_cents(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class ManualPaymentForm(FlaskForm):
    method = SelectField("Method", choices=select_choices(METHODS))
    reference = StringField("Reference", validators=[Length(max=120), ONE_LINE],
                            description="E.g. the bank transfer reference.")
    paid_on = DateField("Paid on", validators=[DataRequired(message="Enter the date it was paid.")])


class ManualRefundForm(FlaskForm):
    """How an owed refund was sent back (the manual provider)."""

    method = SelectField("Sent by", choices=select_choices(METHODS))
    reference = StringField("Reference", validators=[Length(max=120), ONE_LINE],
                            description="E.g. the bank transfer reference.")
    sent_on = DateField("Sent on", validators=[DataRequired(message="Enter the date it was sent.")])


class PolicyForm(FlaskForm):
    refund_hours = IntegerField("Full refund up to (hours before the session)",
                                validators=[InputRequired(), NumberRange(min=0, max=24 * 30)])
    late_percent = IntegerField("Refund after that (percent)",
                                validators=[InputRequired(), NumberRange(min=0, max=100)])


class PackageForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    session_type_id = SelectField("Session type", coerce=int, validate_choice=True)
    sessions = IntegerField("Sessions", validators=[DataRequired(), NumberRange(min=1, max=50)])
    discount_percent = IntegerField("Discount (percent)", default=0, validators=[InputRequired(), NumberRange(min=0, max=100)])
    valid_months = IntegerField("Valid for (months)", default=6, validators=[DataRequired(),
                                                                              NumberRange(min=1, max=36)])


class PaymentFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField("Status", default="", choices=select_choices(
        [("", "Any")] + [(s.value, s.value.replace("_", " ")) for s in PaymentStatus]))
    coach = SelectField("Coach", choices=select_choices([("", "Any")]), default="", validate_choice=False)
    provider = SelectField("Provider", default="",
                           choices=select_choices([("", "Any"), ("stripe", "Stripe"), ("manual", "Manual")]))
    date_from = DateField("From", validators=[Optional(), SaneDate()])
    date_to = DateField("To", validators=[Optional(), SaneDate()])


class EmptyToggle(FlaskForm):
    active = HiddenField()
