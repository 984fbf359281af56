"""Note templates are versioned data; content is cleaned plain text with a stable digest."""

from __future__ import annotations

import pytest

from coaching.notes import content
from coaching.notes import note_templates as nt


def test_there_are_consultation_joint_individual_and_couple_templates_each_with_named_sections():
    for key in ("consultation", "joint", "individual", "couple"):
        template = nt.current(key)
        assert template.version == nt.CURRENT[key] and template.sections
        assert all(s.key and s.label for s in template.sections)


@pytest.mark.parametrize("key, version", [("joint", 99), ("joint", 0), ("nope", 1)])
def test_an_unknown_template_version_is_refused(key, version):
    with pytest.raises(nt.UnknownTemplate):
        nt.get(key, version)


def test_a_session_gets_the_consultation_individual_or_joint_template():
    assert nt.for_session("consultation", "joint").key == "consultation"
    assert nt.for_session("individual-session", "individual").key == "individual"
    assert nt.for_session("couples-session", "joint").key == "joint"


def test_sections_are_kept_as_plain_text_with_line_breaks_and_without_control_characters():
    cleaned = nt.clean_sections(nt.current("couple"), {"note": " <b>hi</b>\r\nthere\x00\x07 ", "other": "x"})
    assert cleaned == {"note": "<b>hi</b>\nthere"}


def test_an_oversized_section_is_refused_with_its_name():
    with pytest.raises(nt.NoteInvalid) as caught:
        nt.clean_sections(nt.current("joint"), {"plan": "x" * (nt.SECTION_MAX + 1)})
    assert list(caught.value.errors) == ["plan"]


def test_the_digest_is_over_the_canonical_plaintext_and_changes_with_any_word():
    def digest(text: str, version: int = 1) -> str:
        return content.sha256(content.canonical_note(
            note_id=1, couple_id=2, booking_id=3, template_key="couple", template_version=version,
            section_keys=["note"], sections={"note": text}))

    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert digest(composed) == digest(decomposed)  # NFC: one text, one digest
    assert digest("a") != digest("b") and digest("a") != digest("a", version=2)
    assert len(digest("a")) == 64
