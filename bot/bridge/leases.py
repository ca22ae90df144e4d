"""Which replica works on which link. Only the holder of a link's lease polls it and applies its Slack
events, so several replicas on one PostgreSQL never post or create the same message twice.

Every replica writes a heartbeat every HEARTBEAT_SECONDS. A replica that missed three is dead, and its
leases are free at once rather than after LEASE_SECONDS: a process SIGKILLed and restarted under a new
name (a container or pod gets one) takes its links back within seconds. A lease whose holder never wrote a
heartbeat (a replica of an older version) still lasts until it lapses. With SQLite only one process uses
the store, so a starting process takes every lease at once: their holders can only be its earlier runs.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from collections.abc import Callable

from bot.models import Link
from bot.store.database import Store

log = logging.getLogger(__name__)
# A replica silent for this many heartbeats is dead.
DEAD_AFTER_BEATS = 3
# After a failed heartbeat, this replica takes over dead ones' leases only once its own heartbeats have gone
# through for this many beats in a row: after a database outage every replica's last beat is old, and the
# live ones need a beat to show it before anyone's leases are taken.
STEADY_BEATS = 2


def replica_id(*, configured: str | None, port: int) -> str:
    """REPLICA_ID, else host:PORT: unique among live replicas (two on one host listen on two ports), and
    the same for a process restarted in place, which then takes its links back without waiting."""
    return configured or f"{socket.gethostname()[:50]}:{port}"


class Leases:
    def __init__(self, *, store: Store, owner: str, seconds: float, heartbeat: float = 2.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.owner = owner
        self._store = store
        self._seconds = seconds
        self._heartbeat = heartbeat
        self._clock = clock
        # The first of this replica's unbroken run of heartbeats (None: the last one failed). A replica that
        # just started judges at once: the others have been beating all along.
        self._steady_since: float | None = -math.inf
        self._silent: set[str] = set()  # replicas found dead when this replica last looked
        self._looked_at = -math.inf

    async def start(self) -> None:
        """On start: the first heartbeat; with SQLite, every lease becomes this process's."""
        if self._store.single_process:
            taken = await self._store.links.take_over(owner=self.owner)
            if taken:
                log.info("took over the links of an earlier run", extra={"links": taken})
        await self.beat()

    async def beat(self) -> None:
        """Write this replica's heartbeat (raises if the database does not take it) and see who went silent."""
        try:
            await self._store.replicas.beat(self.owner)
        except Exception:
            self._steady_since = None
            self._silent = set()
            raise
        if self._steady_since is None:
            self._steady_since = self._clock()
        await self.look_around(at_most_every=0.0)

    async def look_around(self, *, at_most_every: float = 1.0) -> None:
        """See which replicas went silent (the poller asks each tick, so a dead one's links are polled without
        waiting for this replica's next heartbeat)."""
        now = self._clock()
        if now - self._looked_at < at_most_every:
            return
        self._looked_at = now
        dead_before = self._dead_before(now)
        self._silent = set() if dead_before is None else (
            await self._store.replicas.silent(dead_before=dead_before) - {self.owner})

    def _dead_before(self, now: float) -> float | None:
        """Heartbeats older than this are a dead replica's; None while this replica cannot judge."""
        if self._steady_since is None or now - self._steady_since < STEADY_BEATS * self._heartbeat:
            return None
        return now - DEAD_AFTER_BEATS * self._heartbeat

    async def hold(self, link_id: int) -> bool:
        """Take or renew the lease; False while another live replica holds it."""
        return await self._store.links.claim(link_id, owner=self.owner, seconds=self._seconds,
                                             dead_before=self._dead_before(self._clock()))

    def held_elsewhere(self, link: Link, now: float) -> bool:
        """Whether another live replica holds this link (as of the link row read at `now`)."""
        return link.lease_owner not in (None, self.owner) and (link.lease_until or 0.0) > now \
            and link.lease_owner not in self._silent

    async def release_all(self) -> None:
        """On a clean shutdown: the other replicas take this one's links at once."""
        await self._store.links.release(owner=self.owner)
        await self._store.replicas.forget(self.owner)
