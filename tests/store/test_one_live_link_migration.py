"""Migration 6 on each real database: a store from before it, holding several live links of one request
(concurrent links raced past the old check), migrates without failing; the oldest active link keeps the
request, the others are unlinked, and from then on the database refuses a second live link."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Connection, select, text

from bot.errors import AlreadyLinked
from bot.store import schema
from bot.store.database import Store
from tests.store.test_store import database_before, run_in_transaction, store_url

ROWS = [("linking", "C1"), ("active", "C2"), ("active", "C3"), ("unlinked", "C4")]


def test_migration_6_keeps_the_oldest_active_link_of_a_request(database_url: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    url = store_url(database_url)

    def before(conn: Connection) -> None:
        conn.execute(text("DROP INDEX uq_links_live_request"))
        for n, (state, channel) in enumerate(ROWS):
            conn.execute(schema.links.insert().values(
                provider="p", request_id="r", channel_id=channel, thread_ts=f"1.{n}", state=state, created_by="U1",
                created_at=0.0, polls=0))

    database_before(url, 6, before, monkeypatch)

    async def scenario() -> None:
        store = await Store.open(url)
        try:
            rows = await store.run_sync(lambda c: c.execute(select(
                schema.links.c.channel_id, schema.links.c.state).order_by(schema.links.c.id)).all())
            assert [tuple(r) for r in rows] == [("C1", "unlinked"), ("C2", "active"), ("C3", "unlinked"),
                                                ("C4", "unlinked")]
            with pytest.raises(AlreadyLinked) as taken:
                await store.links.create(provider="p", request_id="r", channel_id="C5", created_by="U2", title=None,
                                        request_status=None)
            assert taken.value.existing is not None and taken.value.existing.channel_id == "C2"
            other = await store.links.create(provider="p", request_id="other", channel_id="C5", created_by="U2",
                                            title=None, request_status=None)
            assert other.state == "linking"
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_claim_left_behind_by_a_crash_is_given_up_after_a_while(database_url: str) -> None:
    url = store_url(database_url)

    async def scenario() -> None:
        store = await Store.open(url)
        try:
            first = await store.links.create(provider="p", request_id="r", channel_id="C1", created_by="U1",
                                            title=None, request_status=None)
            with pytest.raises(AlreadyLinked) as taken:  # being linked right now: held
                await store.links.create(provider="p", request_id="r", channel_id="C1", created_by="U2", title=None,
                                        request_status=None)
            assert taken.value.existing is not None and taken.value.existing.id == first.id
            assert await store.links.live_of_request(provider="p", request_id="r") is not None
            # The process died before posting the root: after LINKING_STALE_SECONDS the claim is stale.
            await run_in_transaction(url.replace("+aiosqlite", ""),
                                     lambda c: c.execute(schema.links.update().values(created_at=0.0)) and None)
            assert await store.links.live_of_request(provider="p", request_id="r") is None
            second = await store.links.create(provider="p", request_id="r", channel_id="C2", created_by="U2",
                                             title=None, request_status=None)
            assert (await store.links.get(first.id)).state == "unlinked"  # type: ignore[union-attr]
            assert second.channel_id == "C2"
        finally:
            await store.close()

    asyncio.run(scenario())
