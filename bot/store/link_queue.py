"""Queued links: `links` rows in state `linking`, waiting for the provider's budget (bot/bridge/link_queue.py).

A queued link is a row, so it survives a restart; whichever replica claims it (`claim_link` with
state `linking`: the lease columns, one conditional UPDATE) completes it, so two replicas never post its
root twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import func, select, update

from bot.models import Link, LinkState
from bot.store import schema

L = schema.links


class QueuedLinkRows:
    """Mixed into Store: the links waiting to be made, oldest first."""

    _write: Callable[[], AbstractAsyncContextManager[Any]]
    _fetch: Callable[[Any], Awaitable[list[Any]]]

    async def queued_links(self) -> list[Link]:
        rows = await self._fetch(select(L).where(L.c.state == LinkState.LINKING).order_by(L.c.id))
        return [Link(**r) for r in rows]

    async def count_queued(self, provider: str, *, up_to: int | None = None) -> int:
        """How many links of this provider wait (up to and including link `up_to`), to estimate a wait."""
        stmt = select(func.count()).select_from(L).where(L.c.state == LinkState.LINKING, L.c.provider == provider)
        if up_to is not None:
            stmt = stmt.where(L.c.id <= up_to)
        rows = await self._fetch(stmt)
        return int(next(iter(rows[0].values())))

    async def set_request_details(self, link_id: int, *, title: str | None, request_status: str | None) -> None:
        """What the provider says of a queued link's request, read when its turn came."""
        async with self._write() as conn:
            await conn.execute(update(L).where(L.c.id == link_id).values(title=title, request_status=request_status))
