"""Heartbeats and leases on each real database: a silent holder's lease is free before it lapses."""

from __future__ import annotations

import asyncio
import contextlib
import time

from bot.bridge.leases import DEAD_AFTER_BEATS, STEADY_BEATS, Leases
from bot.store.database import Store
from tests.store.test_store import store_url


async def _linked(store: Store) -> int:
    link = await store.links.create(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                   request_status=None)
    await store.links.activate(link.id, "1.1")
    return link.id


def test_a_lease_whose_holder_stopped_beating_is_free_before_it_lapses(database_url: str) -> None:
    async def scenario() -> None:
        store = await Store.open(store_url(database_url))
        link_id = await _linked(store)
        await store.replicas.beat("a")
        assert await store.links.claim(link_id, owner="a", seconds=60)
        now = time.time()
        # "a" beat just now: alive, its lease holds.
        assert not await store.links.claim(link_id, owner="b", seconds=60, dead_before=now - 6)
        # Judged a moment later, after "a" missed its beats: dead, its lease is free.
        assert await store.links.claim(link_id, owner="b", seconds=60, dead_before=now + 1)
        assert await store.replicas.silent(dead_before=now + 1) == {"a"}
        # A holder that never beat (a replica of an older version) keeps its lease until it lapses.
        await store.links.release(owner="b")
        assert await store.links.claim(link_id, owner="old", seconds=60)
        assert not await store.links.claim(link_id, owner="b", seconds=60, dead_before=time.time() + 1)
        # A clean shutdown removes the heartbeat.
        await store.replicas.forget("a")
        assert await store.replicas.silent(dead_before=time.time() + 1) == set()
        await store.close()

    asyncio.run(scenario())


def test_after_its_own_failed_heartbeat_a_replica_judges_no_one_until_it_beat_steadily(database_url: str) -> None:
    async def scenario() -> None:
        store = await Store.open(store_url(database_url))
        link_id = await _linked(store)
        clock = [time.time()]
        beat = 2.0
        other = Leases(store=store, owner="other", seconds=60, heartbeat=beat)
        await other.beat()
        assert await other.hold(link_id)
        mine = Leases(store=store, owner="mine", seconds=60, heartbeat=beat, clock=lambda: clock[0])
        await mine.beat()
        clock[0] += DEAD_AFTER_BEATS * beat + 1  # "other" has been silent for more than three beats
        assert await mine.hold(link_id)  # a replica that never failed judges at once: taken over
        await other.beat()
        assert await other.hold(link_id) is False

        async def failing(_: str) -> None:
            raise OSError("database down")

        real, store.replicas.beat = store.replicas.beat, failing  # type: ignore[method-assign]
        with contextlib.suppress(OSError):
            await mine.beat()
        store.replicas.beat = real  # type: ignore[method-assign]
        await store.links.release(owner="mine")
        assert await other.hold(link_id)
        clock[0] += DEAD_AFTER_BEATS * beat + 1
        await mine.beat()  # back, but "other" has had no chance to show it is alive yet
        assert not await mine.hold(link_id)
        clock[0] += STEADY_BEATS * beat
        await mine.beat()
        assert await mine.hold(link_id)  # by now "other" would have beaten, had it been alive
        await store.close()

    asyncio.run(scenario())
