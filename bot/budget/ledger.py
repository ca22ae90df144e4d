"""The per-provider request budget: every call to a provider spends from one token bucket per provider,
kept in the database so all replicas share it (bot/store/budgets.py; the arithmetic in bot/budget/bucket.py).

Every provider client is built with a BudgetTransport, so no call (retries and paging included) gets
past it. Slack-driven work (creates, edits, deletes, linking) waits its turn; polls run with
`polling()` set, leave a reserve to those writes, and are skipped rather than queued when the bucket is
short. A 429 pauses every call to that provider, from every replica, for its Retry-After (Cloudflare
blocks for five minutes); `Ratelimit` / `Ratelimit-Policy` answers lower the bucket when the provider
says less is left than we thought (the same Cloudflare user may also be busy in the dashboard).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

import httpx

from bot.budget.bucket import (
    Limit,
    adapted_limit,
    parse_policy,
    parse_ratelimit,
    refilled,
    reserve,
    token_ceiling,
    wait_seconds,
)
from bot.errors import RateLimited
from bot.http import retry_after_seconds
from bot.store.database import Store

log = logging.getLogger(__name__)

# A 429 without Retry-After pauses this long. Cloudflare: "all API calls for the next five minutes will be
# blocked" (https://developers.cloudflare.com/fundamentals/api/reference/limits/).
FALLBACK_PAUSE_SECONDS = 60.0


class Priority(StrEnum):
    WRITE = "write"  # Slack-driven: waits its turn, may use the whole bucket
    POLL = "poll"  # background: leaves the reserve, skipped when the bucket is short


_PRIORITY: ContextVar[Priority] = ContextVar("request_budget_priority", default=Priority.WRITE)


@contextmanager
def polling() -> Iterator[None]:
    """Calls made inside are polls: they give way to Slack-driven writes."""
    token = _PRIORITY.set(Priority.POLL)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


class BudgetShort(RateLimited):
    """No room in our own budget for a poll now (not the provider's 429): it is tried on a later tick."""


class Budget:
    def __init__(self, *, store: Store, limits: Mapping[str, Limit], clock: Callable[[], float] = time.time,
                 max_write_wait: float = 10.0, max_poll_wait: float = 2.0,
                 pauses: Mapping[str, float] | None = None) -> None:
        self._store = store
        self._limits = dict(limits)
        # How long a 429 without Retry-After pauses each provider (its plug-in says; else the fallback).
        self._pauses = dict(pauses or {})
        self._clock = clock
        self._max_wait = {Priority.WRITE: max_write_wait, Priority.POLL: max_poll_wait}
        self._rows: dict[str, dict[str, Any]] = {}  # the last state seen of each bucket, for snapshot()
        self._lag: dict[str, float] = {}
        self._spent: dict[tuple[str, Priority], float] = {}  # calls taken by this process, for the poller's pace

    async def start(self, providers: Iterable[str] | None = None) -> None:
        """Create or update the bucket of each provider in use (all configured limits by default)."""
        if providers is not None:
            wanted = set(providers)
            self._limits = {name: limit for name, limit in self._limits.items() if name in wanted}
        for provider, limit in self._limits.items():
            await self._store.budgets.ensure(provider, limit=limit, now=self._clock())
            await self._load(provider)

    def transport(self, provider: str, inner: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncBaseTransport:
        """An httpx transport that spends from `provider`'s bucket on every request it sends."""
        return BudgetTransport(inner or httpx.AsyncHTTPTransport(), budget=self, provider=provider)

    async def acquire(self, provider: str, *, cost: float = 1.0) -> None:
        """Take `cost` tokens, waiting if the bucket refills soon enough; else raise RateLimited/BudgetShort."""
        limit = self._limits.get(provider)
        if limit is None:
            return  # no budget configured for it
        priority = _PRIORITY.get()
        floor = self._reserve(provider) if priority == Priority.POLL else 0.0
        deadline = self._clock() + self._max_wait[priority]
        while True:
            now = self._clock()
            taken = await self._store.budgets.take(provider, cost=cost, floor=floor, now=now)
            if taken is not None:
                self._rows[provider] = taken
                self._spent[provider, priority] = self._spent.get((provider, priority), 0.0) + cost
                return
            row = await self._load(provider)
            wait = self._wait(row, cost=cost, floor=floor, now=now)
            if now + wait > deadline:
                error = BudgetShort if priority == Priority.POLL else RateLimited
                raise error(f"request budget spent, next call in {wait:.0f}s", retry_after=wait, provider=provider,
                            status=None)
            await asyncio.sleep(max(wait, 0.01))

    async def spare(self, provider: str) -> float:
        """Tokens polls may spend now (0 while the provider is paused)."""
        limit = self._limits.get(provider)
        if limit is None:
            return float("inf")
        row = await self._load(provider)
        now = self._clock()
        if row["paused_until"] > now:
            return 0.0
        tokens = refilled(row["tokens"], elapsed=now - row["updated_at"], per_second=row["per_second"],
                          capacity=row["capacity"])
        return max(0.0, tokens - self._reserve(provider))

    async def eta(self, provider: str, *, cost: float) -> float:
        """Seconds until `cost` calls could have been made in a row at the budget's pace, from its state now
        (a pause included); 0 when they fit at once. Other takers make it longer: an estimate."""
        if provider not in self._limits:
            return 0.0
        row = await self._load(provider)
        now = self._clock()
        paused = max(0.0, float(row["paused_until"]) - now)
        tokens = refilled(row["tokens"], elapsed=now - row["updated_at"], per_second=row["per_second"],
                          capacity=row["capacity"])
        return paused + max(0.0, cost - tokens) / float(row["per_second"])

    def _reserve(self, provider: str) -> float:
        row = self._rows.get(provider)
        return reserve(float(row["capacity"])) if row is not None else self._limits[provider].reserve

    def spent(self, provider: str, priority: Priority) -> float:
        """Calls this process has taken from `provider`'s budget at this priority since it started."""
        return self._spent.get((provider, priority), 0.0)

    def per_second(self, provider: str) -> float:
        """The provider's current pace (as configured, or lowered by its Ratelimit-Policy)."""
        row = self._rows.get(provider)
        if row is not None:
            return float(row["per_second"])
        limit = self._limits.get(provider)
        return limit.per_second if limit else float("inf")

    async def observe(self, provider: str, response: httpx.Response) -> None:
        """Learn from an answer: a 429 pauses the provider; rate-limit headers lower the bucket."""
        limit = self._limits.get(provider)
        if limit is None:
            return
        now = self._clock()
        changed = False
        if response.status_code == 429:
            wait = retry_after_seconds(response, default=self._pauses.get(provider, FALLBACK_PAUSE_SECONDS))
            await self._store.budgets.pause(provider, until=now + wait, now=now)
            changed = True
            log.warning("provider rate limit hit: every call to it paused", extra={"provider": provider,
                                                                                  "retry_after": wait})
        policies = parse_policy(response.headers.get("Ratelimit-Policy"))
        tighter = adapted_limit(policies, configured=limit)
        if tighter.per_second < self.per_second(provider):
            await self._store.budgets.lower_rate(provider, limit=tighter)
            await self._load(provider)  # the ceiling below is at the new pace
            log.warning("provider's policy is tighter than the configured budget; following it",
                        extra={"provider": provider, "budget": str(tighter)})
        quotas = parse_ratelimit(response.headers.get("Ratelimit"))
        ceiling = token_ceiling(quotas, per_second=self.per_second(provider))
        if ceiling is not None and ceiling < limit.capacity:
            await self._store.budgets.cap(provider, ceiling=ceiling, now=now)
            changed = True
        if changed:
            await self._load(provider)

    def record_lag(self, provider: str, seconds: float) -> None:
        """The poller's figure: how late its most overdue link of this provider is."""
        self._lag[provider] = seconds

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Per provider, as last seen (read-only, for /metrics): limit, used in the current window,
        window_seconds, tokens, paused_until, throttled (429s seen), poll_lag_seconds."""
        now = self._clock()
        figures: dict[str, dict[str, float]] = {}
        for provider, limit in self._limits.items():
            row = self._rows.get(provider)
            if row is None:
                continue
            current = now - row["window_started"] < row["window_seconds"]
            figures[provider] = {
                "limit": float(row["requests"]), "window_seconds": float(row["window_seconds"]),
                "used": float(row["window_used"]) if current else 0.0, "tokens": float(row["tokens"]),
                "paused_until": float(row["paused_until"]), "throttled": float(row["throttled"]),
                "configured_limit": limit.requests, "poll_lag_seconds": self._lag.get(provider, 0.0),
            }
        return figures

    async def _load(self, provider: str) -> dict[str, Any]:
        row = await self._store.budgets.row(provider)
        if row is None:  # a bucket another process has not made yet (or a wiped table): make it now
            await self._store.budgets.ensure(provider, limit=self._limits[provider], now=self._clock())
            row = await self._store.budgets.row(provider)
            assert row is not None
        self._rows[provider] = row
        return row

    @staticmethod
    def _wait(row: Mapping[str, Any], *, cost: float, floor: float, now: float) -> float:
        if row["paused_until"] > now:
            return float(row["paused_until"]) - now
        tokens = refilled(row["tokens"], elapsed=now - row["updated_at"], per_second=row["per_second"],
                          capacity=row["capacity"])
        return wait_seconds(tokens, cost=cost, floor=floor, per_second=row["per_second"])


class BudgetTransport(httpx.AsyncBaseTransport):
    """Spends one token before each request and reads the provider's rate-limit answer after it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, budget: Budget, provider: str) -> None:
        self._inner = inner
        self._budget = budget
        self._provider = provider

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._budget.acquire(self._provider)
        response = await self._inner.handle_async_request(request)
        await self._budget.observe(self._provider, response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
