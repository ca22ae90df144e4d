"""The slack_events table: the durable inbox of Slack thread events, written before Slack gets its ack.

An event's state: `pending` -> `done` | `failed` (bot/bridge/inbox.py). `dedup_key` makes a retried or
repeated delivery a no-op; `seq` keeps the order in which a thread's events arrived.
"""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.models import EventState, SlackEvent
from bot.store import schema
from bot.store.engine import Database

E = schema.slack_events

# On Slack's ack path, built once: building a statement costs more than running it on SQLite.
_ENQUEUE = E.insert()


class EventRows:
    """The inbox's reads and named changes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self, *, dedup_key: str, event_id: str | None, link_id: int, kind: str, slack_ts: str,
        user_id: str | None, text: str, edited_ts: str | None = None,
    ) -> bool:
        """Store a Slack event durably; False if the same event was stored before (a retry or repeat)."""
        try:
            async with self._db.write() as conn:
                await conn.execute(_ENQUEUE, {
                    "dedup_key": dedup_key, "event_id": event_id, "link_id": link_id, "kind": kind,
                    "slack_ts": slack_ts, "edited_ts": edited_ts, "user_id": user_id, "text": text,
                    "state": EventState.PENDING, "attempts": 0, "next_attempt_at": 0.0, "received_at": time.time()})
        except IntegrityError:
            return False
        return True

    async def pending(self) -> dict[int, list[SlackEvent]]:
        """Pending inbox events grouped by link, each group in the order its messages were written.

        Ordering by the message's Slack ts (then arrival) keeps a thread's replies in the order people
        wrote them even when some reach us late (Slack retries, catch-up after downtime); a message's
        edits and deletion sort right after its creation, in the order they arrived.
        """
        rows = await self._db.fetch(select(E).where(E.c.state == EventState.PENDING).order_by(E.c.slack_ts, E.c.seq))
        grouped: dict[int, list[SlackEvent]] = {}
        for row in rows:
            grouped.setdefault(row["link_id"], []).append(SlackEvent(**row))
        return grouped

    async def pending_of_link(self, link_id: int) -> list[SlackEvent]:
        rows = await self._db.fetch(select(E).where(E.c.state == EventState.PENDING, E.c.link_id == link_id)
                                    .order_by(E.c.slack_ts, E.c.seq))
        return [SlackEvent(**row) for row in rows]

    async def move(self, seq: int, link_id: int) -> None:
        """Hand a stored event to another link (its thread was linked again after it was stored)."""
        async with self._db.write() as conn:
            await conn.execute(update(E).where(E.c.seq == seq).values(link_id=link_id))

    async def finish(self, seq: int, *, state: EventState, error: str | None = None) -> None:
        """pending -> done | failed."""
        async with self._db.write() as conn:
            await conn.execute(update(E).where(E.c.seq == seq).values(state=state, last_error=error))

    async def defer(self, seq: int, *, next_attempt_at: float, error: str) -> None:
        """Stays pending: a transient failure; try again at `next_attempt_at`."""
        async with self._db.write() as conn:
            await conn.execute(update(E).where(E.c.seq == seq).values(
                attempts=E.c.attempts + 1, next_attempt_at=next_attempt_at, last_error=error))
