"""Imports every feature's tasks so that ``flask worker`` knows them all."""

from coaching.intake import tasks as intake_tasks  # noqa: F401
from coaching.matching import tasks as matching_tasks  # noqa: F401
from coaching.notify import tasks as notify_tasks  # noqa: F401
from coaching.payments import tasks as payments_tasks  # noqa: F401
from coaching.scheduling import tasks as scheduling_tasks  # noqa: F401
from coaching.reminders import tasks as reminders_tasks  # noqa: F401
