"""Database plumbing: declarative Base, engine, and one session per request or task."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from coaching import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: aware UTC in Python, ``timestamptz`` on PostgreSQL, naive UTC text on SQLite.

    Binding a naive datetime raises, so local wall-clock times cannot slip in by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(cls: type[enum.Enum], length: int = 16) -> Enum:
    """Column type for a Python enum stored by value in a short string column.

    No native database enum type, so adding a member needs no ALTER TYPE migration.
    """
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


def utcnow() -> datetime:
    """Column default: the clock's now (a callable, evaluated per row)."""
    return clock.now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


# One session per thread; removed at the end of every request, CLI command and task.
session: scoped_session[Session] = scoped_session(sessionmaker(expire_on_commit=False))
_engine: Engine | None = None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with Tandem's connection settings for the URL's dialect."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, in_memory=url in ("sqlite://", "sqlite:///:memory:"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def pool_options(config: Any) -> dict[str, Any]:
    """The connection pool's bounds from the settings (PostgreSQL; SQLite keeps its own pool).

    One process never holds more than ``DB_POOL_SIZE + DB_MAX_OVERFLOW`` connections, so N
    processes hold at most N times that: keep it under PostgreSQL's ``max_connections``.
    Without ``DB_POOL_PRE_PING`` a checkout costs no round trip; a connection the server closed
    (a restart) fails one request and the pool then drops every older connection.
    """
    if str(config.get("DATABASE_URL", "")).startswith("sqlite"):
        return {}
    return {"pool_size": int(config.get("DB_POOL_SIZE", 5)), "max_overflow": int(config.get("DB_MAX_OVERFLOW", 10)),
            "pool_timeout": float(config.get("DB_POOL_TIMEOUT", 30)),
            "pool_recycle": int(config.get("DB_POOL_RECYCLE", 1800)),
            "pool_pre_ping": bool(config.get("DB_POOL_PRE_PING", False))}


def _configure_sqlite(engine: Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy (not pysqlite) decide when transactions begin, so that
        # ``immediate()`` can take the write lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":  # e.g. a migration's autocommit block
            return
        conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'DEFERRED')}")


def init_engine(url: str, **kwargs: Any) -> Engine:
    """Bind the session factory to a new engine for ``url`` and return it."""
    global _engine
    if _engine is not None:
        session.remove()
        _engine.dispose()
    _engine = make_engine(url, **kwargs)
    session.configure(bind=_engine)
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("database not initialised: call create_app() first")
    return _engine


@contextmanager
def immediate(db: Session | scoped_session[Session]) -> Iterator[Session]:
    """Run a write transaction that holds the database's write lock from its first statement.

    On SQLite this is ``BEGIN IMMEDIATE`` (so check-then-insert is serialised across
    processes); on PostgreSQL an ordinary transaction, where constraints do the work.
    Accepts a session or the scoped ``session`` proxy. The caller commits; on error the
    transaction is rolled back.
    """
    if isinstance(db, scoped_session):
        db = db()
    if db.in_transaction():
        db.commit()
    if db.get_bind().dialect.name == "sqlite":
        db.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield db
    except BaseException:
        db.rollback()
        raise


class TransactionMark:
    """A mark that database triggers can read, set only for the transaction that asked for it.

    Some rows must never change or go (signed notes, addenda), with a few named exceptions
    (key rotation, the retention purge). Their triggers let the exception through only inside
    a marked transaction:
    - PostgreSQL: the transaction-local setting ``tandem.<name> = 'on'`` (SET LOCAL semantics:
      it ends with the transaction, so it cannot leak to the next user of a pooled connection);
    - SQLite: the SQL function ``tandem_<name>()``, registered on each of the app's
      connections, returns 1 only while the mark is set on that connection. A plain ``sqlite3``
      shell does not have the function, so there the guarded statements simply fail.
    This keeps honest mistakes and raw SQL out; it is not a defence against someone who runs
    the application's own code with the database's credentials.
    """

    def __init__(self, name: str) -> None:
        self.setting = f"tandem.{name}"  # PostgreSQL
        self.sqlite_function = f"tandem_{name}"
        self._flag = f"tandem_{name}"
        event.listen(Engine, "connect", self._register)

    def _register(self, dbapi_conn: Any, record: Any) -> None:
        import sqlite3

        if isinstance(dbapi_conn, sqlite3.Connection):
            info, flag = record.info, self._flag
            dbapi_conn.create_function(self.sqlite_function, 0, lambda: 1 if info.get(flag) else 0)

    @contextmanager
    def transaction(self, db: Session) -> Iterator[None]:
        """A transaction carrying the mark; committed at the end, rolled back on error."""
        conn = db.connection()
        info = conn.connection.info
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT set_config('{self.setting}', 'on', true)")
        else:
            info[self._flag] = True
        try:
            yield
            db.commit()
        except BaseException:
            db.rollback()
            raise
        finally:
            info.pop(self._flag, None)
