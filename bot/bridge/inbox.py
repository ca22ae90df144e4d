"""The durable Slack inbox: events are stored before Slack gets its ack, then applied in order.

Within a link, events are applied in arrival order and a failing event holds back the ones behind
it, so the provider sees a thread's replies in the order they were written. Links do not wait on
each other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from bot import metrics
from bot.bridge.ack_priority import AckPriority
from bot.bridge.leases import Leases
from bot.bridge.locks import LinkLocks
from bot.bridge.outage import Outage, unavailable
from bot.bridge.outbound import Outbound
from bot.errors import BridgeError, RateLimited
from bot.models import EventKind, EventState, Link, LinkState, SlackEvent
from bot.settings import Settings
from bot.slack.events import ThreadEvent
from bot.slack.thread_scope import predates_link
from bot.store.database import Store

log = logging.getLogger(__name__)
THREAD_LINK_CACHE_SECONDS = 30.0
THREAD_LINK_CACHE_SIZE = 10_000


class Inbox:
    def __init__(self, *, store: Store, outbound: Outbound, locks: LinkLocks, settings: Settings,
                 leases: Leases, acks: AckPriority | None = None, outage: Outage | None = None) -> None:
        self._leases = leases
        self.outage = outage or Outage()
        self._on_held: Callable[[Link], None] = lambda link: None
        self._acks = acks or AckPriority()
        self._store = store
        self._outbound = outbound
        self._locks = locks
        self._settings = settings
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._drain_lock = asyncio.Lock()
        self._held: set[int] = set()
        self._thread_links: dict[tuple[str, str], tuple[Link, float]] = {}

    def hold(self, link_ids: Iterable[int]) -> None:
        """Keep these links' events stored but unapplied (until their threads are caught up)."""
        self._held.update(link_ids)

    def when_held(self, callback: Callable[[Link], None]) -> None:
        """`callback(link)` runs when a held link has events waiting (catch-up then reads its thread first)."""
        self._on_held = callback

    def release(self, link: Link, *, read_at: float | None = None) -> None:
        """Let the link's events flow again; `read_at`: when the read back of its thread began, which covers
        the events refused before then (bot/bridge/outage.py holds a thread with a later refusal)."""
        self._held.discard(link.id)
        if read_at is not None:
            self.outage.read_back(link.channel_id, link.thread_ts, read_at=read_at)

    def release_all(self) -> None:
        self._held.clear()

    async def tick(self) -> None:
        """The scheduler's periodic nudge: retries deferred events (runs on the event loop)."""
        self.kick()

    async def accept(self, event: ThreadEvent, *, event_id: str | None, link: Link | None = None) -> bool:
        """Store a thread event if it belongs to a linked thread; True if it was new.

        If it cannot be stored (the database is unavailable) it raises, and Slack gets a non-200: the
        event's thread is noted, to be read back once the database is back (bot/bridge/outage.py).
        """
        try:
            return await self._accept(event, event_id=event_id, link=link)
        except Exception as exc:
            self.outage.refused(event, exc)
            raise

    async def _accept(self, event: ThreadEvent, *, event_id: str | None, link: Link | None) -> bool:
        if link is None and event.thread_ts:
            link = await self._link_for_thread(event.channel, event.thread_ts)
        if link is None and event.kind != EventKind.REPLY:
            link = await self._store.links.of_slack_message(event.channel, event.ts)
        if link is None:
            return False
        if predates_link(event.ts, link) and await self._store.messages.by_slack_ts(link.id, event.ts) is None:
            return False  # written before its thread was linked, and never sent on purpose
        return await self._store.events.enqueue(
            dedup_key=event.dedup_key, event_id=event_id, link_id=link.id, kind=event.kind,
            slack_ts=event.ts, user_id=event.user, text=event.text, edited_ts=event.edited_ts)

    async def _link_for_thread(self, channel: str, thread_ts: str) -> Link | None:
        """The thread's active link, remembered for a while: every reply in a thread asks on Slack's ack path.

        A remembered link may have been unlinked since; `_drain_link` then hands the event to the thread's
        current link, if it has one, so a stale answer here never loses an event.
        """
        key = (channel, thread_ts)
        known = self._thread_links.get(key)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        link = await self._store.links.for_thread(channel, thread_ts)
        if link is not None:
            if len(self._thread_links) >= THREAD_LINK_CACHE_SIZE:
                self._thread_links.clear()
            self._thread_links[key] = (link, time.monotonic() + THREAD_LINK_CACHE_SECONDS)
        return link

    def kick(self) -> None:
        """Apply pending events soon, in the background (after Slack got its ack)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._drain_until_quiet())

    def _kick_later(self, delay: float) -> None:
        asyncio.get_running_loop().call_later(delay, self.kick)

    async def _drain_until_quiet(self) -> None:
        while True:
            self._again = False
            try:
                await self.drain()
            except Exception as exc:  # keep the worker alive; the event stays pending and is retried
                if unavailable(exc):
                    self.outage.failed(exc)  # logged there once; the heartbeat notices when it is back
                    return
                log.exception("inbox drain failed")
            if not self._again:
                return

    async def wait_idle(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def drain(self) -> int:
        """Apply every due event; return how many were finished."""
        async with self._drain_lock:
            groups = await self._store.events.pending()
            counts = await asyncio.gather(*(self._drain_link(link_id, events) for link_id, events in groups.items()))
            return sum(counts)

    async def _drain_link(self, link_id: int, events: list[SlackEvent]) -> int:
        if link_id in self._held:  # waiting for its thread to be read back, which it asks to go first
            link = await self._store.links.get(link_id)
            if link is not None:
                self._on_held(link)
            return 0
        if not await self._leases.hold(link_id):
            # Another replica applies this link's events; or the link is unlinked, and no one holds it.
            link = await self._store.links.get(link_id)
            if link is None or link.state != LinkState.ACTIVE:
                for event in events:
                    await self._gone(event, link)
            return 0
        done = 0
        async with self._locks(link_id):
            link = await self._store.links.get(link_id)
            if link is not None and self.outage.holds(link.channel_id, link.thread_ts):
                self._on_held(link)  # an event of its thread was refused: it is read back first
                return 0
            for event in events:
                if link is None or link.state != LinkState.ACTIVE:
                    await self._gone(event, link)
                    continue
                if event.next_attempt_at > time.time():
                    break  # the head is waiting out a backoff; the rest keep their order behind it
                settles_in = event.received_at + self._settings.order_window_seconds - time.time()
                if settles_in > 0:
                    self._kick_later(settles_in)  # an earlier message may still be on its way
                    break
                await self._acks.yield_to_acks()
                if not await self._apply(event, link):
                    break
                done += 1
        return done

    async def _gone(self, event: SlackEvent, link: Link | None) -> None:
        """An event of a link that was unlinked: its thread's new link takes it, else it is dropped."""
        # The threads this link was remembered for (a thread linked again has left the old link's row).
        threads = {key for key, (known, _) in self._thread_links.items() if known.id == event.link_id}
        if link is not None and link.thread_ts:
            threads.add((link.channel_id, link.thread_ts))
        current = None
        for channel, thread_ts in threads:
            self._thread_links.pop((channel, thread_ts), None)
            current = current or await self._store.links.for_thread(channel, thread_ts)
        if current is not None and current.id != event.link_id:
            await self._store.events.move(event.seq, current.id)
            self._again = True
            return
        await self._store.events.finish(event.seq, state=EventState.DONE, error="link is gone")

    async def _apply(self, event: SlackEvent, link: Link) -> bool:
        try:
            await self._outbound.process(event, link)
        except BridgeError as exc:
            metrics.failed("to_provider", link.provider, exc)
            if not getattr(exc, "transient", False) or event.attempts + 1 >= self._settings.max_attempts:
                await self._store.events.finish(event.seq, state=EventState.FAILED, error=str(exc))
                await self._outbound.give_up(event, link, exc.user_message())
                return True
            delay = min(self._settings.max_retry_interval_seconds,
                        self._settings.retry_interval_seconds * 2 ** min(event.attempts, 30))
            if isinstance(exc, RateLimited):
                delay = max(delay, exc.retry_after)
            await self._store.events.defer(event.seq, next_attempt_at=time.time() + delay, error=str(exc))
            log.warning("slack event deferred", extra={"link_id": link.id, "seq": event.seq, "kind": event.kind,
                                                       "attempt": event.attempts + 1, "retry_in": round(delay, 1),
                                                       "error": str(exc)})
            return False
        await self._store.events.finish(event.seq, state=EventState.DONE)
        return True
