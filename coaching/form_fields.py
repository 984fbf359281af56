"""Form field types shared by several features."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from wtforms import Form, SelectMultipleField
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email
from wtforms.widgets import CheckboxInput, ListWidget


def select_choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms choices (plain tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EmailAddress(Email):
    """WTForms' ``Email``, also accepting ``.test`` addresses when ``ACCEPT_TEST_EMAIL_DOMAINS`` is on
    (development; email-validator's own ``test_environment`` switch, read per request)."""

    def __call__(self, form: Form, field: Field) -> None:
        allow = bool(current_app.config.get("ACCEPT_TEST_EMAIL_DOMAINS"))
        Email(message=self.message, granular_message=self.granular_message,
              test_environment=True if allow else None)(form, field)
