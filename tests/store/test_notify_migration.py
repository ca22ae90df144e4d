"""Migration 4 on each real database: a store from before it gains the notify and linked_ts columns."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Connection, inspect, text

from bot.store.database import Store
from tests.store.test_store import database_before, store_url


def test_migration_4_adds_the_columns_with_notifications_off(database_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    url = store_url(database_url)

    def drop(conn: Connection) -> None:
        conn.execute(text("ALTER TABLE links DROP COLUMN notify_linker"))
        conn.execute(text("ALTER TABLE links DROP COLUMN linked_ts"))

    database_before(url, 4, drop, monkeypatch)

    async def scenario() -> None:
        store = await Store.open(url)
        try:
            columns = {c["name"] for c in await store.run_sync(lambda c: inspect(c).get_columns("links"))}
            assert {"notify_linker", "linked_ts"} <= columns
            link = await store.links.create(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                           request_status=None)
            assert link.notify_linker is False
            await store.links.set_notify_linker(link.id, True)
            await store.links.activate(link.id, "1.000100", linked_ts="1.000200")
            again = await store.links.get(link.id)
            assert again is not None and again.notify_linker is True and again.linked_ts == "1.000200"
        finally:
            await store.close()

    asyncio.run(scenario())
