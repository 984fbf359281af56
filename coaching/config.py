"""Configuration from the environment, with safe development defaults."""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

DEV_SECRET_PLACEHOLDER = "dev-only-not-secret"


class ConfigError(RuntimeError):
    """The configuration cannot run safely (raised at start-up)."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _json_object(raw: str, name: str) -> dict[str, float]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value.values()):
        raise ConfigError(f"{name} must be a JSON object of non-negative numbers.")
    return {str(k): float(v) for k, v in value.items()}


def _crisis_resources(raw: str) -> list[dict[str, str]]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"CRISIS_RESOURCES is not valid JSON: {exc}") from exc
    if not isinstance(value, list) or not value or not all(
            isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("contact"), str)
            for item in value):
        raise ConfigError('CRISIS_RESOURCES must be a JSON list of {"name": ..., "contact": ...}.')
    return [{"name": item["name"], "contact": item["contact"]} for item in value]


def _reminder_offsets(raw: str) -> tuple[int, ...]:
    from coaching.reminders.timing import parse_offsets

    try:
        return parse_offsets(raw)
    except ValueError as exc:
        raise ConfigError(f"REMINDER_OFFSETS: {exc}.") from exc


def redis_fail_fast_options(connect_timeout: float = 0.5, socket_timeout: float = 2.0) -> dict[str, object]:
    """Options for a Redis client that gives up quickly when Redis is down.

    redis-py otherwise retries ten times with back-off (seconds per call) before raising.
    ``socket_timeout`` must exceed the queue's blocking read (1 s).
    """
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_connect_timeout": connect_timeout, "socket_timeout": socket_timeout,
            "retry": Retry(NoBackoff(), 1)}


def _dev_secret_key() -> str:
    """A per-checkout random key kept under instance/, so sessions survive restarts."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _dev_data_key() -> str:
    """A per-checkout Fernet key kept under instance/ (development only)."""
    from cryptography.fernet import Fernet

    path = INSTANCE / "data_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


# Fixed for tests only, so encrypted fixtures stay readable across processes.
TEST_DATA_KEY = "r8Zq3bQ9mHn0k7C6yXWvJ2s1tU4pL5aE9dF0gH1iJ2k="


