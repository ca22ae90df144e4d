"""The mapping store: links, the Slack ts <-> provider message id map, poll cursors and the Slack inbox.

SQLAlchemy Core; the schema is created and migrated on open. PostgreSQL goes through asyncpg. SQLite runs
its statements on the event loop with the stdlib driver: a local SQLite statement takes microseconds,
while an async driver's hand-offs to a worker thread cost about 0.1 ms of CPU each, several per
transaction (bench/README.md), and that made the database most of the bot's CPU per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, bindparam, case, create_engine, event, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.models import (
    EventState,
    Link,
    LinkState,
    MappedMessage,
    MessageState,
    Origin,
    SlackEvent,
)
from bot.store import schema
from bot.store.budgets import BudgetRows
from bot.store.creations import CreationRows
from bot.store.migrations import migrate

L = schema.links
M = schema.messages
E = schema.slack_events


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


T = TypeVar("T")

# The statements of Slack's ack path, built once: building a statement costs more than running it on SQLite.
_LINK_FOR_THREAD = select(L).where(L.c.channel_id == bindparam("channel_id"), L.c.thread_ts == bindparam("thread_ts"),
                                   L.c.state == LinkState.ACTIVE)
_ENQUEUE_EVENT = E.insert()


class _Conn(Protocol):
    """What store methods use of a connection: AsyncConnection, or _Inline for SQLite."""

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


def _sync_url(url: str) -> str:
    """A SQLite URL for the stdlib driver (settings may name the async one)."""
    return "sqlite+pysqlite:" + url.split(":", 1)[1]


def _sqlite_begin(conn: Connection) -> None:
    # A write (or a migration) takes the write lock at its start, so it never has to upgrade a read lock.
    # A read is one statement, atomic on its own: it runs without BEGIN and ROLLBACK around it.
    if conn.get_execution_options().get(_WRITE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_WRITE = "request_bridge_write"


class Store(BudgetRows, CreationRows):
    """All reads and writes of the bridge's durable state."""

    def __init__(self, engine: AsyncEngine | Engine) -> None:
        self._engine = engine
        # SQLite has one writer; queueing writers here avoids "database is locked" on lock upgrades.
        # PostgreSQL takes concurrent writers itself.
        self._write_lock: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext())
        if isinstance(engine, Engine):
            self._sqlite_writer = engine.execution_options(**{_WRITE: True})

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect, then create or migrate the schema."""
        if url.startswith("sqlite"):
            # One process owns a SQLite store; the loop thread may differ between opening and use (tests).
            sqlite = create_engine(_sync_url(url), connect_args={"check_same_thread": False})
            event.listen(sqlite, "connect", _sqlite_pragmas)
            event.listen(sqlite, "begin", _sqlite_begin)
            with sqlite.execution_options(**{_WRITE: True}).begin() as conn:
                migrate(conn)
            return cls(sqlite)
        engine = create_async_engine(url)
        async with engine.begin() as aconn:
            # Replicas starting together migrate one at a time; the lock ends with the transaction.
            await aconn.execute(text("SELECT pg_advisory_xact_lock(7355608)"))
            await aconn.run_sync(migrate)
        return cls(engine)

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
    async def _connect(self, *, write: bool = False) -> AsyncIterator[_Conn]:
        if isinstance(self._engine, AsyncEngine):
            async with (self._engine.begin() if write else self._engine.connect()) as aconn:
                yield aconn
        else:
            with self._sqlite_writer.begin() if write else self._engine.connect() as conn:
                yield _Inline(conn)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[_Conn]:
        async with self._write_lock, self._connect(write=True) as conn:
            yield conn

    async def _fetch(self, stmt: Any, parameters: dict[str, Any] | None = None) -> list[Any]:
        async with self._connect() as conn:
            return list((await conn.execute(stmt, parameters)).mappings())

    # links -------------------------------------------------------------------------------------------

    async def create_link(
        self, *, provider: str, request_id: str, channel_id: str, created_by: str,
        title: str | None, request_status: str | None,
    ) -> Link:
        """Write a link in state `linking`, before its root message is posted."""
        async with self._write() as conn:
            result = await conn.execute(L.insert().values(
                provider=provider, request_id=request_id, channel_id=channel_id, state=LinkState.LINKING,
                title=title, request_status=request_status, created_by=created_by, created_at=time.time(),
                polls=0,
            ))
            link_id = result.inserted_primary_key[0]  # type: ignore[index]
        link = await self.link(link_id)
        assert link is not None
        return link

    async def activate_link(self, link_id: int, thread_ts: str, *, linked_ts: str | None = None) -> None:
        """`linked_ts`: for a thread that existed before, where its bridged part begins."""
        async with self._write() as conn:
            if linked_ts is not None:
                # A thread linked before and unlinked since keeps its old row; only one row may hold it.
                await conn.execute(update(L).where(
                    L.c.channel_id == select(L.c.channel_id).where(L.c.id == link_id).scalar_subquery(),
                    L.c.thread_ts == thread_ts, L.c.state == LinkState.UNLINKED).values(thread_ts=None))
            await conn.execute(update(L).where(L.c.id == link_id).values(
                thread_ts=thread_ts, state=LinkState.ACTIVE, linked_ts=linked_ts))

    async def set_notify_linker(self, link_id: int, on: bool) -> None:
        """Whether the person who linked is mentioned when the other side answers."""
        async with self._write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(notify_linker=on))

    async def unlink(self, link_id: int) -> None:
        async with self._write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(state=LinkState.UNLINKED))

    async def link(self, link_id: int) -> Link | None:
        rows = await self._fetch(select(L).where(L.c.id == link_id))
        return Link(**rows[0]) if rows else None

    async def link_for_thread(self, channel_id: str, thread_ts: str) -> Link | None:
        """The active link of a Slack thread, if any."""
        rows = await self._fetch(_LINK_FOR_THREAD, {"channel_id": channel_id, "thread_ts": thread_ts})
        return Link(**rows[0]) if rows else None

    async def find_link(self, *, channel_id: str, provider: str, request_id: str) -> Link | None:
        """The active (or half-made) link of a request in a channel."""
        rows = await self._fetch(select(L).where(
            L.c.channel_id == channel_id, L.c.provider == provider, L.c.request_id == request_id,
            L.c.state != LinkState.UNLINKED).order_by(L.c.id))
        return Link(**rows[0]) if rows else None

    async def active_link_of_request(self, *, provider: str, request_id: str) -> Link | None:
        """The request's active link, in whichever channel."""
        rows = await self._fetch(select(L).where(
            L.c.provider == provider, L.c.request_id == request_id, L.c.state == LinkState.ACTIVE).order_by(L.c.id))
        return Link(**rows[0]) if rows else None

    async def links_in_channel(self, channel_id: str) -> list[Link]:
        rows = await self._fetch(select(L).where(
            L.c.channel_id == channel_id, L.c.state == LinkState.ACTIVE).order_by(L.c.id))
        return [Link(**r) for r in rows]

    async def links_linked_by(self, user_id: str) -> list[Link]:
        """The active links a person made (the App Home tab), oldest first."""
        rows = await self._fetch(select(L).where(L.c.created_by == user_id, L.c.state == LinkState.ACTIVE)
                                 .order_by(L.c.id))
        return [Link(**r) for r in rows]

    async def active_links(self) -> list[Link]:
        rows = await self._fetch(select(L).where(L.c.state == LinkState.ACTIVE).order_by(L.c.id))
        return [Link(**r) for r in rows]

    async def claim_link(self, link_id: int, *, owner: str, seconds: float) -> bool:
        """Take or renew this replica's lease on a link; False while another replica holds it.

        One conditional UPDATE: atomic on SQLite and PostgreSQL alike, so two replicas never both win.
        """
        now = time.time()
        async with self._write() as conn:
            result = await conn.execute(update(L).where(
                L.c.id == link_id, L.c.state == LinkState.ACTIVE,
                or_(L.c.lease_owner.is_(None), L.c.lease_owner == owner, L.c.lease_until < now),
            ).values(lease_owner=owner, lease_until=now + seconds))
        return bool(result.rowcount)

    async def release_links(self, *, owner: str) -> None:
        """On a clean shutdown: let other replicas take this one's links at once."""
        async with self._write() as conn:
            await conn.execute(update(L).where(L.c.lease_owner == owner).values(lease_owner=None, lease_until=None))

    async def record_poll(self, link_id: int, *, cursor: str | None, request_status: str | None = None,
                          activity_at: float | None = None, active: bool = False,
                          next_poll_at: float | None = None) -> None:
        """After a poll. `activity_at`: when the newest message it found was written, which moves the
        conversation's last activity forward (never back); `active`: it found something new (now, then)."""
        now = time.time()
        values: dict[str, Any] = {"polls": L.c.polls + 1, "last_polled_at": now}
        moved = now if active and activity_at is None else activity_at
        if moved is not None:
            values["last_activity_at"] = case((L.c.last_activity_at.is_(None), moved),
                                              (L.c.last_activity_at < moved, moved), else_=L.c.last_activity_at)
        if next_poll_at is not None:
            values["next_poll_at"] = next_poll_at
        if cursor is not None:
            values["poll_cursor"] = cursor
        if request_status is not None:
            values["request_status"] = request_status
        async with self._write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(**values))

    async def mark_slack_reply(self, link_id: int) -> None:
        """A reply from Slack was created on the request: analysts will likely answer, so poll it soon."""
        async with self._write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(last_slack_reply_at=time.time()))

    # messages ----------------------------------------------------------------------------------------

    async def message_by_slack_ts(self, link_id: int, slack_ts: str) -> MappedMessage | None:
        rows = await self._fetch(select(M).where(M.c.link_id == link_id, M.c.slack_ts == slack_ts))
        return MappedMessage(**rows[0]) if rows else None

    async def message_parts(self, link_id: int, slack_ts: str) -> list[MappedMessage]:
        """The rows of one Slack message: the message itself, then parts `ts#2`, `ts#3`... of a split one."""
        rows = await self._fetch(select(M).where(
            M.c.link_id == link_id, or_(M.c.slack_ts == slack_ts, M.c.slack_ts.startswith(slack_ts + "#"))))
        found = [MappedMessage(**row) for row in rows]
        return sorted(found, key=lambda r: int((r.slack_ts or "").partition("#")[2] or 1))

    async def message_by_provider_id(self, link_id: int, provider_message_id: str) -> MappedMessage | None:
        rows = await self._fetch(select(M).where(
            M.c.link_id == link_id, M.c.provider_message_id == provider_message_id))
        return MappedMessage(**rows[0]) if rows else None

    async def messages_for_link(
        self, link_id: int, *, origin: Origin | None = None, states: Iterable[str] | None = None,
    ) -> list[MappedMessage]:
        stmt = select(M).where(M.c.link_id == link_id)
        if origin is not None:
            stmt = stmt.where(M.c.origin == origin)
        if states is not None:
            stmt = stmt.where(M.c.state.in_(list(states)))
        rows = await self._fetch(stmt.order_by(M.c.id))
        return [MappedMessage(**r) for r in rows]

    async def insert_slack_message(
        self, *, link_id: int, slack_ts: str, slack_user: str | None, content: str,
        state: MessageState = MessageState.PENDING,
    ) -> MappedMessage:
        """Record a Slack reply as pending before it is sent; an existing row is returned as is.

        A deletion that arrives before its reply writes a `deleted` tombstone, so the late reply is ignored.
        """
        try:
            async with self._write() as conn:
                inserted = (await conn.execute(M.insert().values(
                    link_id=link_id, origin=Origin.SLACK, state=state, slack_ts=slack_ts,
                    slack_user=slack_user, content=content, attempts=0, created_at=time.time(),
                ).returning(*M.c))).mappings().one()
            return MappedMessage(**inserted)
        except IntegrityError:
            pass
        row = await self.message_by_slack_ts(link_id, slack_ts)
        assert row is not None
        return row

    async def insert_provider_message(
        self, *, link_id: int, provider_message_id: str, content: str, author: str, provider_created: str | None,
        author_role: str | None = None,
    ) -> MappedMessage:
        """Record a provider message as `posting` before its Slack post; an existing row is returned."""
        try:
            async with self._write() as conn:
                await conn.execute(M.insert().values(
                    link_id=link_id, origin=Origin.PROVIDER, state=MessageState.POSTING,
                    provider_message_id=provider_message_id, content=content, author=author, author_role=author_role,
                    provider_created=provider_created, attempts=0, created_at=time.time()))
        except IntegrityError:
            pass
        row = await self.message_by_provider_id(link_id, provider_message_id)
        assert row is not None
        return row

    async def link_of_slack_message(self, channel_id: str, slack_ts: str) -> Link | None:
        """The active link whose map holds this Slack message (for deletions that lack thread_ts)."""
        rows = await self._fetch(select(L).join(M, M.c.link_id == L.c.id).where(
            L.c.channel_id == channel_id, M.c.slack_ts == slack_ts, L.c.state == LinkState.ACTIVE))
        return Link(**rows[0]) if rows else None

    async def insert_duplicate(self, *, link_id: int, provider_message_id: str) -> None:
        """Remember a provider message that is a late copy of one of ours, so it is never echoed."""
        try:
            async with self._write() as conn:
                await conn.execute(M.insert().values(
                    link_id=link_id, origin=Origin.SLACK, state=MessageState.DUPLICATE,
                    provider_message_id=provider_message_id, content="", attempts=0, created_at=time.time()))
        except IntegrityError:
            pass

    async def update_message(self, message_id: int, **values: Any) -> None:
        async with self._write() as conn:
            await conn.execute(update(M).where(M.c.id == message_id).values(**values))

    async def count_messages(self) -> int:
        rows = await self._fetch(select(func.count()).select_from(M))
        return int(next(iter(rows[0].values())))

    # Slack inbox -------------------------------------------------------------------------------------

    async def enqueue_event(
        self, *, dedup_key: str, event_id: str | None, link_id: int, kind: str, slack_ts: str,
        user_id: str | None, text: str, edited_ts: str | None = None,
    ) -> bool:
        """Store a Slack event durably; False if the same event was stored before (a retry or repeat)."""
        try:
            async with self._write() as conn:
                await conn.execute(_ENQUEUE_EVENT, {
                    "dedup_key": dedup_key, "event_id": event_id, "link_id": link_id, "kind": kind,
                    "slack_ts": slack_ts, "edited_ts": edited_ts, "user_id": user_id, "text": text,
                    "state": EventState.PENDING, "attempts": 0, "next_attempt_at": 0.0, "received_at": time.time()})
        except IntegrityError:
            return False
        return True

    async def move_event(self, seq: int, link_id: int) -> None:
        """Hand a stored event to another link (its thread was linked again after it was stored)."""
        async with self._write() as conn:
            await conn.execute(update(E).where(E.c.seq == seq).values(link_id=link_id))

    async def pending_events(self) -> dict[int, list[SlackEvent]]:
        """Pending inbox events grouped by link, each group in the order its messages were written.

        Ordering by the message's Slack ts (then arrival) keeps a thread's replies in the order people
        wrote them even when some reach us late (Slack retries, catch-up after downtime); a message's
        edits and deletion sort right after its creation, in the order they arrived.
        """
        pending = select(E).where(E.c.state == EventState.PENDING)
        rows = await self._fetch(pending.order_by(E.c.slack_ts, E.c.seq))
        grouped: dict[int, list[SlackEvent]] = {}
        for row in rows:
            grouped.setdefault(row["link_id"], []).append(SlackEvent(**row))
        return grouped

    async def pending_events_of_link(self, link_id: int) -> list[SlackEvent]:
        rows = await self._fetch(select(E).where(E.c.state == EventState.PENDING, E.c.link_id == link_id)
                                 .order_by(E.c.slack_ts, E.c.seq))
        return [SlackEvent(**row) for row in rows]

    async def finish_event(self, seq: int, *, state: EventState, error: str | None = None) -> None:
        async with self._write() as conn:
            await conn.execute(update(E).where(E.c.seq == seq).values(state=state, last_error=error))

    async def defer_event(self, seq: int, *, next_attempt_at: float, error: str) -> None:
        async with self._write() as conn:
            await conn.execute(update(E).where(E.c.seq == seq).values(
                attempts=E.c.attempts + 1, next_attempt_at=next_attempt_at, last_error=error))
