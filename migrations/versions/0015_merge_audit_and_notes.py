"""merge the branches of the audit and notes work into one head

Revision ID: 0015_merge_audit_and_notes
Revises: 0008_welcome_calls, 0009_login_sessions, 0010_outbox_privacy, 0011_holds_refunds,
         0012_notes_audit, 0013_homework, 0014_checkins
"""
from __future__ import annotations

revision = "0015_merge_audit_and_notes"
down_revision = ("0008_welcome_calls", "0009_login_sessions", "0010_outbox_privacy", "0011_holds_refunds",
                 "0012_notes_audit", "0013_homework", "0014_checkins")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
