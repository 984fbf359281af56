"""The Huey task queue: SQLite storage by default, Redis with ``REDIS_URL``, or inline.

The queue is configured from the environment at import time because Huey binds tasks
to their queue when they are decorated; ``create_app`` only switches inline mode.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from coaching.config import INSTANCE

F = TypeVar("F", bound=Callable[..., Any])


def _build() -> Huey:
    mode = os.environ.get("TANDEM_TASKS") or ("redis" if os.environ.get("REDIS_URL") else "inline")
    if mode == "redis":
        return RedisHuey("tandem", url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    path = Path(os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE / "huey.db")))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("tandem", filename=str(path), immediate=(mode == "inline"))


huey: Huey = _build()

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
