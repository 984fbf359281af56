"""The payment provider behind a small interface: ``manual`` or ``stripe``.

This is the only module that imports ``stripe``. Callers get plain values back
(``CheckoutSession``, ``ProviderRefund``) and one error type, ``GatewayError``, whose
message is safe to show; ``GatewayUnavailable`` means "try again later" (5xx, timeout).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from coaching.payments.event_shape import check_event

STRIPE = "stripe"
MANUAL = "manual"


class GatewayError(Exception):
    """The provider refused the request; the message is safe to show."""


class GatewayUnavailable(GatewayError):
    """The provider could not be reached or failed on its side; retrying may work."""


class WebhookInvalid(Exception):
    """The webhook's signature, timestamp or body did not verify."""


class WebhookMalformed(WebhookInvalid):
    """The webhook is signed, but its body is not an event Tandem can apply."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str                  # open | complete | expired
    payment_status: str          # paid | unpaid | no_payment_required
    expires_at: datetime | None
    payment_intent: str | None
    amount_total: int | None
    currency: str | None


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: str


def provider_name(config: Mapping[str, Any]) -> str:
    """``stripe`` when both Stripe keys are configured, else ``manual``."""
    return STRIPE if config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET") else MANUAL


class ManualGateway:
    """No provider: invoices are paid outside Tandem and recorded by an admin."""

    name = MANUAL


class StripeGateway:
    """Stripe Checkout, refunds and webhook verification through the official SDK."""

    name = STRIPE

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.webhook_secret = str(config["STRIPE_WEBHOOK_SECRET"])
        self.tolerance = int(config.get("STRIPE_WEBHOOK_TOLERANCE", 300))
        base = config.get("STRIPE_API_BASE")
        self.client = stripe.StripeClient(
            str(config["STRIPE_SECRET_KEY"]),
            base_addresses={"api": base} if base else None,
            max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
            http_client=stripe.RequestsClient(timeout=float(config.get("STRIPE_TIMEOUT_SECONDS", 15))),
        )

    def create_checkout(self, *, amount_cents: int, currency: str, product_name: str, reference: str,
                        metadata: dict[str, str], customer_email: str | None, success_url: str,
                        cancel_url: str, expires_at: datetime, idempotency_key: str) -> CheckoutSession:
        """Open a Checkout Session for one line item; the same key returns the same session."""
        if not isinstance(amount_cents, int) or amount_cents <= 0:
            raise ValueError("amount must be a positive integer of minor units")
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": currency.lower(), "unit_amount": amount_cents,
                "product_data": {"name": product_name}}}],
            "client_reference_id": reference,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": int(expires_at.timestamp()),
        }
        if customer_email:
            params["customer_email"] = customer_email
        session = self._call(self.client.v1.checkout.sessions.create, params,
                             {"idempotency_key": idempotency_key})
        return _session(session)

    def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        return _session(self._call(self.client.v1.checkout.sessions.retrieve, session_id))

    def expire_checkout(self, session_id: str) -> CheckoutSession | None:
        """Expire an open session; ``None`` when it was no longer open (already paid or expired)."""
        try:
            return _session(self._call(self.client.v1.checkout.sessions.expire, session_id))
        except GatewayUnavailable:
            raise
        except GatewayError:
            return None

    def refund(self, *, payment_intent: str, amount_cents: int, idempotency_key: str,
               metadata: dict[str, str]) -> ProviderRefund:
        """Refund ``amount_cents`` of a payment; the same key never refunds twice."""
        refund = self._call(self.client.v1.refunds.create,
                            {"payment_intent": payment_intent, "amount": amount_cents, "metadata": metadata},
                            {"idempotency_key": idempotency_key})
        data = refund.to_dict()
        return ProviderRefund(id=str(data["id"]), status=str(data.get("status") or "pending"))

    def parse_webhook(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """Verify the signature over the raw body and that its timestamp is within the tolerance
        of now, in the past or the future; return the event. Raises ``WebhookInvalid`` for a
        bad signature or time, ``WebhookMalformed`` for a signed body that is not an event
        Tandem can apply (see ``event_shape``)."""
        if not signature:
            raise WebhookInvalid("missing Stripe-Signature header")
        try:
            stripe.WebhookSignature.verify_header(payload, signature, self.webhook_secret, self.tolerance)
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise WebhookInvalid(str(exc)) from exc
        # The SDK refuses only timestamps too far in the past. Signing time is wall-clock
        # time (the SDK's own reference), not the app's clock.
        if self.tolerance and abs(time.time() - _signed_at(signature)) > self.tolerance:
            raise WebhookInvalid("timestamp outside the tolerance")
        try:
            event = json.loads(payload)
            check_event(event)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and MalformedEvent are ValueErrors
            raise WebhookMalformed(str(exc)) from exc
        return event

    @staticmethod
    def _call(method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayUnavailable("The payment provider did not answer. Please try again.") from exc
        except stripe.StripeError as exc:
            status = getattr(exc, "http_status", None) or 0
            if status >= 500:
                raise GatewayUnavailable("The payment provider had a problem. Please try again.") from exc
            raise GatewayError(getattr(exc, "user_message", None) or "The payment provider refused this.") from exc


def _signed_at(signature: str) -> int:
    """The ``t=`` timestamp of a verified ``Stripe-Signature`` header (the last one, as the SDK reads it)."""
    pairs = dict(item.strip().partition("=")[::2] for item in signature.split(","))
    try:
        return int(pairs["t"])
    except (KeyError, ValueError) as exc:
        raise WebhookInvalid("no timestamp") from exc


def _session(stripe_obj: Any) -> CheckoutSession:
    obj = stripe_obj.to_dict()
    expires = obj.get("expires_at")
    return CheckoutSession(
        id=str(obj["id"]), url=obj.get("url"), status=str(obj.get("status") or "open"),
        payment_status=str(obj.get("payment_status") or "unpaid"),
        expires_at=datetime.fromtimestamp(int(expires), UTC) if expires else None,
        payment_intent=_id_of(obj.get("payment_intent")),
        amount_total=obj.get("amount_total"), currency=obj.get("currency"),
    )


def _id_of(value: Any) -> str | None:
    if value is None:
        return None
    return str(value if isinstance(value, str) else value["id"])


Gateway = ManualGateway | StripeGateway


def gateway_for(config: Mapping[str, Any]) -> Gateway:
    """The configured provider."""
    return StripeGateway(config) if provider_name(config) == STRIPE else ManualGateway()
