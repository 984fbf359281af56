"""The couple's package credits ledger: grant, use and return (callers commit).

A credit belongs to the couple, so either partner may use it. Each ledger line has a unique
key, which is what makes a replayed webhook or a repeated cancellation harmless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.payments.models import CreditEntry, PackagePurchase, PurchaseStatus


def balance(db: Session, purchase_id: int) -> int:
    """Credits left on one purchase."""
    return int(db.scalar(select(func.coalesce(func.sum(CreditEntry.delta), 0))
                         .where(CreditEntry.purchase_id == purchase_id)) or 0)


def couple_balances(db: Session, couple_id: int, now: datetime) -> list[tuple[PackagePurchase, int]]:
    """The couple's paid, still valid purchases with credits left, soonest expiry first."""
    rows = db.execute(
        select(PackagePurchase, func.coalesce(func.sum(CreditEntry.delta), 0))
        .outerjoin(CreditEntry, CreditEntry.purchase_id == PackagePurchase.id)
        .where(PackagePurchase.couple_id == couple_id, PackagePurchase.status == PurchaseStatus.PAID,
               PackagePurchase.valid_until > now)
        .group_by(PackagePurchase.id)
        .order_by(PackagePurchase.valid_until, PackagePurchase.id)
    ).all()
    return [(purchase, int(left)) for purchase, left in rows if left > 0]


def covering_purchase(db: Session, couple_id: int, session_type_id: int, *, starts_at: datetime,
                      now: datetime, lock: bool = False) -> PackagePurchase | None:
    """A purchase whose credit can pay for a session of this type starting at ``starts_at``.

    With ``lock`` the purchase rows are locked (PostgreSQL) so two partners booking at the
    same moment cannot spend the same last credit; SQLite callers hold the write lock.
    """
    query = (select(PackagePurchase)
             .where(PackagePurchase.couple_id == couple_id, PackagePurchase.status == PurchaseStatus.PAID,
                    PackagePurchase.session_type_id == session_type_id,
                    PackagePurchase.valid_until > now, PackagePurchase.valid_until >= starts_at)
             .order_by(PackagePurchase.valid_until, PackagePurchase.id))
    if lock:
        query = query.with_for_update()
    for purchase in db.scalars(query):
        if balance(db, purchase.id) > 0:
            return purchase
    return None


def grant(db: Session, purchase: PackagePurchase) -> bool:
    """Grant the purchase's credits once; False when already granted."""
    key = f"grant:purchase:{purchase.id}"
    if db.scalar(select(CreditEntry.id).where(CreditEntry.key == key)):
        return False
    db.add(CreditEntry(couple_id=purchase.couple_id, purchase_id=purchase.id, delta=purchase.sessions,
                       key=key, note=f"{purchase.package.name}: {purchase.sessions} sessions"))
    db.flush()
    return True


def use(db: Session, purchase: PackagePurchase, booking_id: int) -> CreditEntry:
    """Spend one credit of ``purchase`` on a booking."""
    entry = CreditEntry(couple_id=purchase.couple_id, purchase_id=purchase.id, booking_id=booking_id,
                        delta=-1, key=f"use:booking:{booking_id}", note="Used for a session")
    db.add(entry)
    db.flush()
    return entry


def credit_used_for(db: Session, booking_id: int) -> CreditEntry | None:
    return db.scalar(select(CreditEntry).where(CreditEntry.booking_id == booking_id, CreditEntry.delta < 0))


def give_back(db: Session, booking_id: int, note: str) -> bool:
    """Return the credit a booking used, once; False when it used none or it came back already."""
    used = credit_used_for(db, booking_id)
    if used is None:
        return False
    key = f"return:booking:{booking_id}"
    if db.scalar(select(CreditEntry.id).where(CreditEntry.key == key)):
        return False
    db.add(CreditEntry(couple_id=used.couple_id, purchase_id=used.purchase_id, booking_id=booking_id,
                       delta=1, key=key, note=note))
    db.flush()
    return True


def move_to(db: Session, old_booking_id: int, new_booking_id: int) -> None:
    """A reschedule: the credit spent on the old booking now pays for the new one."""
    used = credit_used_for(db, old_booking_id)
    if used is not None:
        used.booking_id = new_booking_id
        used.key = f"use:booking:{new_booking_id}"
