"""The replicas table: each running replica's heartbeat (see bot/bridge/leases.py).

A replica whose heartbeat is old is dead, and its leases on links are free (bot/store/links.py, `claim`).
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.engine import Database

R = schema.replicas
# A replica silent for this long is forgotten (its row only names it in old leases).
FORGET_AFTER_SECONDS = 7 * 24 * 3600.0


class ReplicaRows:
    """Heartbeats of the replicas that hold leases."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def beat(self, replica_id: str) -> None:
        """This replica is alive now (a write: it also proves that the database takes writes)."""
        now = time.time()
        async with self._db.write() as conn:
            found = (await conn.execute(update(R).where(R.c.replica_id == replica_id).values(beat_at=now))).rowcount
            await conn.execute(delete(R).where(R.c.beat_at < now - FORGET_AFTER_SECONDS))
        if not found:
            try:
                async with self._db.write() as conn:
                    await conn.execute(R.insert().values(replica_id=replica_id, beat_at=now, started_at=now))
            except IntegrityError:  # another process under the same name inserted it a moment ago: alive too
                pass

    async def forget(self, replica_id: str) -> None:
        """On a clean shutdown: this replica is gone (its leases are released on the links)."""
        async with self._db.write() as conn:
            await conn.execute(delete(R).where(R.c.replica_id == replica_id))

    async def silent(self, *, dead_before: float) -> set[str]:
        """Replicas whose last heartbeat is older than `dead_before`."""
        rows = await self._db.fetch(select(R.c.replica_id).where(R.c.beat_at < dead_before))
        return {row["replica_id"] for row in rows}
