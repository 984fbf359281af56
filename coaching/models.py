"""Imports every feature's models so that ``Base.metadata`` knows the whole schema.

A feature adds its tables to its own ``models.py``; nothing here needs to change.
"""

from coaching.accounts import models as accounts  # noqa: F401
from coaching.audit import models as audit  # noqa: F401
from coaching.coaches import models as coaches  # noqa: F401
from coaching.homework import models as homework  # noqa: F401
from coaching.intake import models as intake  # noqa: F401
from coaching.matching import models as matching  # noqa: F401
from coaching.notes import models as notes  # noqa: F401
from coaching.notify import models as notify  # noqa: F401
from coaching.payments import models as payments  # noqa: F401
from coaching.scheduling import models as scheduling  # noqa: F401
from coaching.checkins import models as checkins  # noqa: F401
from coaching.exports import models as exports  # noqa: F401
from coaching.erasure import models as erasure  # noqa: F401
from coaching.feeds import models as feeds  # noqa: F401
from coaching.calendars import models as calendars  # noqa: F401
from coaching.series import models as series  # noqa: F401
from coaching.reminders import models as reminders  # noqa: F401
from coaching.twofactor import models as twofactor  # noqa: F401
