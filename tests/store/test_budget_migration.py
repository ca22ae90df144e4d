"""Migration 3 on each real database: a store from before it gains the schedule columns and the budgets table."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Connection, inspect, text

from bot.budget.bucket import Limit
from bot.store.database import Store
from tests.store.test_store import database_before, store_url


def test_migration_3_adds_the_schedule_columns_and_the_budgets(database_url: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    url = store_url(database_url)

    def drop(conn: Connection) -> None:
        for column in ("last_activity_at", "last_slack_reply_at", "next_poll_at"):
            conn.execute(text(f"ALTER TABLE links DROP COLUMN {column}"))
        conn.execute(text("DROP TABLE IF EXISTS provider_budgets"))

    database_before(url, 3, drop, monkeypatch)

    async def scenario() -> None:
        store = await Store.open(url)
        try:
            columns = {c["name"] for c in await store.run_sync(lambda c: inspect(c).get_columns("links"))}
            assert {"last_activity_at", "last_slack_reply_at", "next_poll_at"} <= columns
            link = await store.links.create(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                           request_status=None)
            assert link.last_activity_at is None  # unknown until the link is active
            await store.links.activate(link.id, "1.000100")
            await store.links.mark_slack_reply(link.id)
            await store.links.record_poll(link.id, cursor=None, active=True, next_poll_at=123.0)
            again = await store.links.get(link.id)
            assert again is not None and again.last_activity_at and again.last_slack_reply_at
            assert again.next_poll_at == 123.0
            await store.budgets.ensure("p", limit=Limit(requests=100, window=10), now=0.0)
            assert (await store.budgets.row("p") or {})["tokens"] == 5.0
        finally:
            await store.close()

    asyncio.run(scenario())
