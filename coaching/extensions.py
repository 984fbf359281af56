"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from __future__ import annotations

from flask import Flask, request
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

class TandemLimiter(Limiter):
    """Flask-Limiter that starts every app with its configured storage alive.

    With ``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`` a Redis outage switches the counters to
    this process's memory (logged by ``flask-limiter``: "falling back to in-memory storage")
    and back when Redis answers again. The extension object outlives an app (tests build
    many): a new app must not inherit the previous one's "storage is dead" state.
    """

    def init_app(self, app: Flask) -> None:
        self._storage_dead = False
        super().init_app(app)

    def recover_if_storage_answers(self) -> bool:
        """Leave the fallback at once if the storage answers (a health check calls this)."""
        if self.using_fallback and self._storage is not None and self._storage.check():
            self.logger.info("Rate limit storage recovered")
            self._storage_dead = False
        return not self.using_fallback

    @property
    def using_fallback(self) -> bool:
        """True while Redis is unreachable and limits are counted in memory."""
        return bool(self._storage_dead and self._in_memory_fallback_enabled)


limiter = TandemLimiter(
    key_func=get_remote_address,
    default_limits=[],
    headers_enabled=True,
    strategy="moving-window",
)


def client_ip() -> str:
    """The address rate limits key on (behind proxies, set TRUSTED_PROXY_COUNT)."""
    return request.remote_addr or "unknown"
