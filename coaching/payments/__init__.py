"""Payments: Stripe Checkout or manual invoices, refunds, packages and the admin ledger.

Kept import-free so that the pure modules (states, policy, pricing, chart) stay pure; the
signal receivers are connected when ``coaching.payments.views`` is imported at app start.
"""
