"""Cloudforce One's message list against servers paging each way the spec leaves open: pages from 0, from
1 (0 read as 1), `page` ignored, `after` ignored. No message is missed, the page base is learned once, and
a quiet request costs at most two calls per poll (one once learned)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Unavailable
from bot.http import RetryPolicy, build_client
from bot.providers.cloudforce_one.client import CloudforceOne
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import serving

SERVERS: dict[str, dict[str, object]] = {
    "from 0": {"page_base": 0},
    "from 1": {"page_base": 1},
    "page ignored": {"ignore_page": True},
    "after ignored": {"ignore_after": True},
}
START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=list(SERVERS))
def cf(request: pytest.FixtureRequest) -> Iterator[FakeCloudforceOne]:
    with serving(FakeCloudforceOne()) as fake:
        for name, value in SERVERS[request.param].items():
            setattr(fake, name, value)
        yield fake


def add(cf: FakeCloudforceOne, request_id: str, count: int, *, first: int) -> None:
    for n in range(first, first + count):
        cf.add_message(request_id, content=f"m{n}", created=START + timedelta(seconds=n))


def test_no_message_missed_and_a_quiet_request_costs_one_call(cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    add(cf, request_id, 120, first=0)

    async def run() -> None:
        client = build_client(base_url=cf.base_url, headers={"Authorization": f"Bearer {cf.api_token}"}, timeout=5)
        provider = CloudforceOne(client, account_id=cf.account_id, policy=RetryPolicy(attempts=1))
        everything = await provider.list_messages(request_id)
        assert [m.content for m in everything] == [f"m{n}" for n in range(120)]
        cursor, known = everything[-1].created, {m.id for m in everything}
        for _ in range(3):  # the read reaches a few seconds back (clock ties): the poller skips known ids
            cf.clear_calls()
            assert {m.id for m in await provider.list_messages(request_id, after=cursor)} <= known
            assert len(cf.calls) <= 2
        assert len(cf.calls) == 1  # learned: one call
        add(cf, request_id, 70, first=200)  # a burst bigger than a page
        cf.clear_calls()
        fresh = [m for m in await provider.list_messages(request_id, after=cursor) if m.id not in known]
        assert [m.content for m in fresh] == [f"m{n}" for n in range(200, 270)]
        assert len(cf.calls) <= 4
        again = await provider.list_messages(request_id)
        assert len(again) == 190
        await provider.aclose()

    asyncio.run(run())


def test_a_server_ignoring_page_and_after_cannot_make_a_full_read_run_away(cf: FakeCloudforceOne) -> None:
    cf.ignore_page = cf.ignore_after = True
    request_id = cf.add_request()
    add(cf, request_id, 120, first=0)

    async def run() -> None:
        client = build_client(base_url=cf.base_url, headers={"Authorization": f"Bearer {cf.api_token}"}, timeout=5)
        provider = CloudforceOne(client, account_id=cf.account_id, policy=RetryPolicy(attempts=1))
        with pytest.raises(Unavailable):  # a part taken for the whole would delete the rest in Slack
            await provider.list_messages(request_id)
        await provider.aclose()

    asyncio.run(run())
    assert len(cf.calls) <= 4


def test_equal_times_across_page_boundaries_lose_nothing(cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    for n in range(120):  # three at each instant, so instants straddle the 50-message pages
        cf.add_message(request_id, content=f"m{n}", created=START + timedelta(seconds=n // 3))

    async def run() -> list[str]:
        client = build_client(base_url=cf.base_url, headers={"Authorization": f"Bearer {cf.api_token}"}, timeout=5)
        provider = CloudforceOne(client, account_id=cf.account_id, policy=RetryPolicy(attempts=1))
        try:
            return [m.content for m in await provider.list_messages(request_id)]
        finally:
            await provider.aclose()

    assert sorted(asyncio.run(run())) == sorted(f"m{n}" for n in range(120))
