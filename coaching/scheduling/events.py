"""What the booking lifecycle announces, so other features react without scheduling importing them.

Receivers run synchronously inside the sender's transaction (before its commit), get the
session as ``db`` and must not commit. Payments listens to these to refund, return package
credits and expire Checkout sessions.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender=Booking, db=Session, now=datetime. A hold for a paid session type was placed.
hold_placed = _signals.signal("hold-placed")
#: sender=Booking, db=Session, now=datetime. A booking became confirmed.
booking_confirmed = _signals.signal("booking-confirmed")
#: sender=Booking, db=Session, now=datetime. A hold expired or was released unpaid.
hold_released = _signals.signal("hold-released")
#: sender=Booking, db=Session, now=datetime, by_coach=bool, reason=str. A booking was cancelled.
booking_cancelled = _signals.signal("booking-cancelled")
#: sender=old Booking, db=Session, now=datetime, new=Booking. The new booking replaced the old one.
booking_rescheduled = _signals.signal("booking-rescheduled")
#: sender=Booking, db=Session, now=datetime. A confirmed session was marked completed.
booking_completed = _signals.signal("booking-completed")
