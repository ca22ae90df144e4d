"""The request budget on each real database: atomic takes shared by replicas, pauses, header adaptation."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from bot.budget.bucket import Limit
from bot.budget.ledger import Budget, BudgetShort, polling
from bot.errors import RateLimited
from bot.store.database import Store
from tests.store.test_store import store_url as async_url

PROVIDER = "cloudforce-one"
# No refill within a test: capacity 10, 0.2 tokens a second.
SLOW = Limit(requests=200, window=1000)


def test_concurrent_takers_on_two_replicas_never_overdraw(database_url: str) -> None:
    async def run() -> tuple[int, dict | None]:
        url = async_url(database_url)
        one, two = await Store.open(url), await Store.open(url)
        try:
            now = 1000.0
            await one.budgets.ensure(PROVIDER, limit=SLOW, now=now)
            await two.budgets.ensure(PROVIDER, limit=SLOW, now=now)  # a second replica starting: no reset
            takes = [store.budgets.take(PROVIDER, cost=1, floor=0, now=now) for store in (one, two) for _ in range(25)]
            taken = [row for row in await asyncio.gather(*takes) if row is not None]
            return len(taken), await one.budgets.row(PROVIDER)
        finally:
            await one.close()
            await two.close()

    taken, row = asyncio.run(run())
    assert taken == SLOW.capacity == 10
    assert row is not None and row["tokens"] == pytest.approx(0.0) and row["window_used"] == 10


def test_refill_floor_pause_and_caps(database_url: str) -> None:
    async def run() -> None:
        store = await Store.open(async_url(database_url))
        try:
            await store.budgets.ensure(PROVIDER, limit=SLOW, now=0.0)
            # Polls stop at the reserve; writes may take the rest.
            polls = [await store.budgets.take(PROVIDER, cost=1, floor=2.5, now=0.0) for _ in range(10)]
            assert sum(row is not None for row in polls) == 7
            writes = [await store.budgets.take(PROVIDER, cost=1, floor=0, now=0.0) for _ in range(4)]
            assert sum(row is not None for row in writes) == 3
            # 10 s at 0.2/s refills two tokens.
            assert await store.budgets.take(PROVIDER, cost=3, floor=0, now=10.0) is None
            assert await store.budgets.take(PROVIDER, cost=2, floor=0, now=10.0) is not None
            # A 429 pauses every take, whatever the tokens, until its end.
            await store.budgets.pause(PROVIDER, until=500.0, now=100.0)
            assert await store.budgets.take(PROVIDER, cost=1, floor=0, now=499.0) is None
            assert await store.budgets.take(PROVIDER, cost=1, floor=0, now=500.0) is not None
            row = await store.budgets.row(PROVIDER)
            assert row is not None and row["throttled"] == 1 and row["paused_until"] == 500.0
            # A shorter pause never shortens a longer one.
            await store.budgets.pause(PROVIDER, until=900.0, now=600.0)
            await store.budgets.pause(PROVIDER, until=700.0, now=600.0)
            assert (await store.budgets.row(PROVIDER) or {})["paused_until"] == 900.0
            # The provider says fewer are left: the bucket drops to the ceiling (a debt, here).
            await store.budgets.cap(PROVIDER, ceiling=-3.0, now=2000.0)
            assert (await store.budgets.row(PROVIDER) or {})["tokens"] == -3.0
            await store.budgets.cap(PROVIDER, ceiling=5.0, now=2000.0)  # never raises it
            assert (await store.budgets.row(PROVIDER) or {})["tokens"] == -3.0
            # A tighter policy slows the refill; a looser one does not speed it up.
            await store.budgets.lower_rate(PROVIDER, limit=Limit(requests=100, window=1000))
            await store.budgets.lower_rate(PROVIDER, limit=Limit(requests=150, window=1000))
            row = await store.budgets.row(PROVIDER)
            assert row is not None and row["per_second"] == pytest.approx(0.1) and row["capacity"] == 5.0
        finally:
            await store.close()

    asyncio.run(run())


def _response(status: int, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://api.example/x"))


def test_writes_wait_their_turn_polls_are_skipped_and_a_429_pauses_everyone(database_url: str) -> None:
    async def run() -> None:
        store = await Store.open(async_url(database_url))
        other = await Store.open(async_url(database_url))
        try:
            fast = Limit(requests=40, window=2)  # 20/s, capacity 2, reserve 1
            # The bucket refills only when the test moves this clock: a slow machine cannot refill it early.
            clock = [time.time()]
            budget = Budget(store=store, limits={PROVIDER: fast}, max_write_wait=5.0, max_poll_wait=0.0,
                            clock=lambda: clock[0])
            replica = Budget(store=other, limits={PROVIDER: fast}, max_write_wait=5.0, max_poll_wait=0.0,
                             clock=lambda: clock[0])
            await budget.start()
            await replica.start()
            with polling():
                await budget.acquire(PROVIDER)  # 2 -> 1: the reserve is reached
                with pytest.raises(BudgetShort):
                    await replica.acquire(PROVIDER)
            await budget.acquire(PROVIDER)  # a write takes the reserve
            waiting = asyncio.create_task(replica.acquire(PROVIDER))  # the next one waits for the refill
            await asyncio.sleep(0.2)
            assert not waiting.done()
            clock[0] += 0.1  # two tokens at 20/s: enough for one, whatever the rounding
            await asyncio.wait_for(waiting, timeout=5)
            assert await budget.spare(PROVIDER) < 1

            # A 429 seen by one replica stops the other too, for its Retry-After.
            await budget.observe(PROVIDER, _response(429, {"Retry-After": "30"}))
            with pytest.raises(RateLimited) as raised:
                await replica.acquire(PROVIDER)  # longer than a write waits inline: the inbox retries later
            assert not isinstance(raised.value, BudgetShort) and 25 < raised.value.retry_after <= 30
            assert await replica.spare(PROVIDER) == 0.0
            figures = replica.snapshot()[PROVIDER]
            assert figures["limit"] == 40 and figures["used"] == 3 and figures["throttled"] == 1
            assert figures["paused_until"] > clock[0] + 25
        finally:
            await store.close()
            await other.close()

    asyncio.run(run())


def test_rate_limit_headers_lower_the_shared_bucket(database_url: str) -> None:
    async def run() -> None:
        store = await Store.open(async_url(database_url))
        try:
            budget = Budget(store=store, limits={PROVIDER: Limit(requests=1080, window=300)})
            await budget.start()
            assert await budget.spare(PROVIDER) == pytest.approx(54 - 13.5)
            # Plenty left: nothing changes.
            await budget.observe(PROVIDER, _response(200, {"Ratelimit": '"default";r=1100;t=200',
                                                           "Ratelimit-Policy": '"default";q=1200;w=300'}))
            assert await budget.spare(PROVIDER) == pytest.approx(54 - 13.5, abs=0.5)
            # The same user is busy in the dashboard: 10 calls left for 100 s.
            await budget.observe(PROVIDER, _response(200, {"Ratelimit": '"default";r=10;t=100'}))
            assert await budget.spare(PROVIDER) == 0.0
            row = await store.budgets.row(PROVIDER)
            assert row is not None and row["tokens"] == pytest.approx(10 - 3.6 * 100, abs=0.5)
            # The account's policy is half the default: the bucket refills at 90% of it.
            await budget.observe(PROVIDER, _response(200, {"Ratelimit-Policy": '"default";q=600;w=300'}))
            assert budget.per_second(PROVIDER) == pytest.approx(600 * 0.9 / 300)
        finally:
            await store.close()

    asyncio.run(run())
