"""Catching up: what happened in linked threads while the bot could not take Slack's events.

Slack gives up on an event after its retries, so a thread is read back (conversations.replies, paced to its
rate limit) and what the store has not seen is queued as if Slack had delivered it: new replies, edits,
deletions. The inbox's keys make anything already handled a no-op. Threads are read back on start (every
linked thread), once the database is back after an outage (the threads whose events were refused, and the
recently active ones), and on a schedule (the recently active ones).

One queue of reads, most urgent first: a thread whose live event is waiting for its read, then threads
where something was missed or waits in the inbox, then the rest by most recent activity. A worker picks
the thread to read only once the pace lets it call Slack, so a thread that becomes urgent is read at the
next call. A thread's live events wait while its read is queued or running (so they are applied after
what the read finds, in order), and ask for the read to go first: after a restart with a thousand
linked threads, a new reply waits for one read, not for the threads ahead of it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import Any

from bot.bridge.inbox import Inbox
from bot.bridge.outage import unavailable
from bot.errors import BridgeError
from bot.models import EventKind, Link, MappedMessage, MessageState, Origin, SlackEvent
from bot.slack.events import ThreadEvent, files_markup
from bot.slack.gateway import SlackGateway
from bot.store.database import Store

log = logging.getLogger(__name__)
# Our clock against Slack's: a message posted this close to the start of a read may postdate it.
CLOCK_MARGIN_SECONDS = 10.0


def _later(a: str, b: str) -> str:
    return a if Decimal(a) >= Decimal(b) else b


def missed_events(thread: list[dict[str, Any]], rows: list[MappedMessage], *, channel: str, thread_ts: str,
                  pending: Sequence[SlackEvent] = (), read_started: float | None = None) -> list[ThreadEvent]:
    """The thread events a complete read of the thread implies, oldest first (pure).

    `pending` are the link's inbox events not yet applied: a reply waiting there whose message is gone
    from the thread was deleted, and must not be created later. A message newer than everything the read
    saw (and than `read_started`, less a margin for clock skew) may simply have been posted after the
    read, so its absence proves nothing.
    """
    known = {r.slack_ts: r for r in rows if r.origin == Origin.SLACK and r.slack_ts}
    events: list[ThreadEvent] = []
    present: set[str] = set()
    for message in thread:
        ts = message.get("ts")
        if not ts or ts == thread_ts:
            continue
        present.add(ts)
        user = message.get("user")
        if message.get("bot_id") or message.get("subtype") == "bot_message" or not user:
            continue
        text = message.get("text") or ""
        if message.get("files"):
            text = "\n".join(part for part in (text, files_markup(message["files"])) if part)
        if ts not in known:
            events.append(ThreadEvent(EventKind.REPLY, channel, ts, thread_ts, user, text, f"reply:{channel}:{ts}"))
        edited_ts = (message.get("edited") or {}).get("ts")
        if edited_ts and (ts not in known or known[ts].slack_edited_ts != edited_ts):
            events.append(ThreadEvent(EventKind.EDIT, channel, ts, thread_ts, user, text,
                                      f"edit:{channel}:{ts}:{edited_ts}", str(edited_ts)))
    horizon = max(present | {thread_ts}, key=Decimal)
    if read_started is not None:
        horizon = _later(horizon, f"{read_started - CLOCK_MARGIN_SECONDS:.6f}")
    gone: dict[str, str | None] = {ts: row.slack_user for ts, row in known.items()
                                   if row.state in (MessageState.SENT, MessageState.PENDING)}
    for event in pending:
        if event.kind != EventKind.DELETE and event.slack_ts not in known:
            gone.setdefault(event.slack_ts, event.user_id)
    for ts, user in sorted(gone.items(), key=lambda item: Decimal(item[0])):
        if ts not in present and Decimal(ts) <= Decimal(horizon):
            events.append(ThreadEvent(EventKind.DELETE, channel, ts, thread_ts, user, "", f"delete:{channel}:{ts}"))
    return events


# A read that the database's outage put off: bot/bridge/recovery.py reads the thread again once it is back.
DEFERRED = -1


@dataclass
class CatchUpResult:
    links: int = 0
    queued: int = 0
    failed: int = 0


class Priority(IntEnum):
    WAITING = 0  # a live event of the thread waits for this read
    MISSED = 1  # an event of the thread was refused, or waits in the inbox since before a restart
    RESTART = 2  # not read since this process started
    SWEEP = 3  # a routine re-read of a recently active thread


@dataclass
class _Batch:
    """One caller's set of reads (the start-up catch-up, a sweep): counted, and done when all are."""

    left: int
    result: CatchUpResult = field(default_factory=CatchUpResult)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def finished(self, *, ok: bool) -> None:
        if ok:
            self.result.links += 1
        else:
            self.result.failed += 1
        self.left -= 1
        if self.left <= 0:
            self.done.set()


