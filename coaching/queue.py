"""The Huey task queue: SQLite storage by default, Redis with ``REDIS_URL``, or inline.

The queue object is created at import time because Huey binds tasks to their queue when
they are decorated; ``create_app`` then points it at the storage its configuration names
(``configure``), so the web process and ``flask worker`` agree with the app's settings.

Enqueueing never raises. Every task is asked for *after* a commit (the outbox row, the
pending refund are already durable), so a queue that is down must not turn a committed
change into a 500: the failure is logged and the periodic sweep that backs every task
(``deliver_outbox_periodically``, ``retry_pending_refunds``; Stripe expires abandoned
Checkout sessions by itself) does the work once the queue is back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from coaching.config import INSTANCE, redis_fail_fast_options

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("tandem.queue")


class _NeverRaisingEnqueue:
    """Mixin: a storage error while enqueueing is logged, and the caller gets ``None``."""

    def enqueue(self, task: Any) -> Any:
        try:
            return super().enqueue(task)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - any storage failure; the sweep recovers
            log.warning("task queue unavailable, %s not enqueued (its periodic sweep will do the work): %s: %s",
                        getattr(task, "name", task), type(exc).__name__, exc)
            return None


class TandemRedisHuey(_NeverRaisingEnqueue, RedisHuey):
    pass


class TandemSqliteHuey(_NeverRaisingEnqueue, SqliteHuey):
    pass


def _redis_pool(url: str, options: dict[str, Any]) -> Any:
    from redis import ConnectionPool

    return ConnectionPool.from_url(url, **options)


def _mode(env: Mapping[str, Any], redis_url: str | None) -> str:
    return env.get("TANDEM_TASKS") or ("redis" if redis_url else "inline")


def _build() -> Huey:
    redis_url = os.environ.get("REDIS_URL") or None
    mode = _mode(os.environ, redis_url)
    if mode == "redis":
        return TandemRedisHuey("tandem", connection_pool=_redis_pool(redis_url or "redis://127.0.0.1:6379/0",
                                                                     redis_fail_fast_options()))
    path = Path(os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE / "huey.db")))
    path.parent.mkdir(parents=True, exist_ok=True)
    return TandemSqliteHuey("tandem", filename=str(path), immediate=(mode == "inline"))


huey: Huey = _build()
_configured: tuple[Any, ...] | None = None


def configure(config: Mapping[str, Any]) -> None:
    """Point the queue at the storage the app's ``TASKS_MODE`` names.

    ``inline`` runs tasks in the calling process; ``redis`` uses ``REDIS_URL`` with short
    timeouts (a dead Redis fails fast); ``sqlite`` uses ``HUEY_SQLITE_PATH``. Calling it
    again with the same settings keeps the existing connection.
    """
    global _configured
    mode = config.get("TASKS_MODE", "inline")
    redis_url = config.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    key = (mode, redis_url if mode == "redis" else config.get("HUEY_SQLITE_PATH"),
           config.get("REDIS_CONNECT_TIMEOUT"), config.get("REDIS_SOCKET_TIMEOUT"))
    if mode == "inline":
        huey.immediate = True
        if not isinstance(huey.storage, MemoryStorage):
            huey.storage = MemoryStorage(huey.name)
        _configured = key
        return
    if key == _configured and not huey.immediate:
        return
    huey._immediate = False  # the public setter would rebuild the import-time storage
    if mode == "redis":
        options = redis_fail_fast_options(config.get("REDIS_CONNECT_TIMEOUT", 0.5),
                                          config.get("REDIS_SOCKET_TIMEOUT", 2.0))
        huey.storage = RedisStorage(huey.name, connection_pool=_redis_pool(redis_url, options))
    else:
        path = Path(config.get("HUEY_SQLITE_PATH") or INSTANCE / "huey.db")
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage = SqliteStorage(huey.name, filename=str(path))
    _configured = key


def queue_health() -> tuple[str, str]:
    """``(state, detail)`` of the queue: ``("ok", "inline")``, ``("ok", "redis")`` or ``("down", ...)``.

    Never raises; the detail names the backend and, when it is down, the error type only.
    """
    if huey.immediate:
        return "ok", "inline"
    storage = huey.storage
    try:
        if isinstance(storage, RedisStorage):
            storage.conn.ping()
            return "ok", "redis"
        storage.queue_size()
        return "ok", type(storage).__name__.removesuffix("Storage").lower()
    except Exception as exc:  # noqa: BLE001 - any failure means the queue is unreachable
        return "down", type(exc).__name__


_app_factory: Callable[[], Any] | None = None
_worker_app: Any = None


def set_app_factory(factory: Callable[[], Any]) -> None:
    """Tell tasks how to build an app when they run outside one (in ``flask worker``)."""
    global _app_factory
    _app_factory = factory


def with_app_context(func: F) -> F:
    """Run a task inside an app context: the caller's if there is one, else the worker's."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from flask import has_app_context

        from coaching import db

        if has_app_context():
            return func(*args, **kwargs)
        global _worker_app
        if _worker_app is None:
            if _app_factory is None:
                raise RuntimeError("no app factory registered for tasks")
            _worker_app = _app_factory()
        with _worker_app.app_context():
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper  # type: ignore[return-value]