class Config:
    """Settings read from environment variables when the app is created."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        self.TANDEM_ENV = env.get("TANDEM_ENV", "development")
        production = self.TANDEM_ENV == "production"
        self.DEBUG = _bool(env.get("FLASK_DEBUG"), default=False)
        self.TESTING = False
        self.SECRET_KEY = env.get("SECRET_KEY") or (
            DEV_SECRET_PLACEHOLDER if production else _dev_secret_key()
        )
        self.DATABASE_URL = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'tandem.db'}"
        # PostgreSQL connections per process: at most DB_POOL_SIZE + DB_MAX_OVERFLOW at once; a
        # request waits DB_POOL_TIMEOUT seconds for one, then fails (503) instead of piling up.
        self.DB_POOL_SIZE = int(env.get("DB_POOL_SIZE", 5))
        self.DB_MAX_OVERFLOW = int(env.get("DB_MAX_OVERFLOW", 10))
        self.DB_POOL_TIMEOUT = float(env.get("DB_POOL_TIMEOUT", 30))
        self.DB_POOL_RECYCLE = int(env.get("DB_POOL_RECYCLE", 1800))
        # Check each connection with a round trip before use (survives a database restart
        # without one failed request per process, at the cost of a round trip per request).
        self.DB_POOL_PRE_PING = _bool(env.get("DB_POOL_PRE_PING"), default=False)
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), default=True)
        # Redis (rate limits, queue, health check) must fail fast when it is down: seconds to
        # connect, and to wait for an answer.
        self.REDIS_CONNECT_TIMEOUT = float(env.get("REDIS_CONNECT_TIMEOUT", 0.5))
        self.REDIS_SOCKET_TIMEOUT = float(env.get("REDIS_SOCKET_TIMEOUT", 2))
        self.RATELIMIT_STORAGE_OPTIONS = redis_fail_fast_options(self.REDIS_CONNECT_TIMEOUT,
                                                                 self.REDIS_SOCKET_TIMEOUT)
        # With Redis down, rate limits are counted in this process's memory (and logged).
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # Login, register and forgot attempts (Flask-Limiter strings, ";" between limits): a
        # per-minute burst limit and an hourly ceiling, per address and per account.
        self.LOGIN_LIMIT_PER_IP = env.get("LOGIN_LIMIT_PER_IP", "20 per minute;200 per hour")
        self.LOGIN_LIMIT_PER_ACCOUNT = env.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour")
        # Second-factor codes tried per account (coaching.twofactor), every form that takes one.
        self.SECOND_FACTOR_LIMIT_PER_ACCOUNT = env.get("SECOND_FACTOR_LIMIT_PER_ACCOUNT",
                                                       "5 per minute;20 per hour;50 per day")
        self.SMTP_URL = env.get("SMTP_URL") or None
        self.MAIL_FROM = env.get("MAIL_FROM", "Tandem <hello@tandem.localhost>")
        # Without SMTP_URL, emails go to the log and each is also written here as an .eml file
        # (with its .ics and other attachments beside it). Empty: log only. Off by default in production.
        # Accept addresses at the reserved .test domain (alice@example.test) on forms: on in
        # development, so demo and local accounts can use them; off in production.
        self.ACCEPT_TEST_EMAIL_DOMAINS = _bool(env.get("ACCEPT_TEST_EMAIL_DOMAINS"), default=not production)
        self.MAIL_DIR = env.get("MAIL_DIR", "" if production else str(INSTANCE / "mail")) or None
        self.TANDEM_BASE_URL = env.get("TANDEM_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        # Tasks: "inline" runs Huey tasks in the calling process (development),
        # "sqlite" and "redis" queue them for `flask worker`.
        self.TASKS_MODE = env.get("TANDEM_TASKS") or ("redis" if self.REDIS_URL else "inline")
        self.HUEY_SQLITE_PATH = env.get("HUEY_SQLITE_PATH", str(INSTANCE / "huey.db"))
        # Comma-separated Fernet keys, newest first (coaching.crypto).
        self.DATA_KEYS = env.get("TANDEM_DATA_KEYS") or (None if production else _dev_data_key())
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", 1024 * 1024))
        self.MAX_FORM_MEMORY_SIZE = self.MAX_CONTENT_LENGTH
        # Production cookies carry the __Host- prefix: the browser keeps them only if they are
        # Secure, for Path=/ and without a Domain, so no subdomain can set or shadow them.
        cookie_prefix = "__Host-" if production else ""
        self.SESSION_COOKIE_NAME = cookie_prefix + "tandem_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = production
        self.SESSION_COOKIE_PATH = "/"
        self.SESSION_COOKIE_DOMAIN = None
        self.REMEMBER_COOKIE_NAME = cookie_prefix + "remember_token"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = production
        self.REMEMBER_COOKIE_PATH = "/"
        self.REMEMBER_COOKIE_DOMAIN = None
        # Sign-ins end after this long without a request (idle) and this long after logging in
        # (absolute), shorter for staff (coaches, admins) than for clients. A client's
        # "keep me logged in" sign-in lasts to the absolute limit even when idle.
        self.SESSION_IDLE_MINUTES_CLIENT = float(env.get("SESSION_IDLE_MINUTES_CLIENT", 60))
        self.SESSION_IDLE_MINUTES_STAFF = float(env.get("SESSION_IDLE_MINUTES_STAFF", 30))
        self.SESSION_MAX_HOURS_CLIENT = float(env.get("SESSION_MAX_HOURS_CLIENT", 14 * 24))
        self.SESSION_MAX_HOURS_STAFF = float(env.get("SESSION_MAX_HOURS_STAFF", 12))
        # The remember cookie never outlives the longest absolute limit (each sign-in's own
        # cookie is set to its own limit; the server checks the limit on every request).
        self.REMEMBER_COOKIE_DURATION = timedelta(
            hours=max(self.SESSION_MAX_HOURS_CLIENT, self.SESSION_MAX_HOURS_STAFF))
        # Personal API tokens stop working this many days after they are made.
        self.API_TOKEN_DAYS = int(env.get("API_TOKEN_DAYS", 30))
        self.PREFERRED_URL_SCHEME = "https" if production else "http"
        self.HSTS = production
        self.WTF_CSRF_TIME_LIMIT = 4 * 3600
        self.EMAIL_TOKEN_MAX_AGE = int(env.get("EMAIL_TOKEN_MAX_AGE", 3 * 24 * 3600))
        self.RESET_TOKEN_MAX_AGE = int(env.get("RESET_TOKEN_MAX_AGE", 3600))
        self.OUTBOX_MAX_ATTEMPTS = int(env.get("OUTBOX_MAX_ATTEMPTS", 8))
        # Extra origins allowed as form targets (e.g. Stripe Checkout after a POST redirect).
        self.CSP_FORM_ACTION_EXTRA = env.get("CSP_FORM_ACTION_EXTRA", "").split()
        # Scheduling: how long a hold blocks a slot, how late a client may cancel or move a
        # booking, and the video room of each booking ({token} is unguessable).
        self.HOLD_MINUTES = int(env.get("HOLD_MINUTES", 15))
        # At most this many paid holds waiting for payment per couple (joint ones, plus each
        # partner's own individual ones), and this many hold attempts per person (pages + API).
        self.MAX_HOLDS_PER_COUPLE = int(env.get("MAX_HOLDS_PER_COUPLE", 2))
        self.HOLD_LIMIT_PER_USER = env.get("HOLD_LIMIT_PER_USER", "10 per hour")
        # A series of paid sessions a coach reserves for a couple is held this long for them to pay.
        self.SERIES_COACH_HOLD_HOURS = float(env.get("SERIES_COACH_HOLD_HOURS", 48))
        # Crisis lines on the Support page (linked for everyone): a JSON list of
        # {"name": ..., "contact": ...}; unset keeps the built-in US/UK list.
        if env.get("CRISIS_RESOURCES"):
            self.CRISIS_RESOURCES = _crisis_resources(env["CRISIS_RESOURCES"])
        # Matching: the weight of each named score part (JSON, e.g. {"availability": 4}; parts
        # not named keep their defaults) and the session type a new couple books first.
        self.MATCH_WEIGHTS = _json_object(env.get("MATCH_WEIGHTS", "{}"), "MATCH_WEIGHTS")
        self.MATCH_SESSION_TYPE = env.get("MATCH_SESSION_TYPE", "consultation")
        # The free individual session type every couple's partners book first, one each, with
        # the chosen coach; every matched coach must offer it. Joint sessions open afterwards.
        self.WELCOME_SESSION_TYPE = env.get("WELCOME_SESSION_TYPE", "welcome")
        # Seconds another process may serve a cached public slot list (0: no cache).
        self.SLOTS_CACHE_SECONDS = float(env.get("SLOTS_CACHE_SECONDS", 2))
        # How many reverse proxies in front append X-Forwarded-For/-Proto (0: trust none).
        self.TRUSTED_PROXY_COUNT = int(env.get("TRUSTED_PROXY_COUNT", 0))
        # Each coach's zone, offered session types and hours, kept per process between changes
        # (invalidated on commit, across processes through Redis); this bounds it without Redis.
        self.SLOTS_CALENDAR_CACHE_SECONDS = float(env.get("SLOTS_CALENDAR_CACHE_SECONDS", 60))
        # The match page's per-process open times of each coach per day (coaching/matching/open_times.py),
        # dropped with the same generations; this bounds an entry's life (0: no cache).
        self.MATCH_OPEN_TIMES_CACHE_SECONDS = float(env.get("MATCH_OPEN_TIMES_CACHE_SECONDS", 600))
        self.CANCEL_MIN_HOURS = float(env.get("CANCEL_MIN_HOURS", 24))
        # Notes: how long an admin's break-glass lets them read a couple's notes, and how many
        # of a coach's most recent notes one search decrypts and scans at most.
        self.NOTES_BREAK_GLASS_MINUTES = int(env.get("NOTES_BREAK_GLASS_MINUTES", 60))
        self.NOTES_SEARCH_MAX_NOTES = int(env.get("NOTES_SEARCH_MAX_NOTES", 10_000))
        self.VIDEO_URL_TEMPLATE = env.get("VIDEO_URL_TEMPLATE", "https://meet.jit.si/tandem-{token}")
        # Payments: Stripe when both keys are set, else the manual (invoice) provider.
        self.STRIPE_SECRET_KEY = env.get("STRIPE_SECRET_KEY") or None
        self.STRIPE_WEBHOOK_SECRET = env.get("STRIPE_WEBHOOK_SECRET") or None
        self.STRIPE_API_BASE = env.get("STRIPE_API_BASE") or None  # tests: a local stand-in
        self.STRIPE_CHECKOUT_ORIGIN = env.get("STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com")
        self.STRIPE_TIMEOUT_SECONDS = float(env.get("STRIPE_TIMEOUT_SECONDS", 15))
        self.STRIPE_MAX_NETWORK_RETRIES = int(env.get("STRIPE_MAX_NETWORK_RETRIES", 2))
        self.STRIPE_CHECKOUT_MINUTES = max(30, int(env.get("STRIPE_CHECKOUT_MINUTES", 30)))
        self.STRIPE_WEBHOOK_TOLERANCE = int(env.get("STRIPE_WEBHOOK_TOLERANCE", 300))
        # Cancellation policy defaults (admins change them in the payments settings): a full
        # refund up to 48 hours before, the late percentage until CANCEL_MIN_HOURS before;
        # closer than that, clients cannot cancel online (their coach can, refunding in full).
        self.CANCEL_REFUND_HOURS = int(env.get("CANCEL_REFUND_HOURS", 48))
        self.CANCEL_LATE_REFUND_PERCENT = int(env.get("CANCEL_LATE_REFUND_PERCENT", 50))
        # Manual invoices (no Stripe): how to pay, printed in the invoice email, and how many
        # days after it is issued the invoice is due.
        self.INVOICE_PAYMENT_INSTRUCTIONS = env.get(
            "INVOICE_PAYMENT_INSTRUCTIONS", "Please pay by bank transfer or as agreed with the practice.")
        self.INVOICE_DUE_DAYS = max(0, int(env.get("INVOICE_DUE_DAYS", 14)))
        # The practice's terms of service and privacy notice, as plain-text files ("# " lines
        # are headings); a missing or empty file shows the built-in text (coaching/public/legal.py).
        self.TERMS_FILE = env.get("TERMS_FILE", str(INSTANCE / "terms.txt"))
        self.PRIVACY_FILE = env.get("PRIVACY_FILE", str(INSTANCE / "privacy.txt"))
        # Check-ins: send one to a couple after every N completed joint sessions (0: only when
        # the coach sends one).
        self.CHECKIN_EVERY_SESSIONS = max(0, int(env.get("CHECKIN_EVERY_SESSIONS", 0)))
        # Data exports (GDPR Art. 15/20): coach notes "never", "always" or "on_request" (a
        # partner asks, an admin reviews and releases them); how long the one-time link works;
        # how long an email-change confirmation link works.
        self.EXPORT_COACH_NOTES = env.get("EXPORT_COACH_NOTES", "on_request")
        if self.EXPORT_COACH_NOTES not in ("never", "always", "on_request"):
            raise ConfigError("EXPORT_COACH_NOTES must be never, always or on_request.")
        self.EXPORT_LINK_HOURS = float(env.get("EXPORT_LINK_HOURS", 24))
        self.EMAIL_CHANGE_TOKEN_MAX_AGE = int(env.get("EMAIL_CHANGE_TOKEN_MAX_AGE", 24 * 3600))
        # Leaving: days between "delete my account" and the erasure (signing in cancels it);
        # retention: signed notes this many years after the couple's last session, intakes
        # never finished this many days after their last change (coaching/erasure).
        self.ERASURE_COOLING_OFF_DAYS = max(0, int(env.get("ERASURE_COOLING_OFF_DAYS", 7)))
        self.RETENTION_NOTES_YEARS = max(1, int(env.get("RETENTION_NOTES_YEARS", 7)))
        self.RETENTION_ABANDONED_INTAKE_DAYS = max(1, int(env.get("RETENTION_ABANDONED_INTAKE_DAYS", 730)))
        self.RETENTION_SENT_EMAILS_DAYS = max(1, int(env.get("RETENTION_SENT_EMAILS_DAYS", 365)))
        # Private calendar feeds: how many days of past sessions a feed keeps, and how often one
        # feed, and one address, may be fetched (Flask-Limiter syntax, ";" between limits).
        self.CALENDAR_FEED_PAST_DAYS = max(0, int(env.get("CALENDAR_FEED_PAST_DAYS", 90)))
        self.CALENDAR_FEED_LIMIT = env.get("CALENDAR_FEED_LIMIT", "30 per minute;300 per hour")
        self.CALENDAR_FEED_LIMIT_PER_IP = env.get("CALENDAR_FEED_LIMIT_PER_IP", "300 per minute")
        # A coach's calendar elsewhere (coaching/calendars): read every N minutes, this many days
        # ahead, each fetch bounded in time and size; private and loopback addresses are refused
        # unless allowed (tests, or a CalDAV server on the practice's own network).
        self.CALENDAR_SYNC_MINUTES = float(env.get("CALENDAR_SYNC_MINUTES", 10))
        self.CALENDAR_SYNC_DAYS = int(env.get("CALENDAR_SYNC_DAYS", 120))
        self.CALENDAR_TIMEOUT_SECONDS = float(env.get("CALENDAR_TIMEOUT_SECONDS", 15))
        self.CALENDAR_MAX_BYTES = int(env.get("CALENDAR_MAX_BYTES", 5 * 1024 * 1024))
        self.CALENDAR_ALLOW_PRIVATE_ADDRESSES = _bool(env.get("CALENDAR_ALLOW_PRIVATE_ADDRESSES"), default=False)
        # Reminders: how long before each session everyone who may see it is emailed
        # (comma-separated, each a number and m, h or d; empty: no reminders).
        self.REMINDER_OFFSETS = _reminder_offsets(env.get("REMINDER_OFFSETS", "24h,1h"))
        # Without a worker (tasks inline), the web process dispatches due reminders once a minute.
        self.REMINDERS_WEB_SWEEP = self.TASKS_MODE == "inline"

    def validate(self) -> None:
        """Refuse to run production with development settings."""
        if self.TANDEM_ENV != "production":
            return
        if self.SECRET_KEY in ("", DEV_SECRET_PLACEHOLDER) or len(self.SECRET_KEY) < 32:
            raise ConfigError("TANDEM_ENV=production needs SECRET_KEY (at least 32 characters).")
        if self.DEBUG:
            raise ConfigError("TANDEM_ENV=production must not run with the debugger on.")
        if not self.DATA_KEYS:
            raise ConfigError("TANDEM_ENV=production needs TANDEM_DATA_KEYS (Fernet keys, newest first).")
        from cryptography.fernet import Fernet

        try:
            for key in self.DATA_KEYS.split(","):
                Fernet(key.strip())
        except (ValueError, TypeError) as exc:
            raise ConfigError("TANDEM_DATA_KEYS must be comma-separated Fernet keys.") from exc

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k.isupper()}


class TestConfig(Config):
    """Settings for tests: throwaway database, no real mail, fast hashing."""

    def __init__(self, env: dict[str, str] | None = None, **overrides: object) -> None:
        base_env = {"SECRET_KEY": "test-secret-key-" + "x" * 32, "TANDEM_DATA_KEYS": TEST_DATA_KEY}
        base_env.update(env or {})
        super().__init__(base_env)
        self.TESTING = True
        self.DATABASE_URL = "sqlite://"
        self.TASKS_MODE = "inline"
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.SMTP_URL = "memory://"  # sent emails kept in memory for tests (tests/mail.py)
        self.MAIL_DIR = None  # a test that wants .eml files sets its own folder
        self.PASSWORD_HASH_FAST = True
        self.SLOTS_CACHE_SECONDS = 0.0
        self.REMINDERS_WEB_SWEEP = False  # tests dispatch reminders themselves
        for key, value in overrides.items():
            setattr(self, key, value)
