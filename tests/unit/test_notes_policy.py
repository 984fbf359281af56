"""Who reads which note: the rules of ``coaching.notes.policy``, case by case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coaching.notes.policy import Access, CoupleFacts, Viewer, may_open_record, may_write, note_access

NOW = datetime(2026, 11, 2, 15, tzinfo=UTC)
EARLY = NOW - timedelta(days=60)   # a note by the previous coach (id 1)
REMATCH = NOW - timedelta(days=30)
LATE = NOW - timedelta(days=10)    # a note by the current coach (id 2)

CURRENT = Viewer(user_id=20, role="coach", coach_id=2)
PREVIOUS = Viewer(user_id=10, role="coach", coach_id=1)
OTHER = Viewer(user_id=30, role="coach", coach_id=3)
ADMIN = Viewer(user_id=1, role="admin")
PARTNER = Viewer(user_id=40, role="client")
VISITOR = Viewer(user_id=None, role=None)


def facts(*, handover: bool = False, glass_until: datetime | None = None) -> CoupleFacts:
    return CoupleFacts(couple_id=7, current_coach_id=2, handovers=(REMATCH,) if handover else (),
                       break_glass_until=glass_until)


def access(viewer: Viewer, author: int, created: datetime, **kw: object) -> Access:
    return note_access(viewer, facts(**kw), author_coach_id=author, created_at=created, now=NOW)


@pytest.mark.parametrize("viewer", [PARTNER, VISITOR])
def test_partners_and_visitors_never_learn_that_a_note_exists(viewer):
    assert access(viewer, 2, LATE) == Access.NONE
    assert access(viewer, 1, EARLY, handover=True) == Access.NONE
    assert not may_open_record(viewer, facts()) and not may_write(viewer, facts())


def test_the_assigned_coach_reads_their_own_notes():
    assert access(CURRENT, 2, LATE) == Access.CONTENT
    assert may_open_record(CURRENT, facts()) and may_write(CURRENT, facts(), author_coach_id=2)


def test_the_new_coach_sees_only_that_earlier_notes_exist_without_both_partners_consent():
    assert access(CURRENT, 1, EARLY) == Access.EXISTS


def test_the_new_coach_reads_earlier_notes_after_both_partners_agreed_to_hand_them_over():
    assert access(CURRENT, 1, EARLY, handover=True) == Access.CONTENT


def test_a_handover_covers_only_notes_written_before_that_rematch():
    written_after = REMATCH + timedelta(days=1)  # e.g. a late note by another coach
    assert access(CURRENT, 1, written_after, handover=True) == Access.EXISTS


def test_the_new_coach_never_edits_or_annotates_an_earlier_coachs_note():
    assert not may_write(CURRENT, facts(handover=True), author_coach_id=1)


def test_a_previous_coach_keeps_their_own_notes_and_nothing_newer():
    assert access(PREVIOUS, 1, EARLY) == Access.CONTENT
    assert access(PREVIOUS, 2, LATE) == Access.NONE
    assert access(PREVIOUS, 2, LATE, handover=True) == Access.NONE
    assert not may_open_record(PREVIOUS, facts()) and not may_write(PREVIOUS, facts(), author_coach_id=1)


def test_an_unassigned_coach_sees_nothing():
    assert access(OTHER, 2, LATE) == Access.NONE and access(OTHER, 1, EARLY, handover=True) == Access.NONE
    assert not may_open_record(OTHER, facts())


def test_admins_see_metadata_only_until_they_break_the_glass_and_only_while_it_is_open():
    assert access(ADMIN, 2, LATE) == Access.EXISTS
    assert access(ADMIN, 2, LATE, glass_until=NOW + timedelta(minutes=5)) == Access.CONTENT
    assert access(ADMIN, 2, LATE, glass_until=NOW) == Access.EXISTS
    assert not may_write(ADMIN, facts(glass_until=NOW + timedelta(minutes=5)))
