"""Imports every feature's tasks so that ``flask worker`` knows them all."""

from coaching.notify import tasks as notify_tasks  # noqa: F401
