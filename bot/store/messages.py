"""The messages table: the Slack ts <-> provider message id map, and each message's place in its life.

Unique on both sides per link, so nothing can be mapped twice. Part k > 1 of a long message has a row of
its own keyed `<key>#k` (bot/bridge/outbound.py, bot/bridge/mirror.py). Rows are only ever changed
through the named operations below, one per step of the state machine:

    origin=slack (a reply written in Slack, created on the provider)
        insert_slack        -> pending
        insert_tombstone    -> deleted      (its deletion arrived before the reply itself)
        insert_duplicate    -> duplicate    (a late provider copy of one of ours; never echoed, final)
        pending  --mark_sent-->    sent     (created, or found created after a lost answer)
        sent     --mark_sent-->    sent     (a create answered with no id: the poller found the id)
        pending  --mark_failed-->  failed   (refused for good, or out of attempts; its author was told)
        pending | sent | failed --mark_deleted--> deleted   (deleted in Slack; final)

    origin=provider (a message from the other side, posted in the Slack thread)
        insert_provider     -> posting      (a Slack post may be in flight)
        posting  --mark_posted-->  posted   (every part posted; slack_ts = part 1's ts)
        posting | posted --mark_deleted--> deleted   (gone on the provider, or a part no longer needed)

Changes that keep the state: `begin_attempt` (before each try of a create or a post, so a later try
knows the earlier one may have happened), `mark_edited` / `mark_edit_seen` (a Slack edit applied, or
found to need nothing) and `mark_updated` (a provider edit mirrored in Slack).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.models import MappedMessage, MessageState, Origin
from bot.store import schema
from bot.store.engine import Database

M = schema.messages


class MessageRows:
    """Reads of the map, and its named state changes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # reads -------------------------------------------------------------------------------------------

    async def by_slack_ts(self, link_id: int, slack_ts: str) -> MappedMessage | None:
        rows = await self._db.fetch(select(M).where(M.c.link_id == link_id, M.c.slack_ts == slack_ts))
        return MappedMessage(**rows[0]) if rows else None

    async def by_provider_id(self, link_id: int, provider_message_id: str) -> MappedMessage | None:
        rows = await self._db.fetch(select(M).where(
            M.c.link_id == link_id, M.c.provider_message_id == provider_message_id))
        return MappedMessage(**rows[0]) if rows else None

    async def parts(self, link_id: int, slack_ts: str) -> list[MappedMessage]:
        """The rows of one Slack message: the message itself, then parts `ts#2`, `ts#3`... of a split one."""
        rows = await self._db.fetch(select(M).where(
            M.c.link_id == link_id, or_(M.c.slack_ts == slack_ts, M.c.slack_ts.startswith(slack_ts + "#"))))
        found = [MappedMessage(**row) for row in rows]
        return sorted(found, key=lambda r: int((r.slack_ts or "").partition("#")[2] or 1))

    async def of_link(
        self, link_id: int, *, origin: Origin | None = None, states: Iterable[str] | None = None,
    ) -> list[MappedMessage]:
        stmt = select(M).where(M.c.link_id == link_id)
        if origin is not None:
            stmt = stmt.where(M.c.origin == origin)
        if states is not None:
            stmt = stmt.where(M.c.state.in_(list(states)))
        return [MappedMessage(**r) for r in await self._db.fetch(stmt.order_by(M.c.id))]

    async def count(self) -> int:
        rows = await self._db.fetch(select(func.count()).select_from(M))
        return int(next(iter(rows[0].values())))

    # new rows ----------------------------------------------------------------------------------------

    async def insert_slack(self, *, link_id: int, slack_ts: str, slack_user: str | None,
                           content: str) -> MappedMessage:
        """Record a Slack reply as `pending` before it is sent; an existing row is returned as is."""
        return await self._insert_slack(link_id=link_id, slack_ts=slack_ts, slack_user=slack_user, content=content,
                                        state=MessageState.PENDING)

    async def insert_tombstone(self, *, link_id: int, slack_ts: str, slack_user: str | None) -> MappedMessage:
        """A deletion that arrives before its reply writes a `deleted` row, so the late reply is ignored."""
        return await self._insert_slack(link_id=link_id, slack_ts=slack_ts, slack_user=slack_user, content="",
                                        state=MessageState.DELETED)

    async def _insert_slack(self, *, link_id: int, slack_ts: str, slack_user: str | None, content: str,
                            state: MessageState) -> MappedMessage:
        try:
            async with self._db.write() as conn:
                inserted = (await conn.execute(M.insert().values(
                    link_id=link_id, origin=Origin.SLACK, state=state, slack_ts=slack_ts,
                    slack_user=slack_user, content=content, attempts=0, created_at=time.time(),
                ).returning(*M.c))).mappings().one()
            return MappedMessage(**inserted)
        except IntegrityError:
            pass
        row = await self.by_slack_ts(link_id, slack_ts)
        assert row is not None
        return row

    async def insert_provider(
        self, *, link_id: int, provider_message_id: str, content: str, author: str, provider_created: str | None,
        author_role: str | None = None,
    ) -> MappedMessage:
        """Record a provider message as `posting` before its Slack post; an existing row is returned."""
        try:
            async with self._db.write() as conn:
                await conn.execute(M.insert().values(
                    link_id=link_id, origin=Origin.PROVIDER, state=MessageState.POSTING,
                    provider_message_id=provider_message_id, content=content, author=author, author_role=author_role,
                    provider_created=provider_created, attempts=0, created_at=time.time()))
        except IntegrityError:
            pass
        row = await self.by_provider_id(link_id, provider_message_id)
        assert row is not None
        return row

    async def insert_duplicate(self, *, link_id: int, provider_message_id: str) -> None:
        """Remember a provider message that is a late copy of one of ours, so it is never echoed."""
        try:
            async with self._db.write() as conn:
                await conn.execute(M.insert().values(
                    link_id=link_id, origin=Origin.SLACK, state=MessageState.DUPLICATE,
                    provider_message_id=provider_message_id, content="", attempts=0, created_at=time.time()))
        except IntegrityError:
            pass

    # state changes -----------------------------------------------------------------------------------

    async def begin_attempt(self, row: MappedMessage) -> None:
        """Count a try of the create (slack) or post (provider) before making it."""
        await self._set(row.id, attempts=row.attempts + 1)

    async def mark_sent(self, message_id: int, provider_message_id: str | None) -> None:
        """pending -> sent: created on the provider (`None`: its answer named no id; the poller finds it)."""
        await self._set(message_id, state=MessageState.SENT, provider_message_id=provider_message_id, error=None)

    async def mark_failed(self, message_id: int, error: str) -> None:
        """pending -> failed: refused for good, or out of attempts."""
        await self._set(message_id, state=MessageState.FAILED, error=error)

    async def mark_posted(self, message_id: int, slack_ts: str) -> None:
        """posting -> posted, at `slack_ts` (part 1's ts for the message's own row)."""
        await self._set(message_id, state=MessageState.POSTED, slack_ts=slack_ts)

    async def mark_deleted(self, message_id: int) -> None:
        """-> deleted, from either side. Final."""
        await self._set(message_id, state=MessageState.DELETED)

    async def mark_edited(self, message_id: int, *, content: str, edited_ts: str | None) -> None:
        """A Slack edit is what the provider holds now (or will get, for a pending row)."""
        await self._set(message_id, content=content, slack_edited_ts=edited_ts)

    async def mark_edit_seen(self, message_id: int, edited_ts: str | None) -> None:
        """A Slack edit needed nothing sent; remember it so an older edit arriving later is not applied."""
        await self._set(message_id, slack_edited_ts=edited_ts)

    async def mark_updated(self, message_id: int, *, content: str, author: str) -> None:
        """A provider edit is shown in Slack now."""
        await self._set(message_id, content=content, author=author)

    async def _set(self, message_id: int, **values: Any) -> None:
        async with self._db.write() as conn:
            await conn.execute(update(M).where(M.c.id == message_id).values(**values))
