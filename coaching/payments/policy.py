"""Cancellation policy: how much comes back, and whether a package credit returns.

Amounts are integer minor units. A cancellation at or before the cutoff
(``refund_hours`` before the start) is refunded in full; after it, ``late_percent`` of the
amount, rounded down to the unit. A coach's cancellation always refunds in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__pure__ = True


@dataclass(frozen=True)
class RefundPolicy:
    refund_hours: int = 24
    late_percent: int = 50

    def __post_init__(self) -> None:
        if self.refund_hours < 0:
            raise ValueError("refund_hours must not be negative")
        if not 0 <= self.late_percent <= 100:
            raise ValueError("late_percent must be between 0 and 100")

    def cutoff(self, starts_at: datetime) -> datetime:
        """The last instant at which a cancellation is refunded in full."""
        return starts_at - timedelta(hours=self.refund_hours)

    def within_full_refund(self, starts_at: datetime, cancelled_at: datetime, *, by_coach: bool = False) -> bool:
        """True when the cancellation earns a full refund (and the package credit back)."""
        return by_coach or cancelled_at <= self.cutoff(starts_at)


def cancellation_refund(amount_cents: int, already_refunded_cents: int, *, starts_at: datetime,
                        cancelled_at: datetime, policy: RefundPolicy, by_coach: bool = False) -> int:
    """Cents to refund for a cancelled booking paid ``amount_cents`` (never more than is left)."""
    if amount_cents < 0 or already_refunded_cents < 0:
        raise ValueError("amounts must not be negative")
    if policy.within_full_refund(starts_at, cancelled_at, by_coach=by_coach):
        due = amount_cents
    else:
        due = amount_cents * policy.late_percent // 100
    return max(0, min(due, amount_cents - already_refunded_cents))


def check_manual_refund(amount_cents: int, already_refunded_cents: int, requested_cents: int) -> None:
    """Raise ``ValueError`` (with a message for the admin) unless ``requested_cents`` can be refunded."""
    left = amount_cents - already_refunded_cents
    if requested_cents <= 0:
        raise ValueError("Enter an amount greater than zero.")
    if requested_cents > left:
        raise ValueError(f"At most {left} (minor units) is left to refund on this payment.")
