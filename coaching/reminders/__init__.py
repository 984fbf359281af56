"""Reminders: a row per booking, recipient and offset, dispatched through the outbox by a
periodic task; and each person's email preferences (``/account/notifications``).

Kept import-free so that the pure module (``timing``) stays pure; the signal receivers are
connected when ``coaching.reminders.views`` is imported at app start.
"""
