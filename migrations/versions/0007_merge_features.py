"""merge the feature branches (intake, payments, matching) into one head

Revision ID: 0007_merge_features
Revises: 0004_intake, 0005_payments, 0006_matching
"""
from __future__ import annotations

revision = "0007_merge_features"
down_revision = ("0004_intake", "0005_payments", "0006_matching")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
