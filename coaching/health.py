"""What ``/healthz`` reports: each dependency's state, without secrets.

The app can serve while Redis is down (rate limits fall back to memory, tasks wait for the
sweep), so that is ``degraded`` and still HTTP 200; without its database it cannot, which
is ``down`` and HTTP 503. No URL, host, user or key appears in the report: only states,
modes and error class names.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import text

from coaching import db
from coaching.config import redis_fail_fast_options


@lru_cache(maxsize=4)
def _redis_client(url: str, connect_timeout: float, socket_timeout: float) -> Any:
    import redis

    return redis.Redis.from_url(url, **redis_fail_fast_options(connect_timeout, socket_timeout))


def _database() -> dict[str, str]:
    try:
        with db.get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means the database is unreachable
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok"}


def _redis(config: Mapping[str, Any]) -> dict[str, str]:
    try:
        _redis_client(config["REDIS_URL"], config["REDIS_CONNECT_TIMEOUT"],
                      config["REDIS_SOCKET_TIMEOUT"]).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means Redis is unreachable
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok"}


def _rate_limits(config: Mapping[str, Any], redis_state: str | None) -> dict[str, str]:
    from coaching.extensions import limiter

    if not config.get("RATELIMIT_ENABLED", True):
        return {"status": "ok", "storage": "disabled"}
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if uri.startswith("memory"):
        return {"status": "ok", "storage": "memory"}
    if redis_state == "down" or not limiter.recover_if_storage_answers():
        return {"status": "degraded", "storage": "memory (fallback while Redis is down)"}
    return {"status": "ok", "storage": "redis"}


def report(config: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """``(body, http_status)`` for ``/healthz``."""
    from coaching.queue import queue_health

    checks: dict[str, dict[str, str]] = {"database": _database()}
    redis_state = None
    if config.get("REDIS_URL"):
        checks["redis"] = _redis(config)
        redis_state = checks["redis"]["status"]
    queue_state, queue_detail = queue_health()
    checks["task_queue"] = {"status": "ok" if queue_state == "ok" else "degraded",
                            "mode": config.get("TASKS_MODE", "inline")}
    if queue_state != "ok":
        checks["task_queue"]["error"] = queue_detail
    checks["rate_limits"] = _rate_limits(config, redis_state)
    smtp_url = config.get("SMTP_URL")
    checks["email"] = {"status": "ok",
                       "mode": "memory" if smtp_url == "memory://" else "smtp" if smtp_url else "log"}
    if checks["database"]["status"] != "ok":
        return {"status": "down", "checks": checks}, 503
    degraded = any(check["status"] != "ok" for check in checks.values())
    return {"status": "degraded" if degraded else "ok", "checks": checks}, 200
