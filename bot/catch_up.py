"""Catching up after downtime: what happened in linked threads while no instance was listening.

Slack gives up on an event after its retries, so on start every linked thread is read back
(conversations.replies, paced to its rate limit) and what the store has not seen is queued as if
Slack had delivered it: new replies, edits, deletions. The inbox's keys make anything already
handled a no-op. A link's live events wait until its thread has been read, so order holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.errors import BridgeError
from bot.inbox import Inbox
from bot.models import EventKind, MappedMessage, MessageState, Origin
from bot.slack_events import ThreadEvent, files_markup
from bot.slack_gateway import SlackGateway
from bot.store import Store

log = logging.getLogger(__name__)


def missed_events(thread: list[dict[str, Any]], rows: list[MappedMessage], *, channel: str,
                  thread_ts: str) -> list[ThreadEvent]:
    """The thread events a complete read of the thread implies, oldest first (pure)."""
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
    for ts, row in known.items():
        if ts not in present and row.state in (MessageState.SENT, MessageState.PENDING):
            events.append(ThreadEvent(EventKind.DELETE, channel, ts, thread_ts, row.slack_user, "",
                                      f"delete:{channel}:{ts}"))
    return events


@dataclass
class CatchUpResult:
    links: int = 0
    queued: int = 0
    failed: int = 0


class CatchUp:
    def __init__(self, *, store: Store, slack: SlackGateway, inbox: Inbox) -> None:
        self._store = store
        self._slack = slack
        self._inbox = inbox

    async def hold_all(self) -> None:
        """Before events flow: hold every active link's events until its thread has been read."""
        self._inbox.hold(link.id for link in await self._store.active_links())

    async def run(self) -> CatchUpResult:
        result = CatchUpResult()
        for link in await self._store.active_links():
            try:
                if link.thread_ts is None:
                    continue
                thread = await self._slack.thread_messages(channel=link.channel_id, thread_ts=link.thread_ts)
                rows = await self._store.messages_for_link(link.id)
                for event in missed_events(thread, rows, channel=link.channel_id, thread_ts=link.thread_ts):
                    if await self._inbox.accept(event, event_id=None, link=link):
                        result.queued += 1
                result.links += 1
            except BridgeError as exc:
                result.failed += 1
                log.warning("catch-up of a thread failed", extra={"link_id": link.id, "error": str(exc)})
            finally:
                self._inbox.release(link.id)
                self._inbox.kick()
        log.info("catch-up done", extra={"links": result.links, "queued": result.queued, "failed": result.failed})
        return result
