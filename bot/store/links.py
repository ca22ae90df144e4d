"""The links table: one row per linked Slack thread, its poll cursor and which replica holds its lease.

A link's state: `linking` (written before its root message is posted) -> `active` -> `unlinked`. The insert
in state `linking` is the claim on the request: the partial unique index `uq_links_live_request` (migration
6) lets one live link per request exist, on SQLite and PostgreSQL alike. A `linking` row left behind by a
crash between the claim and the post would hold its request for ever; after LINKING_STALE_SECONDS it is given
up to the next claim, unless a replica holds it (its lease: a link waiting in line for the provider's budget,
bot/bridge/link_queue.py, which every replica's queue also resumes).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import AlreadyLinked
from bot.models import Link, LinkState
from bot.store import schema
from bot.store.engine import Database

L = schema.links
M = schema.messages
R = schema.replicas
# Longer than a claim can legitimately stay `linking`: one chat.postMessage with its retries.
LINKING_STALE_SECONDS = 120.0

# On Slack's ack path, built once: building a statement costs more than running it on SQLite.
_FOR_THREAD = select(L).where(L.c.channel_id == bindparam("channel_id"), L.c.thread_ts == bindparam("thread_ts"),
                              L.c.state == LinkState.ACTIVE)


def _abandoned(now: float) -> Any:
    """A `linking` claim nobody works on: old, and no replica holding it (a link waiting in line is held)."""
    return and_(L.c.created_at < now - LINKING_STALE_SECONDS,
                or_(L.c.lease_until.is_(None), L.c.lease_until < now))


class LinkRows:
    """Reads and named changes of links."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _one(self, stmt: Any, parameters: dict[str, Any] | None = None) -> Link | None:
        rows = await self._db.fetch(stmt, parameters)
        return Link(**rows[0]) if rows else None

    async def _all(self, stmt: Any) -> list[Link]:
        return [Link(**r) for r in await self._db.fetch(stmt)]

    # reads -------------------------------------------------------------------------------------------

    async def get(self, link_id: int) -> Link | None:
        return await self._one(select(L).where(L.c.id == link_id))

    async def for_thread(self, channel_id: str, thread_ts: str) -> Link | None:
        """The active link of a Slack thread, if any."""
        return await self._one(_FOR_THREAD, {"channel_id": channel_id, "thread_ts": thread_ts})

    async def find(self, *, channel_id: str, provider: str, request_id: str) -> Link | None:
        """The active (or half-made) link of a request in a channel."""
        return await self._one(select(L).where(
            L.c.channel_id == channel_id, L.c.provider == provider, L.c.request_id == request_id,
            L.c.state != LinkState.UNLINKED).order_by(L.c.id))

    async def live_of_request(self, *, provider: str, request_id: str) -> Link | None:
        """The link that holds the request, in whichever channel: active, or being linked right now."""
        return await self._one(select(L).where(
            L.c.provider == provider, L.c.request_id == request_id,
            or_(L.c.state == LinkState.ACTIVE, and_(L.c.state == LinkState.LINKING, ~_abandoned(time.time())))))

    async def of_slack_message(self, channel_id: str, slack_ts: str) -> Link | None:
        """The active link whose map holds this Slack message (for deletions that lack thread_ts)."""
        return await self._one(select(L).join(M, M.c.link_id == L.c.id).where(
            L.c.channel_id == channel_id, M.c.slack_ts == slack_ts, L.c.state == LinkState.ACTIVE))

    async def in_channel(self, channel_id: str) -> list[Link]:
        return await self._all(select(L).where(L.c.channel_id == channel_id, L.c.state == LinkState.ACTIVE)
                               .order_by(L.c.id))

    async def linked_by(self, user_id: str) -> list[Link]:
        """The active links a person made (the App Home tab), oldest first."""
        return await self._all(select(L).where(L.c.created_by == user_id, L.c.state == LinkState.ACTIVE)
                               .order_by(L.c.id))

    async def active(self) -> list[Link]:
        return await self._all(select(L).where(L.c.state == LinkState.ACTIVE).order_by(L.c.id))

    async def queued(self) -> list[Link]:
        """Links waiting to be made (`linking`), oldest first: bot/bridge/link_queue.py makes them."""
        return await self._all(select(L).where(L.c.state == LinkState.LINKING).order_by(L.c.id))

    async def count_queued(self, provider: str, *, up_to: int | None = None) -> int:
        """How many links of this provider wait (up to and including link `up_to`), to estimate a wait."""
        stmt = select(func.count()).select_from(L).where(L.c.state == LinkState.LINKING, L.c.provider == provider)
        if up_to is not None:
            stmt = stmt.where(L.c.id <= up_to)
        rows = await self._db.fetch(stmt)
        return int(next(iter(rows[0].values())))

    # changes -----------------------------------------------------------------------------------------

    async def create(
        self, *, provider: str, request_id: str, channel_id: str, created_by: str,
        title: str | None, request_status: str | None, thread_ts: str | None = None, notify: bool = False,
    ) -> Link:
        """Claim the request (and `thread_ts`, an existing thread the "Link thread to request" shortcut takes)
        for a new link in state `linking`, before its root message is posted. Raises AlreadyLinked when the
        request, or the thread, has a live link already: the database decides (uq_links_live_request,
        uq_links_thread), so of claims made at the same moment, on one replica or several, one wins."""
        now = time.time()
        try:
            async with self._db.write() as conn:
                # A claim abandoned by a crash between its insert and its post gives the request up.
                await conn.execute(update(L).where(
                    L.c.provider == provider, L.c.request_id == request_id, L.c.state == LinkState.LINKING,
                    _abandoned(now)).values(state=LinkState.UNLINKED))
                if thread_ts is not None:
                    # A thread linked before and unlinked since keeps its old row; only one row may hold it.
                    await conn.execute(update(L).where(
                        L.c.channel_id == channel_id, L.c.thread_ts == thread_ts,
                        L.c.state == LinkState.UNLINKED).values(thread_ts=None))
                inserted = (await conn.execute(L.insert().values(
                    provider=provider, request_id=request_id, channel_id=channel_id, state=LinkState.LINKING,
                    thread_ts=thread_ts, title=title, request_status=request_status, created_by=created_by,
                    created_at=now, polls=0, notify_linker=notify).returning(*L.c))).mappings().one()
        except IntegrityError:
            raise await self._taken(provider=provider, request_id=request_id, channel_id=channel_id,
                                    thread_ts=thread_ts) from None
        return Link(**inserted)

    async def _taken(self, *, provider: str, request_id: str, channel_id: str,
                     thread_ts: str | None) -> AlreadyLinked:
        """Which live link made a claim fail: the request's, else the thread's."""
        found = await self._one(select(L).where(
            L.c.provider == provider, L.c.request_id == request_id, L.c.state != LinkState.UNLINKED))
        if found is not None:
            return AlreadyLinked(found)
        if thread_ts is not None:
            found = await self._one(select(L).where(
                L.c.channel_id == channel_id, L.c.thread_ts == thread_ts, L.c.state != LinkState.UNLINKED))
            if found is not None:
                return AlreadyLinked(found, thread=True)
        return AlreadyLinked(None)

    async def activate(self, link_id: int, thread_ts: str, *, linked_ts: str | None = None) -> None:
        """`linking` -> `active`. `linked_ts`: for a thread that existed before, where its bridged part begins."""
        async with self._db.write() as conn:
            if linked_ts is not None:
                # A thread linked before and unlinked since keeps its old row; only one row may hold it.
                await conn.execute(update(L).where(
                    L.c.channel_id == select(L.c.channel_id).where(L.c.id == link_id).scalar_subquery(),
                    L.c.thread_ts == thread_ts, L.c.state == LinkState.UNLINKED).values(thread_ts=None))
            await conn.execute(update(L).where(L.c.id == link_id).values(
                thread_ts=thread_ts, state=LinkState.ACTIVE, linked_ts=linked_ts))

    async def set_request_details(self, link_id: int, *, title: str | None, request_status: str | None) -> None:
        """What the provider says of a queued link's request, read when its turn came."""
        async with self._db.write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(title=title, request_status=request_status))

    async def renew_claims(self, *, owner: str, seconds: float) -> None:
        """Keep the `linking` rows this replica holds (made now, or waiting in its line) from looking abandoned."""
        async with self._db.write() as conn:
            await conn.execute(update(L).where(L.c.state == LinkState.LINKING, L.c.lease_owner == owner)
                               .values(lease_until=time.time() + seconds))

    async def unlink(self, link_id: int) -> None:
        """-> `unlinked`: the thread and the request go their own ways."""
        async with self._db.write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(state=LinkState.UNLINKED))

    async def set_notify_linker(self, link_id: int, on: bool) -> None:
        """Whether the person who linked is mentioned when the other side answers."""
        async with self._db.write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(notify_linker=on))

    async def claim(self, link_id: int, *, owner: str, seconds: float, dead_before: float | None = None,
                    state: LinkState = LinkState.ACTIVE) -> bool:
        """Take or renew this replica's lease on a link (in `state`); False while another live replica holds it.

        One conditional UPDATE: atomic on SQLite and PostgreSQL alike, so two replicas never both win. The
        lease is free when no one holds it, when it lapsed, or (`dead_before`) when its holder's last heartbeat
        (bot/store/replicas.py) is older than that: a dead replica's links move after a few missed beats.
        """
        now = time.time()
        free = [L.c.lease_owner.is_(None), L.c.lease_owner == owner, L.c.lease_until < now]
        if dead_before is not None:
            # A holder with no heartbeat at all (a replica of an older version) keeps its lease until it lapses.
            free.append(L.c.lease_owner.in_(select(R.c.replica_id).where(R.c.beat_at < dead_before)))
        async with self._db.write() as conn:
            result = await conn.execute(update(L).where(L.c.id == link_id, L.c.state == state, or_(*free))
                                        .values(lease_owner=owner, lease_until=now + seconds))
        return bool(result.rowcount)

    async def take_over(self, *, owner: str) -> int:
        """Every lease becomes free for this replica: for a store only one process uses (SQLite), whose other
        holders can only be earlier runs of this process. Returns how many were held by others."""
        async with self._db.write() as conn:
            result = await conn.execute(update(L).where(L.c.lease_owner.is_not(None), L.c.lease_owner != owner)
                                        .values(lease_owner=None, lease_until=None))
        return int(result.rowcount)

    async def release(self, *, owner: str) -> None:
        """On a clean shutdown: let other replicas take this one's links at once."""
        async with self._db.write() as conn:
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
        async with self._db.write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(**values))

    async def mark_slack_reply(self, link_id: int) -> None:
        """A reply from Slack was created on the request: analysts will likely answer, so poll it soon."""
        async with self._db.write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(last_slack_reply_at=time.time()))
