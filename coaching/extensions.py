"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"
# Session protection "strong" would log users out when their IP changes on mobile networks.
login_manager.session_protection = "basic"

csrf = CSRFProtect()

limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    headers_enabled=True,
    strategy="moving-window",
)


def client_ip() -> str:
    """The address rate limits key on (behind a proxy, configure ProxyFix first)."""
    return request.remote_addr or "unknown"
