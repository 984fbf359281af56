"""A coach's calendar elsewhere: two-way CalDAV sync or a read-only iCal subscription.

``models`` (the connection, the external busy intervals the slot engine subtracts, the events
Tandem writes there), ``busy`` (pure: iCalendar text -> busy UTC intervals), ``fetch`` (the
guarded HTTP fetch of a subscription), ``remote`` (the ``caldav`` library, the only module that
imports it), ``services`` (sync and push, commit), ``receivers`` (booking signals -> events to
write), ``tasks``, ``views`` (``/coach/calendar/connect``). Receivers connect when ``views`` is
imported at app start.
"""
