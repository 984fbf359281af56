"""Notes forms: the shape of input only (CSRF on every one). The rules are in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from coaching.notes import note_templates as nt

# Room for the service's own, clearer check: the form only stops absurd sizes early.
_FIELD_MAX = nt.SECTION_MAX


class NoteForm(FlaskForm):
    """A draft's sections (``section-<key>`` fields, added per template) and what the form was
    made for: the template key and version and the draft's revision."""

    template_key = HiddenField()
    template_version = HiddenField()
    revision = HiddenField()


def note_form(template: nt.Template, **kwargs: object) -> NoteForm:
    """A ``NoteForm`` with one text area per section of ``template``."""

    class _Form(NoteForm):
        pass

    for section in template.sections:
        setattr(_Form, f"section-{section.key}",
                TextAreaField(section.label, description=section.help, validators=[Length(max=_FIELD_MAX)]))
    return _Form(**kwargs)


def section_values(form: NoteForm, template: nt.Template) -> dict[str, str | None]:
    return {s.key: form[f"section-{s.key}"].data for s in template.sections}


class SignForm(FlaskForm):
    """Signing: CSRF only."""


class AddendumForm(FlaskForm):
    body = TextAreaField("Addendum", description="A correction or addition; it is signed when you add it "
                         "and can never change.", validators=[Length(max=_FIELD_MAX)])


class BreakGlassForm(FlaskForm):
    reason = TextAreaField("Why do you need to read this couple's notes?",
                           description="The coach sees this reason in the record's access log.",
                           validators=[Length(max=2000)])
