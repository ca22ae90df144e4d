"""Claiming a request (and a thread) for a new link: one live link per request, enforced by the database.

The claim is the insert of the link in state `linking`, made before its root message is posted: the partial
unique index `uq_links_live_request` (migration 6) lets one insert win, on SQLite and PostgreSQL alike, and
the others learn which link holds the request. A `linking` row left behind by a crash between the claim and
the post would hold its request for ever; after LINKING_STALE_SECONDS it is given up to the next claim.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import AlreadyLinked
from bot.models import Link, LinkState
from bot.store import schema

L = schema.links
# Longer than a claim can legitimately stay `linking`: one chat.postMessage with its retries.
LINKING_STALE_SECONDS = 120.0


class LinkClaims:
    """Mixed into Store: the one way a link is created."""

    _write: Callable[[], AbstractAsyncContextManager[Any]]
    _fetch: Callable[..., Any]

    async def create_link(
        self, *, provider: str, request_id: str, channel_id: str, created_by: str,
        title: str | None, request_status: str | None, thread_ts: str | None = None, notify: bool = False,
    ) -> Link:
        """Write a link in state `linking`, before its root message is posted; `thread_ts`: an existing thread
        it takes (the "Link thread to request" shortcut). Raises AlreadyLinked when the request, or the thread,
        has a live link already."""
        now = time.time()
        try:
            async with self._write() as conn:
                # A claim abandoned by a crash between its insert and its post gives the request up.
                await conn.execute(update(L).where(
                    L.c.provider == provider, L.c.request_id == request_id, L.c.state == LinkState.LINKING,
                    L.c.created_at < now - LINKING_STALE_SECONDS).values(state=LinkState.UNLINKED))
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

    async def live_link_of_request(self, *, provider: str, request_id: str) -> Link | None:
        """The link that holds the request, in whichever channel: active, or being linked right now."""
        rows = await self._fetch(select(L).where(
            L.c.provider == provider, L.c.request_id == request_id,
            or_(L.c.state == LinkState.ACTIVE, and_(L.c.state == LinkState.LINKING,
                                                    L.c.created_at >= time.time() - LINKING_STALE_SECONDS))))
        return Link(**rows[0]) if rows else None

    async def _taken(self, *, provider: str, request_id: str, channel_id: str,
                     thread_ts: str | None) -> AlreadyLinked:
        """Which live link made the insert fail: the request's, else the thread's."""
        rows = await self._fetch(select(L).where(
            L.c.provider == provider, L.c.request_id == request_id, L.c.state != LinkState.UNLINKED))
        if rows:
            return AlreadyLinked(Link(**rows[0]))
        if thread_ts is not None:
            rows = await self._fetch(select(L).where(
                L.c.channel_id == channel_id, L.c.thread_ts == thread_ts, L.c.state != LinkState.UNLINKED))
            if rows:
                return AlreadyLinked(Link(**rows[0]), thread=True)
        return AlreadyLinked(None)
