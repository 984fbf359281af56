"""merge the calendars, performance and data-rights branches into one head

Revision ID: 0024_merge_calendars_and_rights
Revises: 0016_reminders, 0017_calendar_feeds, 0018_external_calendars, 0019_booking_series,
         0020_perf_indexes, 0021_data_exports, 0022_erasure, 0023_second_factor
"""
from __future__ import annotations

revision = "0024_merge_calendars_and_rights"
down_revision = ("0016_reminders", "0017_calendar_feeds", "0018_external_calendars", "0019_booking_series",
                 "0020_perf_indexes", "0021_data_exports", "0022_erasure", "0023_second_factor")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
