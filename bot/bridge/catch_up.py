"""Catching up after downtime: what happened in linked threads while no instance was listening.

Slack gives up on an event after its retries, so on start every linked thread is read back
(conversations.replies, paced to its rate limit) and what the store has not seen is queued as if
Slack had delivered it: new replies, edits, deletions. The inbox's keys make anything already
handled a no-op. A link's live events wait until its thread has been read, so order holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.bridge.inbox import Inbox
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


@dataclass
class CatchUpResult:
    links: int = 0
    queued: int = 0
    failed: int = 0


class CatchUp:
    def __init__(self, *, store: Store, slack: SlackGateway, inbox: Inbox, attempts: int = 5,
                 first_retry: float = 1.0) -> None:
        self._attempts = attempts
        self._first_retry = first_retry
        self._store = store
        self._slack = slack
        self._inbox = inbox

    async def hold_all(self) -> None:
        """Before events flow: hold every active link's events until its thread has been read."""
        self._inbox.hold(link.id for link in await self._store.links.active())

    async def run(self) -> CatchUpResult:
        result = CatchUpResult()
        try:
            await self._run(result)
        finally:
            self._inbox.release_all()  # whatever happened, no link's events stay held
            self._inbox.kick()
        log.info("catch-up done", extra={"links": result.links, "queued": result.queued, "failed": result.failed})
        return result

    async def _run(self, result: CatchUpResult) -> None:
        gate = asyncio.Semaphore(4)  # threads are read a few at a time; the pacer keeps the method's budget
        await asyncio.gather(*(self._one(link, result, gate) for link in await self._store.links.active()))

    async def _one(self, link: Link, result: CatchUpResult, gate: asyncio.Semaphore) -> None:
        """Catch one thread up; its live events stay held until then, so a failed read is retried
        (a few times, backing off) before the thread is let go uncaught, which could reorder it."""
        try:
            for attempt in range(self._attempts):
                async with gate:
                    if await self._try(link, result):
                        return
                if attempt + 1 < self._attempts:
                    await asyncio.sleep(min(30.0, self._first_retry * 2 ** attempt))
            result.failed += 1
            log.warning("catch-up of a thread gave up; its events flow uncaught", extra={"link_id": link.id})
        finally:
            self._inbox.release(link.id)
            self._inbox.kick()

    async def _try(self, link: Link, result: CatchUpResult) -> bool:
        try:
            if link.thread_ts is None:
                return True
            started = time.time()
            thread = await self._slack.thread_messages(channel=link.channel_id, thread_ts=link.thread_ts)
            rows = await self._store.messages.of_link(link.id)
            pending = [e for e in await self._store.events.pending_of_link(link.id) if e.received_at < started]
            for event in missed_events(thread, rows, channel=link.channel_id, thread_ts=link.thread_ts,
                                       pending=pending, read_started=started):
                if await self._inbox.accept(event, event_id=None, link=link):
                    result.queued += 1
            result.links += 1
            return True
        except BridgeError as exc:
            log.warning("catch-up of a thread failed", extra={"link_id": link.id, "error": str(exc)})
        except Exception:  # a bug in one thread must not keep the others held for ever
            log.exception("catch-up of a thread crashed", extra={"link_id": link.id})
        return False
