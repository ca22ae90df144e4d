"""Leases on links and the replicas table's heartbeats (see bot/bridge/leases.py).

A lease is taken or renewed by one conditional UPDATE on the link, atomic on SQLite and PostgreSQL alike, so
two replicas never both win. It is free when no one holds it, when it lapsed (`lease_until`), or, when the
caller says so, when its holder's heartbeat is older than `dead_before`: a SIGKILLed replica's links are
taken over after a few missed beats rather than after the whole lease.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.models import LinkState
from bot.store import schema

L = schema.links
R = schema.replicas
# A replica that has not beaten for this long is forgotten (its row only names it in old leases).
FORGET_AFTER_SECONDS = 7 * 24 * 3600.0


class LeaseRows:
    """Mixed into Store: leases on links, and heartbeats of the replicas that hold them."""

    _write: Callable[[], AbstractAsyncContextManager[Any]]
    _fetch: Callable[..., Any]

    async def claim_link(self, link_id: int, *, owner: str, seconds: float, dead_before: float | None = None) -> bool:
        """Take or renew this replica's lease on a link; False while another live replica holds it.

        `dead_before`: a holder whose last heartbeat is older than this is dead, and its lease free.
        """
        now = time.time()
        free = [L.c.lease_owner.is_(None), L.c.lease_owner == owner, L.c.lease_until < now]
        if dead_before is not None:
            # A holder with no row at all (a replica of a version without heartbeats) keeps its lease until it lapses.
            free.append(L.c.lease_owner.in_(select(R.c.replica_id).where(R.c.beat_at < dead_before)))
        async with self._write() as conn:
            result = await conn.execute(update(L).where(L.c.id == link_id, L.c.state == LinkState.ACTIVE, or_(*free))
                                        .values(lease_owner=owner, lease_until=now + seconds))
        return bool(result.rowcount)

    async def release_links(self, *, owner: str) -> None:
        """On a clean shutdown: let other replicas take this one's links at once."""
        async with self._write() as conn:
            await conn.execute(update(L).where(L.c.lease_owner == owner).values(lease_owner=None, lease_until=None))

    async def take_over_links(self, *, owner: str) -> int:
        """Every lease becomes this replica's: for a store only one process uses (SQLite), whose other holders
        can only be earlier runs of this process."""
        async with self._write() as conn:
            result = await conn.execute(update(L).where(L.c.lease_owner.is_not(None), L.c.lease_owner != owner)
                                        .values(lease_owner=None, lease_until=None))
        return int(result.rowcount)

    async def beat(self, replica_id: str) -> None:
        """This replica is alive now (a write: it also proves the database accepts writes)."""
        now = time.time()
        async with self._write() as conn:
            found = (await conn.execute(update(R).where(R.c.replica_id == replica_id).values(beat_at=now))).rowcount
            await conn.execute(delete(R).where(R.c.beat_at < now - FORGET_AFTER_SECONDS))
        if not found:
            try:
                async with self._write() as conn:
                    await conn.execute(R.insert().values(replica_id=replica_id, beat_at=now, started_at=now))
            except IntegrityError:  # another process under the same name inserted it a moment ago: alive too
                pass

    async def stop_beating(self, replica_id: str) -> None:
        """On a clean shutdown: this replica is gone (its leases are released separately)."""
        async with self._write() as conn:
            await conn.execute(delete(R).where(R.c.replica_id == replica_id))

    async def silent_replicas(self, *, dead_before: float) -> set[str]:
        """Replicas whose last heartbeat is older than `dead_before`."""
        rows = await self._fetch(select(R.c.replica_id).where(R.c.beat_at < dead_before))
        return {row["replica_id"] for row in rows}
