"""Imports every feature's models so that ``Base.metadata`` knows the whole schema."""

from coaching.accounts.models import ApiToken, Role, User  # noqa: F401
from coaching.coaches.models import CoachProfile, coach_session_types  # noqa: F401
from coaching.intake.models import Couple, Partner  # noqa: F401
from coaching.notify.models import OutboxMessage  # noqa: F401
from coaching.scheduling.models import (  # noqa: F401
    AvailabilityRule,
    DateOverride,
    SessionType,
    TimeOff,
)
