"""Packages: admins define them, couples buy them (Checkout or invoice); services commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.db import immediate
from coaching.notify.outbox import queue_email
from coaching.payments import gateway as gw
from coaching.payments.models import Package, PackagePurchase, Payment, Provider, Purpose, PurchaseStatus
from coaching.payments.pricing import package_price
from coaching.payments.services import CheckoutOutcome, PaymentError, external, gateway, invoice_terms
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import SessionType


def price_of(package: Package) -> int:
    return package_price(package.session_type.price_cents, package.sessions, package.discount_percent)


def active_packages(db: Session) -> list[Package]:
    return list(db.scalars(select(Package).where(Package.active.is_(True)).order_by(Package.id)))


def all_packages(db: Session) -> list[Package]:
    return list(db.scalars(select(Package).order_by(Package.id)))


def create_package(db: Session, *, name: str, session_type_id: int, sessions: int, discount_percent: int,
                   valid_months: int) -> Package:
    """Define a package; raises ``PaymentError`` for an unknown or free session type."""
    session_type = db.get(SessionType, session_type_id)
    if session_type is None or session_type.is_free:
        raise PaymentError("Choose a paid session type.")
    package = Package(name=name.strip(), session_type_id=session_type_id, sessions=sessions,
                      discount_percent=discount_percent, valid_months=valid_months)
    db.add(package)
    db.commit()
    return package


def set_package_active(db: Session, package_id: int, active: bool) -> None:
    package = db.get(Package, package_id)
    if package is not None:
        package.active = active
        db.commit()


def buy_package(db: Session, package_id: int, user: User, couple_id: int, now: datetime) -> CheckoutOutcome:
    """Start buying a package for the couple: an invoice (manual) or a Checkout session."""
    package = db.get(Package, package_id)
    if package is None or not package.active:
        raise PaymentError("This package is not offered any more.")
    price = price_of(package)
    purchase = PackagePurchase(package_id=package.id, couple_id=couple_id, buyer_id=user.id,
                               session_type_id=package.session_type_id, sessions=package.sessions,
                               price_cents=price, currency=package.session_type.currency.lower())
    payment = Payment(purpose=Purpose.PACKAGE, couple_id=couple_id, payer_id=user.id, amount_cents=price,
                      currency=purchase.currency, description=package.name, provider=Provider.MANUAL,
                      status=PaymentStatus.INVOICED)
    gate = gateway()
    if gate.name == gw.MANUAL:
        with immediate(db):
            db.add(purchase)
            db.flush()
            payment.purchase_id = purchase.id
            db.add(payment)
            db.flush()
            queue_email(db, user.email, "payment_invoice", user=user, payment=payment, booking=None,
                        **invoice_terms(now))
            db.commit()
        return CheckoutOutcome("invoice")
    assert isinstance(gate, gw.StripeGateway)
    with immediate(db):
        db.add(purchase)
        db.commit()
    minutes = int(current_app.config["STRIPE_CHECKOUT_MINUTES"])
    expires_at = (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    try:
        session = gate.create_checkout(
            amount_cents=price, currency=purchase.currency, product_name=package.name,
            reference=f"purchase-{purchase.id}", metadata={"kind": Purpose.PACKAGE.value,
                                                           "purchase_id": str(purchase.id)},
            customer_email=user.email,
            success_url=external("payments.package_done", purchase_id=purchase.id),
            cancel_url=external("payments.packages"), expires_at=expires_at,
            idempotency_key=f"tandem-checkout-purchase-{purchase.id}")
    except gw.GatewayError:
        with immediate(db):
            db.get(PackagePurchase, purchase.id).status = PurchaseStatus.VOID
            db.commit()
        raise
    with immediate(db):
        payment.purchase_id, payment.provider, payment.status = purchase.id, Provider.STRIPE, PaymentStatus.PENDING
        payment.checkout_session_id, payment.checkout_url = session.id, session.url
        payment.checkout_expires_at = session.expires_at or expires_at
        db.add(payment)
        db.commit()
    return CheckoutOutcome("redirect", session.url)
