"""Provider -> Slack: each poll posts what the other side wrote, and mirrors their edits and deletions.

A provider message is recorded (`posting`) before its Slack post and confirmed after; a post whose
outcome is unknown is looked for in the thread (by its metadata) before it is made again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot import metrics
from bot.bridge import schedule
from bot.bridge.batch_hints import BatchHints
from bot.bridge.facts import LearnedFacts
from bot.bridge.hints import ChangeHints, stamp
from bot.bridge.leases import Leases
from bot.bridge.locks import LinkLocks
from bot.bridge.mirror import SlackMirror, is_part_key
from bot.bridge.notifications import mention_for
from bot.bridge.poll_costs import PollCosts, Totals
from bot.budget.ledger import Budget, BudgetShort, Priority, polling
from bot.errors import BridgeError, NotFound
from bot.models import Link, LinkState, MappedMessage, MessageState, Origin
from bot.providers.base import Provider, ProviderMessage, SupportsDelete
from bot.settings import Settings
from bot.slack.gateway import SlackGateway
from bot.slack.post_texts import status_text
from bot.store.database import Store

log = logging.getLogger(__name__)
HINTED_INTERVAL = 1e-3  # a request with news, by a batch hint: due at once


@dataclass
class PollResult:
    posted: int = 0
    edited: int = 0
    deleted: int = 0
    adopted: int = 0
    full: bool = False


def later_cursor(current: str | None, candidate: str | None) -> str | None:
    """The later of two provider timestamps (RFC 3339)."""
    if candidate is None:
        return current
    if current is None:
        return candidate
    parse = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))  # noqa: E731
    return candidate if parse(candidate) > parse(current) else current


def last_activity(messages: list[ProviderMessage], *, new: set[str], first: bool, now: float,
                  changed: bool) -> float | None:
    """When the conversation last moved, as far as this poll can tell (None: no news).

    The time the other side wrote, on the provider's clock (never later than ours), not the time the poll
    noticed: a conversation back-filled on linking, or found late, is as quiet as its messages say. With no
    activity known yet, the newest message of all counts; with none at all, the link itself (just made).
    """
    written = [m.created or m.updated for m in messages if m.id in new or first]
    stamps = [stamp(w) for w in written if w]
    if stamps:
        return min(now, max(s.timestamp() for s in stamps))
    return now if changed or first else None


class Poller:
    def __init__(self, *, store: Store, providers: Mapping[str, Provider], slack: SlackGateway,
                 locks: LinkLocks, settings: Settings, leases: Leases, budget: Budget) -> None:
        self._leases = leases
        self._budget = budget
        self._bounds = schedule.Bounds(active=settings.poll_interval_seconds, stale=settings.max_poll_interval_seconds)
        self._pace: dict[str, float] = {}  # each provider's pace (bot/bridge/schedule.py)
        self._costs = {name: PollCosts(reconcile_every_polls=settings.reconcile_every_polls) for name in providers}
        self._polls: dict[str, int] = {}  # polls done per provider, for the costs
        self._hints = ChangeHints(providers, every=settings.change_hint_seconds, clock=time.time)
        self._hinted: dict[int, float] = {}  # link id -> when a change list last named its request
        # The active links by provider, read from the store every REPACE_SECONDS (and each one again after
        # its poll), not on every tick: at 1,000 links that read was most of an idle bot's CPU.
        self._links: dict[str, dict[int, Link]] = {}
        self._read_at = self._paced_at = -math.inf
        self._running: dict[int, asyncio.Task[None]] = {}
        self._gate = asyncio.Semaphore(4)
        self._store = store
        self._providers = providers
        self._slack = slack
        self._mirror = SlackMirror(store=store, slack=slack)
        self._locks = locks
        self._settings = settings
        self._busy = asyncio.Lock()
        self._batch = BatchHints(every=settings.poll_interval_seconds)
        self._facts = LearnedFacts(store)

    async def wait_idle(self) -> None:
        """Return once no poll is running (used on shutdown, before the store closes)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
        async with self._busy:
            return

    def refresh(self) -> None:
        """Read the links from the store on the next tick (a link was made or changed in this process)."""
        self._read_at = -math.inf

    async def poll_due(self) -> list[int]:
        """The scheduler's tick: start polls of the links that are due (bot/bridge/schedule.py), most overdue
        first, as many as the provider's budget has room for; the rest wait for a later tick. Returns the
        links whose polls it started, at once: the polls run on, so a slow one never makes the clock skip
        ticks (`wait_idle` waits for them)."""
        await self._leases.look_around()
        now = time.time()
        if now - self._read_at >= schedule.REPACE_SECONDS:
            await self._reread(now)
        started: list[int] = []
        for name, links in self._links.items():
            if not links:
                continue  # nothing linked: no poll, and no change list to read
            for request_id in await self._hints.moved(name):
                for link in links.values():
                    if link.request_id == request_id:
                        self._hinted[link.id] = now
            # A provider that says in one call which requests have news: those now, the rest at the
            # staleness bound (bot/bridge/batch_hints.py).
            batch = await self._batch.hinted(name, self._providers[name],
                                             [link.request_id for link in links.values()], now=now)
            candidates = {link_id: self._candidate(link, now) if batch is None else schedule.Candidate(
                link_id, link.last_polled_at, HINTED_INTERVAL if link.request_id in batch else self._bounds.stale)
                for link_id, link in links.items()}
            self._budget.record_lag(name, schedule.lag(candidates.values(), now=now))
            mine = [candidates[link.id] for link in links.values()
                    if link.id not in self._running and not self._leases.held_elsewhere(link, now)]
            if not any(c.due_at <= now for c in mine):
                continue
            running = sum(1 for link_id in self._running if link_id in links)
            slots = int(min(len(mine), await self._budget.spare(name) - running))
            for chosen in schedule.pick(mine, now=now, slots=slots, stale=self._bounds.stale):
                self._running[chosen.link_id] = asyncio.create_task(self._poll_due_link(links[chosen.link_id]))
                started.append(chosen.link_id)
        return started

    async def _reread(self, now: float) -> None:
        by_provider: dict[str, dict[int, Link]] = {name: {} for name in self._providers}
        for link in await self._store.links.active():
            if link.thread_ts is not None and link.provider in self._providers:
                by_provider[link.provider][link.id] = link
        self._links, self._read_at = by_provider, now
        known = {link_id for links in by_provider.values() for link_id in links}
        self._hinted = {link_id: at for link_id, at in self._hinted.items() if link_id in known}
        if now - self._paced_at < schedule.REPACE_SECONDS:
            return  # re-read early for a new or removed link: the pace stands
        self._paced_at = now
        for name, links in by_provider.items():
            costs = self._costs[name]
            costs.update(Totals(at=now, writes=self._budget.spent(name, Priority.WRITE),
                                poll_calls=self._budget.spent(name, Priority.POLL), polls=self._polls.get(name, 0),
                                hint_calls=self._hints.calls.get(name, 0)))
            rate = schedule.poll_rate(self._budget.per_second(name), calls_per_poll=costs.calls_per_poll,
                                      writes_per_second=costs.writes_per_second,
                                      hints_per_second=self._hints.per_second(name))
            # Silences as they will be halfway to the next working-out, so a young one does not set a
            # pace for the next 10 s that only fitted its first second.
            quiet = [self._silence(link, now + schedule.REPACE_SECONDS / 2) for link in links.values()]
            self._pace[name] = schedule.pace(quiet, polls_per_second=rate, bounds=self._bounds)

    async def _poll_due_link(self, link: Link) -> None:
        started = time.time()
        try:
            outcome = await self._poll_one(link, full=False)
            hinted = self._hinted.get(link.id, math.inf) <= started
            if hinted and not isinstance(outcome, BudgetShort):  # a poll the budget skipped keeps its hint
                del self._hinted[link.id]
            if isinstance(outcome, PollResult):
                self._polls[link.provider] = self._polls.get(link.provider, 0) + 1
                metrics.polled(link.provider, hinted=hinted,
                               found=bool(outcome.posted or outcome.edited or outcome.deleted))
            fresh = await self._store.links.get(link.id)
            links = self._links.get(link.provider, {})
            if fresh is None or fresh.state != LinkState.ACTIVE:
                links.pop(link.id, None)
            elif link.id in links:
                links[link.id] = fresh
        finally:
            self._running.pop(link.id, None)

    def _candidate(self, link: Link, now: float) -> schedule.Candidate:
        return schedule.Candidate(link.id, link.last_polled_at, self._interval(link, now),
                                  hinted=link.id in self._hinted)

    def _interval(self, link: Link, now: float, *, active: bool = False) -> float:
        speed = self._pace.get(link.provider, 0.0)
        return schedule.interval(self._silence(link, now, active=active), pace=speed, bounds=self._bounds)

    @staticmethod
    def _silence(link: Link, now: float, *, active: bool = False) -> float:
        return schedule.silence(now=now, last_activity=now if active else link.last_activity_at,
                                last_slack_reply=link.last_slack_reply_at)

    async def poll_all(self, *, full: bool = False) -> dict[int, PollResult | BridgeError]:
        """Poll every active link once now, due or not (a few at a time); one failing link does not stop the
        others. `full` re-reads whole conversations now (edits and deletions) instead of on every Nth poll.
        """
        links = await self._store.links.active()
        async with self._busy:
            outcomes = await asyncio.gather(*(self._poll_one(link, full=full) for link in links))
        return {link.id: outcome for link, outcome in zip(links, outcomes, strict=True) if outcome is not None}

    async def _poll_one(self, link: Link, *, full: bool) -> PollResult | BridgeError | None:
        """One link's poll, under its lock; None when another replica holds it."""
        if not await self._leases.hold(link.id):
            return None  # another replica polls this link
        async with self._gate, self._locks(link.id):
            try:
                with polling():  # polls give way to Slack-driven writes in the request budget
                    return await self.poll_link(link.id, full=full)
            except BudgetShort as exc:
                log.debug("poll skipped: request budget short", extra={"link_id": link.id})
                return exc  # skipped: a later tick polls it when the budget has room
            except BridgeError as exc:
                metrics.failed("to_slack", link.provider, exc)
                log.warning("poll failed", extra={"link_id": link.id, "error": str(exc)})
                return exc
            except Exception as exc:  # a bug must not stop the other links' polls
                metrics.failed("to_slack", link.provider, exc)
                log.exception("poll crashed", extra={"link_id": link.id})
                return BridgeError(f"unexpected {type(exc).__name__}")

    async def poll_link(self, link_id: int, *, full: bool = False) -> PollResult:
        """Poll one link. The caller holds the link's lock."""
        link = await self._store.links.get(link_id)
        result = PollResult()
        if link is None or link.thread_ts is None or link.state != LinkState.ACTIVE:
            return result
        provider = self._providers[link.provider]
        result.full = full or link.poll_cursor is None or (link.polls + 1) % self._settings.reconcile_every_polls == 0
        rows = await self._store.messages.of_link(link.id)

        # Posts a previous poll started but could not confirm go first, to keep the thread in order.
        for row in rows:
            if row.origin == Origin.PROVIDER and row.state == MessageState.POSTING \
                    and not is_part_key(row.provider_message_id):  # parts are posted with their message
                await self._post(row, link, provider)
                result.posted += 1

        await self._facts.recall(link.provider, provider)  # what an earlier run learned about its API
        messages = await provider.list_messages(link.request_id, after=None if result.full else link.poll_cursor)
        by_id = {r.provider_message_id: r for r in await self._store.messages.of_link(link.id)
                 if r.provider_message_id}
        # Our own creates whose answer was lost: recognised by content rather than echoed back. Also creates
        # the provider confirmed without naming an id (some APIs answer with no id), and creates whose answer
        # was lost before their Slack message was deleted: the create may have happened all the same.
        unsure = [r for r in rows if r.origin == Origin.SLACK and r.attempts > 0 and (
            r.state == MessageState.PENDING or (r.state in (MessageState.SENT, MessageState.DELETED)
                                                and r.provider_message_id is None))]
        unsure.sort(key=lambda r: r.state == MessageState.DELETED)  # the same text again: the live one first
        # A create that timed out can still be applied later, after its retry succeeded: such a late copy
        # of one of our retried messages is removed, never echoed.
        retried = {r.content.strip() for r in rows if r.origin == Origin.SLACK and r.attempts > 1}
        cursor = link.poll_cursor
        posted_ids: set[str] = set()
        for message in messages:
            known = by_id.get(message.id)
            if known is None:
                twin = next((r for r in unsure if r.content.strip() == message.content.strip()), None)
                if twin is not None:
                    unsure.remove(twin)
                    await self._adopt(twin, message, link, provider)
                    result.adopted += 1
                elif message.content.strip() in retried:
                    await self._remove_late_copy(message, link, provider)
                    result.adopted += 1
                else:
                    fresh = await self._store.messages.insert_provider(
                        link_id=link.id, provider_message_id=message.id, content=message.content,
                        author=message.author, author_role=message.role, provider_created=message.created)
                    await self._post(fresh, link, provider)
                    result.posted += 1
                    posted_ids.add(message.id)
            elif known.origin == Origin.PROVIDER and known.state == MessageState.POSTED \
                    and known.content != message.content:
                await self._mirror_edit(known, message, link, provider)
                result.edited += 1
            cursor = later_cursor(cursor, provider.cursor_of(message))

        if result.full:
            present = {m.id for m in messages}
            for row in by_id.values():
                if row.origin == Origin.PROVIDER and row.provider_message_id not in present \
                        and row.state in (MessageState.POSTED, MessageState.POSTING) \
                        and not is_part_key(row.provider_message_id):
                    await self._mirror_delete(row, link, provider)
                    result.deleted += 1
        status = await self._announce_status(link, provider) if result.full else None
        now = time.time()
        activity = last_activity(messages, new=posted_ids, first=link.last_activity_at is None, now=now,
                                 changed=bool(result.edited or result.deleted))
        await self._store.links.record_poll(link.id, cursor=cursor, request_status=status, activity_at=activity,
                                      next_poll_at=now + self._interval(link, now, active=activity is not None))
        self._batch.polled(link.provider, link.request_id)
        await self._facts.keep(link.provider, provider)
        if result.posted or result.edited or result.deleted or result.adopted:
            log.info("poll", extra={"link_id": link.id, "posted": result.posted, "edited": result.edited,
                                    "deleted": result.deleted, "adopted": result.adopted, "full": result.full})
        return result

    async def _post(self, row: MappedMessage, link: Link, provider: Provider) -> None:
        # bot/bridge/mirror.py: attributed Block Kit posts, in parts when long; an edit mentions nobody again.
        await self._mirror.post(row, link, provider, mention=mention_for(link))
        metrics.relayed("to_slack", link.provider, "created")

    async def _announce_status(self, link: Link, provider: Provider) -> str | None:
        """On full polls: a change of the request's status is announced in its thread."""
        info = await provider.get_request(link.request_id)
        if info.status and link.request_status and info.status != link.request_status and link.thread_ts:
            await self._slack.post(channel=link.channel_id, thread_ts=link.thread_ts,
                                   text=status_text(old=link.request_status, new=info.status,
                                                    provider_name=provider.display_name))
        return info.status

    async def _adopt(self, row: MappedMessage, message: ProviderMessage, link: Link, provider: Provider) -> None:
        """One of our creates, found by content: recorded, never echoed; removed if its Slack message is gone."""
        if row.state != MessageState.DELETED:
            await self._store.messages.mark_sent(row.id, message.id)
            return
        await self._store.messages.mark_found_after_deletion(row.id, message.id)
        if isinstance(provider, SupportsDelete):
            with contextlib.suppress(NotFound):  # already gone
                await provider.delete_message(link.request_id, message.id)
        else:  # the provider keeps it (it cannot delete); the bridge keeps it out of the thread
            log.info("a reply deleted in Slack was created before its deletion; it stays on the request",
                     extra={"link_id": link.id, "message_id": message.id})

    async def _remove_late_copy(self, message: ProviderMessage, link: Link, provider: Provider) -> None:
        log.warning("a retried create was applied twice; removing the late copy",
                    extra={"link_id": link.id, "message_id": message.id})
        await self._store.messages.insert_duplicate(link_id=link.id, provider_message_id=message.id)
        if isinstance(provider, SupportsDelete):
            with contextlib.suppress(NotFound):  # already gone
                await provider.delete_message(link.request_id, message.id)

    async def _mirror_edit(self, row: MappedMessage, message: ProviderMessage, link: Link, provider: Provider) -> None:
        await self._mirror.edit(row, message, link, provider)
        metrics.relayed("to_slack", link.provider, "edited")

    async def _mirror_delete(self, row: MappedMessage, link: Link, provider: Provider) -> None:
        await self._mirror.delete(row, link, provider)
        metrics.relayed("to_slack", link.provider, "deleted")
