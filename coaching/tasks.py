"""Imports every feature's tasks so that ``flask worker`` knows them all."""

from coaching.intake import tasks as intake_tasks  # noqa: F401
from coaching.matching import tasks as matching_tasks  # noqa: F401
from coaching.notify import tasks as notify_tasks  # noqa: F401
from coaching.payments import tasks as payments_tasks  # noqa: F401
from coaching.scheduling import tasks as scheduling_tasks  # noqa: F401
from coaching.exports import tasks as exports_tasks  # noqa: F401
from coaching.erasure import tasks as erasure_tasks  # noqa: F401
from coaching.calendars import tasks as calendars_tasks  # noqa: F401
from coaching.reminders import tasks as reminders_tasks  # noqa: F401