@dataclass
class _Read:
    link: Link
    priority: Priority
    activity: float  # within a priority, the most recently active thread goes first
    held: bool  # the link's events wait from now until the read; else only during it
    batches: list[_Batch] = field(default_factory=list)
    attempts: int = 0

    def rank(self) -> tuple[int, float]:
        return (self.priority, -self.activity)


def activity(link: Link) -> float:
    """When the link's conversation last moved, either side (0 if never)."""
    return max(link.last_activity_at or 0.0, link.last_slack_reply_at or 0.0)


class CatchUp:
    def __init__(self, *, store: Store, slack: SlackGateway, inbox: Inbox, attempts: int = 5,
                 first_retry: float = 1.0, workers: int = 4, sweep_reads: int = 100,
                 recent_seconds: float = 3600.0) -> None:
        self._attempts = attempts
        self._first_retry = first_retry
        self._store = store
        self._slack = slack
        self._inbox = inbox
        self._max_workers = workers
        self._sweep_reads = sweep_reads
        self._recent_seconds = recent_seconds
        self._queue: dict[int, _Read] = {}
        self._reading: dict[int, _Read] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._retries: dict[int, asyncio.TimerHandle] = {}
        self._waiting_retry: dict[int, _Read] = {}
        inbox.when_held(self.hurry)

    async def hold_all(self) -> None:
        """Before events flow on start: hold every active link's events until its thread has been read."""
        self._inbox.hold(link.id for link in await self._store.links.active())

    async def run(self) -> CatchUpResult:
        """On start: read every linked thread back; those with events waiting in the inbox first."""
        waiting = set(await self._store.events.pending())
        links = await self._store.links.active()
        result = await self.read(links, priority=lambda link: Priority.MISSED if link.id in waiting
                                 else Priority.RESTART, held=True)
        log.info("catch-up done", extra={"links": result.links, "queued": result.queued, "failed": result.failed})
        return result

    async def read(self, links: Iterable[Link], *, priority: Callable[[Link], Priority], held: bool) -> CatchUpResult:
        """Read these threads back (queued with the other reads) and return once all were read or given up."""
        chosen = list(links)
        batch = _Batch(left=len(chosen))
        if not chosen:
            batch.done.set()
        for link in chosen:
            self._submit(link, priority(link), held=held, batch=batch)
        await batch.done.wait()
        return batch.result

    def queue(self, links: Iterable[Link], *, priority: Priority, held: bool) -> None:
        """Read these threads back, without waiting for it; `held`: their events wait from now until then."""
        for link in links:
            self._submit(link, priority, held=held)

    async def sweep(self, *, now: float | None = None) -> int:
        """The schedule's cheap pass: queue a read of the most recently active threads (at most `sweep_reads`),
        each holding its thread's live events only while it runs. Returns how many were queued."""
        since = (time.time() if now is None else now) - self._recent_seconds
        recent = sorted((link for link in await self._store.links.active() if activity(link) >= since),
                        key=activity, reverse=True)[:self._sweep_reads]
        self.queue(recent, priority=Priority.SWEEP, held=False)
        return len(recent)

    def hurry(self, link: Link) -> None:
        """A live event of this link waits for its thread's read: make that read the next one."""
        if link.id in self._reading:
            return  # under way
        self._submit(link, Priority.WAITING, held=True)

    def _submit(self, link: Link, priority: Priority, *, held: bool, batch: _Batch | None = None) -> None:
        if held:
            self._inbox.hold([link.id])
        entry = self._queue.get(link.id)
        if entry is None and link.id in self._retries:  # waiting out a failed read's backoff: try it now
            self._retries.pop(link.id).cancel()
            entry = self._queue[link.id] = self._waiting_retry.pop(link.id)
            entry.priority = min(entry.priority, priority)
        elif entry is None:
            entry = self._queue[link.id] = _Read(link, priority, activity(link), held)
        else:
            entry.priority = min(entry.priority, priority)
            entry.held = entry.held or held
        if batch is not None:
            entry.batches.append(batch)
        self._start_workers()

    def _start_workers(self) -> None:
        ready = sum(1 for link_id in self._queue if link_id not in self._reading)
        while len(self._workers) < min(self._max_workers, ready):
            task = asyncio.get_running_loop().create_task(self._work())
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    def _next(self) -> _Read | None:
        ready = [entry for link_id, entry in self._queue.items() if link_id not in self._reading]
        if not ready:
            return None
        entry = min(ready, key=_Read.rank)
        del self._queue[entry.link.id]
        return entry

    async def _work(self) -> None:
        while any(link_id not in self._reading for link_id in self._queue):
            await self._slack.replies_turn()  # choose the thread only now: the most urgent one at this moment
            entry = self._next()
            if entry is not None:
                await self._read_one(entry)

    async def _read_one(self, entry: _Read) -> None:
        link = entry.link
        self._reading[link.id] = entry
        self._inbox.hold([link.id])
        started = time.time()
        try:
            queued = await self._try(link)
        finally:
            del self._reading[link.id]
        entry.attempts += 1
        if queued == DEFERRED:  # the database is down: its thread waits for the read that follows its return
            for batch in entry.batches:
                batch.finished(ok=False)
            self._inbox.release(link)
            return
        if queued is None and entry.held and entry.attempts < self._attempts:
            # Its live events stay held meanwhile, so the order holds when the read succeeds. (A sweep's read
            # holds nothing for long: it is simply not retried.)
            delay = min(30.0, self._first_retry * 2 ** (entry.attempts - 1))
            self._retries[link.id] = asyncio.get_running_loop().call_later(delay, self._retry, entry)
            self._waiting_retry[link.id] = entry
            return
        gave_up = queued is None and entry.held
        if gave_up:
            log.warning("catch-up of a thread gave up; its events flow uncaught", extra={"link_id": link.id})
        for batch in entry.batches:
            batch.result.queued += queued or 0
            batch.finished(ok=queued is not None)
        again = self._queue.get(link.id)
        if (again is None or not again.held) and link.id not in self._retries:
            # Given up: its events flow uncaught, whatever was refused (else they would wait for ever). A sweep's
            # failed read covers nothing.
            self._inbox.release(link, read_at=math.inf if gave_up else None if queued is None else started)
        self._inbox.kick()
        self._start_workers()  # a read of this link asked for while this one ran is ready now

    def _retry(self, entry: _Read) -> None:
        self._retries.pop(entry.link.id, None)
        self._waiting_retry.pop(entry.link.id, None)
        queued = self._queue.get(entry.link.id)
        if queued is not None:  # asked for again meanwhile: one read does for both
            queued.priority = min(queued.priority, entry.priority)
            queued.batches += entry.batches
            queued.held = True
        else:
            self._queue[entry.link.id] = entry
        self._start_workers()

    async def stop(self) -> None:
        """On shutdown: no more reads; whatever is held is let go (the store keeps the events)."""
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        self._waiting_retry.clear()
        workers = list(self._workers)
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._queue.clear()
        self._inbox.release_all()

    async def _try(self, link: Link) -> int | None:
        """Read one thread back and queue what it missed: how many events, or None if the read failed."""
        try:
            if link.thread_ts is None:
                return 0
            started = time.time()
            thread = await self._slack.thread_messages(channel=link.channel_id, thread_ts=link.thread_ts,
                                                       turn_taken=True)
            rows = await self._store.messages.of_link(link.id)
            pending = [e for e in await self._store.events.pending_of_link(link.id) if e.received_at < started]
            queued = 0
            for event in missed_events(thread, rows, channel=link.channel_id, thread_ts=link.thread_ts,
                                       pending=pending, read_started=started):
                if await self._inbox.accept(event, event_id=None, link=link):
                    queued += 1
            return queued
        except BridgeError as exc:
            log.warning("catch-up of a thread failed", extra={"link_id": link.id, "error": str(exc)})
        except Exception as exc:
            if unavailable(exc):  # the thread is read back once the database is back (bot/bridge/recovery.py)
                self._inbox.outage.unread(link.channel_id, link.thread_ts, exc)
                return DEFERRED
            log.exception("catch-up of a thread crashed", extra={"link_id": link.id})  # must not hold the rest
        return None
