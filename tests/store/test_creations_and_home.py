"""`/request new` claims and the Home tab's query on each real database (SQLite, and PostgreSQL when
TEST_DATABASE_URL names a server)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.models import LinkState
from bot.store import schema
from bot.store.database import Store
from tests.store.test_store import store_url


def test_a_submission_is_claimed_once_even_by_concurrent_deliveries(database_url: str) -> None:
    async def scenario() -> tuple[list[bool], list[tuple[str, str | None]]]:
        store = await Store.open(store_url(database_url))
        try:
            claims = await asyncio.gather(*(store.creations.claim(view_id="V1", user_id="U1", channel_id="C1",
                                                                 provider="cloudforce-one") for _ in range(5)))
            await store.creations.finish("V1", state="created", request_id="f174e90a-fafe-4643-bbbc-4a0ed4fc8415")
            assert await store.creations.claim(view_id="V2", user_id="U1", channel_id="C1", provider="cloudforce-one")
            rows = await store.db.fetch(select(schema.request_creations.c.state, schema.request_creations.c.request_id)
                                      .order_by(schema.request_creations.c.view_id))
            return list(claims), [(r["state"], r["request_id"]) for r in rows]
        finally:
            await store.close()

    claims, rows = asyncio.run(scenario())
    assert sorted(claims) == [False, False, False, False, True]
    assert rows == [("created", "f174e90a-fafe-4643-bbbc-4a0ed4fc8415"), ("creating", None)]


def test_a_persons_active_links(database_url: str) -> None:
    async def scenario() -> list[str]:
        store = await Store.open(store_url(database_url))
        try:
            made = {}
            for name, user in (("first", "U1"), ("gone", "U1"), ("theirs", "U2"), ("second", "U1"),
                               ("half-made", "U1")):
                link = await store.links.create(provider="cloudforce-one", request_id=name, channel_id="C1",
                                               created_by=user, title=name, request_status="open")
                if name != "half-made":
                    await store.links.activate(link.id, f"17000000{link.id:02d}.000100")
                made[name] = link.id
            await store.links.unlink(made["gone"])
            links = await store.links.linked_by("U1")
            assert all(link.state == LinkState.ACTIVE for link in links)
            return [link.request_id for link in links]
        finally:
            await store.close()

    assert asyncio.run(scenario()) == ["first", "second"]
