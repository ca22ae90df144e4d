"""The store's one connection seam: engines, connections, the write lock, and the SQLite tuning.

Every table module (links, messages, events, budgets, creations) reads through `Database.fetch` and
writes through `Database.write`; nothing else opens a connection. PostgreSQL goes through asyncpg. SQLite
runs its statements on the event loop with the stdlib driver: a local SQLite statement takes
microseconds, while an async driver's hand-offs to a worker thread cost about 0.1 ms of CPU each, several
per transaction (bench/README.md), and that made the database most of the bot's CPU per event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.migrations import migrate

T = TypeVar("T")

_WRITE = "request_bridge_write"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite opens transactions only before DML, so DDL (a migration) would run outside one and a crash
    # could leave half a schema. Take over: no implicit transactions; writes begin explicitly (_sqlite_begin).
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    # WAL survives a killed process and lets readers run beside the writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A write (or a migration) takes the write lock at its start, so it never has to upgrade a read lock.
    # A read is one statement, atomic on its own: it runs without BEGIN and ROLLBACK around it.
    if conn.get_execution_options().get(_WRITE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sync_url(url: str) -> str:
    """A SQLite URL for the stdlib driver (settings may name the async one)."""
    return "sqlite+pysqlite:" + url.split(":", 1)[1]


class Conn(Protocol):
    """What the table modules use of a connection: AsyncConnection, or _Inline for SQLite."""

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...

    async def run_sync(self, fn: Any, *args: Any) -> Any: ...


class _Inline:
    """AsyncConnection's interface over a synchronous SQLite connection: each call runs right away."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self._conn.execute(statement, parameters)

    async def run_sync(self, fn: Any, *args: Any) -> Any:
        return fn(self._conn, *args)


class Database:
    """An open engine (SQLite or PostgreSQL) with the schema migrated."""

    def __init__(self, engine: AsyncEngine | Engine) -> None:
        self._engine = engine
        # SQLite has one writer; queueing writers here avoids "database is locked" on lock upgrades.
        # PostgreSQL takes concurrent writers itself.
        self._write_lock: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext())
        if isinstance(engine, Engine):
            self._sqlite_writer = engine.execution_options(**{_WRITE: True})

    @classmethod
    async def open(cls, url: str) -> Database:
        """Connect, then create or migrate the schema."""
        if url.startswith("sqlite"):
            # One process owns a SQLite store; the loop thread may differ between opening and use (tests).
            sqlite = create_engine(_sync_url(url), connect_args={"check_same_thread": False})
            event.listen(sqlite, "connect", _sqlite_pragmas)
            event.listen(sqlite, "begin", _sqlite_begin)
            with sqlite.execution_options(**{_WRITE: True}).begin() as conn:
                migrate(conn)
            return cls(sqlite)
        # pre_ping: a connection the server dropped (it restarted) is replaced, not handed out to fail once.
        # A server that is down refuses at once; one that does not answer is given up on after 10 s.
        engine = create_async_engine(url, pool_pre_ping=True, connect_args={"timeout": 10})
        async with engine.begin() as aconn:
            # Replicas starting together migrate one at a time; the lock ends with the transaction.
            await aconn.execute(text("SELECT pg_advisory_xact_lock(7355608)"))
            await aconn.run_sync(migrate)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def close(self) -> None:
        if isinstance(self._engine, AsyncEngine):
            await self._engine.dispose()
        else:
            self._engine.dispose()

    async def ping(self) -> bool:
        return bool(await self.run_sync(lambda conn: conn.execute(select(1)).scalar() == 1))

    async def run_sync(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` with a plain SQLAlchemy connection (schema inspection, diagnostics)."""
        async with self._connect() as conn:
            result: T = await conn.run_sync(fn)
            return result

    @asynccontextmanager
    async def _connect(self, *, write: bool = False) -> AsyncIterator[Conn]:
        if isinstance(self._engine, AsyncEngine):
            async with (self._engine.begin() if write else self._engine.connect()) as aconn:
                yield aconn
        else:
            with self._sqlite_writer.begin() if write else self._engine.connect() as conn:
                yield _Inline(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        """One write transaction (on SQLite, queued behind this process's other writers)."""
        async with self._write_lock, self._connect(write=True) as conn:
            yield conn

    async def fetch(self, stmt: Any, parameters: dict[str, Any] | None = None) -> list[Any]:
        """The rows of one read, as mappings."""
        async with self._connect() as conn:
            return list((await conn.execute(stmt, parameters)).mappings())
