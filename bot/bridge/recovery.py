"""The heartbeat job, and what it sets going when the database is back after an outage.

Every HEARTBEAT_SECONDS this replica writes its heartbeat (bot/bridge/leases.py). The write doubles as the
probe of the database: while it fails, the other background jobs are skipped (no retry storm, no log
flood; Slack's events are refused and noted in bot/bridge/outage.py); the first one that succeeds reads
back the threads whose events were refused, first, then the recently active ones.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from bot.bridge.catch_up import CatchUp, Priority
from bot.bridge.leases import Leases
from bot.bridge.outage import Missed, Outage, unavailable
from bot.models import Link
from bot.store.database import Store

log = logging.getLogger(__name__)


class Recovery:
    def __init__(self, *, store: Store, leases: Leases, outage: Outage, catch_up: CatchUp) -> None:
        self._store = store
        self._leases = leases
        self._outage = outage
        self._catch_up = catch_up

    async def heartbeat(self) -> None:
        """The scheduler's job: beat; after an outage or a refused event, queue the reads that catch up."""
        try:
            await self._leases.beat()
        except Exception as exc:
            if not unavailable(exc):
                raise
            self._outage.failed(exc)
            return
        if not (self._outage.down or self._outage.missed()):
            return
        downtime, missed = self._outage.recovered()
        try:
            links = await self._links_of(missed)
        except Exception as exc:
            self._outage.put_back(missed)
            if not unavailable(exc):
                raise
            self._outage.failed(exc)
            return
        self._catch_up.queue(links, priority=Priority.MISSED, held=True)
        if downtime:
            await self._catch_up.sweep()
        log.info("reading back threads after refused events", extra={"links": len(links),
                                                                     "down_seconds": round(downtime, 1)})

    async def _links_of(self, missed: Missed) -> list[Link]:
        found: dict[int, Link] = {}
        for channel, thread_ts in missed.threads:
            link = await self._store.links.for_thread(channel, thread_ts)
            if link is None:
                self._outage.read_back(channel, thread_ts, read_at=math.inf)  # not linked: nothing to hold
            else:
                found[link.id] = link
        for channel, ts in missed.messages:
            link = await self._store.links.of_slack_message(channel, ts)
            if link is not None:
                found[link.id] = link
        return list(found.values())

    async def guard(self, job: Callable[[], Awaitable[object]]) -> None:
        """Run a background job unless the database is known to be down; its failing marks it down."""
        if self._outage.down:
            return
        try:
            await job()
        except Exception as exc:
            if not unavailable(exc):
                raise
            self._outage.failed(exc)
