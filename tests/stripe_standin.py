"""A local stand-in for the few Stripe endpoints Tandem calls, served over real HTTP.

The official ``stripe`` SDK talks to it (``STRIPE_API_BASE``): Checkout sessions (create,
retrieve, expire) and refunds (create), with Stripe's idempotency-key replay. Switches make
it answer 500 (``fail_with``) or stall (``hang_seconds``) for error tests. It also serves a
tiny Checkout page whose "Pay" button completes the session, delivers the signed
``checkout.session.completed`` webhook to ``webhook_url`` and redirects to the success URL.
Webhooks are signed with Stripe's scheme: ``t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>")``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import requests

from tests.smtp import free_port


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for ``payload``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def make_event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {"id": event_id or f"evt_{secrets.token_hex(8)}", "object": "event", "type": event_type,
            "api_version": "2025-01-27", "created": int(time.time()), "livemode": False,
            "data": {"object": obj}}


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Decode Stripe's form encoding (``a[b][0][c]=v``) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


class StripeStandIn:
    def __init__(self, webhook_secret: str = "whsec_test_standin") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.webhook_secret = webhook_secret
        self.webhook_url: str | None = None
        self.sessions: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.fail_with: int | None = None
        self.hang_seconds: float = 0.0
        self._idem: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "StripeStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hang_seconds = 0
        self._server.shutdown()
        self._server.server_close()

    # --- what tests use ---------------------------------------------------------------------

    def calls(self, method: str, path_prefix: str) -> list[tuple[str, str, str | None]]:
        return [c for c in self.requests if c[0] == method and c[1].startswith(path_prefix)]

    def complete(self, session_id: str, payment_status: str = "paid") -> dict[str, Any]:
        """The customer paid: the session is complete; returns the session object."""
        with self._lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = payment_status
            session["payment_intent"] = session["payment_intent"] or f"pi_{secrets.token_hex(8)}"
            return dict(session)

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            self.sessions[session_id]["status"] = "expired"
            return dict(self.sessions[session_id])

    def signed(self, event: dict[str, Any], *, timestamp: int | None = None,
               secret: str | None = None) -> tuple[str, dict[str, str]]:
        body = json.dumps(event)
        return body, {"Stripe-Signature": sign(body, secret or self.webhook_secret, timestamp),
                      "Content-Type": "application/json"}

    def deliver(self, event: dict[str, Any], url: str | None = None) -> requests.Response:
        body, headers = self.signed(event)
        return requests.post(url or self.webhook_url, data=body, headers=headers, timeout=30)

    # --- HTTP -------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any] | str, content_type: str = "application/json",
                      headers: dict[str, str] | None = None) -> None:
                data = (json.dumps(body) if isinstance(body, dict) else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _form(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                return _nest(parse_qsl(raw, keep_blank_values=True))

            def do_GET(self) -> None:  # noqa: N802
                standin.requests.append(("GET", self.path, None))
                m = re.fullmatch(r"/v1/checkout/sessions/([\w]+)", self.path.split("?")[0])
                if m:
                    session = standin.sessions.get(m.group(1))
                    return self._send(200, session) if session else self._send(404, _error("No such session"))
                m = re.fullmatch(r"/pay/([\w]+)", self.path)
                if m and m.group(1) in standin.sessions:
                    s = standin.sessions[m.group(1)]
                    page = (f"<!doctype html><title>Stand-in Checkout</title><h1>Pay {s['amount_total']} "
                            f"{escape(s['currency'])}</h1><p>{escape(s['line_items_name'])}</p>"
                            f"<form method='post'><button type='submit'>Pay</button></form>")
                    return self._send(200, page, "text/html")
                self._send(404, _error("Unrecognized request URL"))

            def do_POST(self) -> None:  # noqa: N802
                key = self.headers.get("Idempotency-Key")
                standin.requests.append(("POST", self.path, key))
                params = self._form()
                m = re.fullmatch(r"/pay/([\w]+)", self.path)
                if m and m.group(1) in standin.sessions:
                    return self._pay(m.group(1))
                if standin.hang_seconds:
                    time.sleep(standin.hang_seconds)
                if standin.fail_with:
                    return self._send(standin.fail_with, _error("Stand-in failure", "api_error"))
                with standin._lock:
                    if key and key in standin._idem:
                        path, status, body = standin._idem[key]
                        if path != self.path:
                            return self._send(400, _error("Idempotency key reused", "idempotency_error"))
                        return self._send(status, body, headers={"Idempotent-Replayed": "true"})
                    status, body = self._route(params)
                    if key:
                        standin._idem[key] = (self.path, status, body)
                self._send(status, body)

            def _route(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
                if self.path == "/v1/checkout/sessions":
                    return 200, standin._create_session(params)
                m = re.fullmatch(r"/v1/checkout/sessions/([\w]+)/expire", self.path)
                if m:
                    session = standin.sessions.get(m.group(1))
                    if session is None:
                        return 404, _error("No such checkout session")
                    if session["status"] != "open":
                        return 400, _error(f"Only open sessions can be expired (status {session['status']}).")
                    session["status"] = "expired"
                    return 200, dict(session)
                if self.path == "/v1/refunds":
                    return standin._create_refund(params)
                return 404, _error("Unrecognized request URL")

            def _pay(self, session_id: str) -> None:
                session = standin.complete(session_id)
                if standin.webhook_url:
                    standin.deliver(make_event("checkout.session.completed", session))
                target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
                self.send_response(303)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        item = params["line_items"][0]
        amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id, "object": "checkout.session", "url": f"{self.base}/pay/{session_id}",
            "status": "open", "payment_status": "unpaid", "mode": params.get("mode"),
            "amount_total": amount, "currency": item["price_data"]["currency"],
            "client_reference_id": params.get("client_reference_id"), "metadata": params.get("metadata", {}),
            "customer_email": params.get("customer_email"), "success_url": params["success_url"],
            "cancel_url": params["cancel_url"], "expires_at": int(params["expires_at"]),
            "payment_intent": None, "created": int(time.time()),
            "line_items_name": item["price_data"]["product_data"]["name"],
        }
        self.sessions[session_id] = session
        return dict(session)

    def _create_refund(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        intent = params.get("payment_intent")
        session = next((s for s in self.sessions.values() if s["payment_intent"] == intent), None)
        if session is None:
            return 400, _error(f"No such payment_intent: '{intent}'")
        amount = int(params.get("amount") or session["amount_total"])
        done = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent)
        if amount + done > session["amount_total"]:
            return 400, _error("Refund amount is greater than the unrefunded amount.")
        refund = {"id": f"re_{secrets.token_hex(10)}", "object": "refund", "amount": amount,
                  "payment_intent": intent, "status": "succeeded", "metadata": params.get("metadata", {}),
                  "currency": session["currency"]}
        self.refunds[refund["id"]] = refund
        return 200, dict(refund)

    def refunds_for(self, intent: str) -> list[dict[str, Any]]:
        return [r for r in self.refunds.values() if r["payment_intent"] == intent]


def _error(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}
