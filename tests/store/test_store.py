"""The mapping store on each real database: migrations, unique keys on both sides, the inbox."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.models import MessageState
from bot.settings import load_settings
from bot.store import migrations
from bot.store.database import Store
from tests.databases import ADMIN_URL


def store_url(database_url: str) -> str:
    return load_settings(for_serve=False, database_url=database_url, _env_file=None).sqlalchemy_url


async def run_in_transaction(url: str, fn: Callable[[Connection], None]) -> None:
    """Run `fn` in one transaction on the database at `url`, outside any Store."""
    if url.startswith("sqlite"):
        engine = create_engine(url)
        with engine.begin() as conn:
            fn(conn)
        engine.dispose()
        return
    aengine = create_async_engine(url)
    async with aengine.begin() as aconn:
        await aconn.run_sync(fn)
    await aengine.dispose()


def database_before(url: str, version: int, drop: Callable[[Connection], None],
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the database at `url` as migration `version - 1` left it: the migrations before `version`, then
    `drop` takes away what migration 1 (which builds today's tables) made ahead of time."""
    async def open_close() -> None:
        store = await Store.open(url)
        await store.close()

    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] < version])
    asyncio.run(open_close())
    asyncio.run(run_in_transaction(url.replace("+aiosqlite", ""), drop))
    monkeypatch.undo()


def test_ci_runs_the_postgresql_store_tests() -> None:
    """CI must not silently skip PostgreSQL: .ci/run starts a server and names it."""
    if os.environ.get("CI"):
        assert ADMIN_URL.startswith("postgresql://"), "TEST_DATABASE_URL is not set in CI"


def test_a_failed_migration_leaves_the_previous_schema_intact(database_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url = store_url(database_url)

    async def open_close() -> None:
        store = await Store.open(url)
        await store.close()

    asyncio.run(open_close())
    latest = migrations.MIGRATIONS[-1][0]

    def half_done(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_made (id INTEGER)"))
        conn.execute(text("ALTER TABLE links ADD COLUMN tmp TEXT"))
        raise RuntimeError("killed mid-migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (99, half_done)])
    with pytest.raises(RuntimeError):
        asyncio.run(Store.open(url))
    monkeypatch.undo()

    async def schema() -> tuple[set[str], set[str], int]:
        store = await Store.open(url)
        tables = set(await store.run_sync(lambda c: inspect(c).get_table_names()))
        columns = {c["name"] for c in await store.run_sync(lambda c: inspect(c).get_columns("links"))}
        latest_row = text("select max(version) from schema_version")
        version = await store.run_sync(lambda c: c.execute(latest_row).scalar_one())
        await store.close()
        return tables, columns, int(version)

    tables, columns, version = asyncio.run(schema())
    assert "half_made" not in tables and "tmp" not in columns and version == latest


def test_each_slack_message_and_each_provider_message_is_mapped_once(database_url: str) -> None:
    async def scenario() -> None:
        store = await Store.open(store_url(database_url))
        link = await store.links.create(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                       request_status=None)
        first = await store.messages.insert_slack(link_id=link.id, slack_ts="1.1", slack_user="U", content="a")
        again = await store.messages.insert_slack(link_id=link.id, slack_ts="1.1", slack_user="U", content="b")
        assert again.id == first.id and again.content == "a"
        posted = await store.messages.insert_provider(link_id=link.id, provider_message_id="7", content="x",
                                                     author="an", provider_created=None)
        twice = await store.messages.insert_provider(link_id=link.id, provider_message_id="7", content="y",
                                                    author="an", provider_created=None)
        assert twice.id == posted.id and twice.state == MessageState.POSTING
        assert await store.messages.count() == 2
        assert await store.events.enqueue(dedup_key="reply:C:1.1", event_id="Ev1", link_id=link.id, kind="reply",
                                         slack_ts="1.1", user_id="U", text="a")
        assert not await store.events.enqueue(dedup_key="reply:C:1.1", event_id="Ev2", link_id=link.id,
                                             kind="reply", slack_ts="1.1", user_id="U", text="a")
        await store.close()

    asyncio.run(scenario())


def test_pending_events_come_in_the_order_messages_were_written(database_url: str) -> None:
    async def scenario() -> list[str]:
        store = await Store.open(store_url(database_url))
        link = await store.links.create(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                       request_status=None)
        for key, ts in (("reply:2", "1700000002.000000"), ("reply:1", "1700000001.000000"),
                        ("edit:1", "1700000001.000000")):
            await store.events.enqueue(dedup_key=key, event_id=None, link_id=link.id, kind=key.split(":")[0],
                                      slack_ts=ts, user_id="U", text="")
        groups = await store.events.pending()
        await store.close()
        return [e.dedup_key for e in groups[link.id]]

    assert asyncio.run(scenario()) == ["reply:1", "edit:1", "reply:2"]


def test_a_database_from_the_first_release_is_migrated_to_leases(database_url: str) -> None:
    """Migration 2 on a database that migration 1 made before lease columns existed."""
    url = store_url(database_url)

    async def scenario() -> set[str]:
        def first_release(c: Connection) -> None:  # the v1 schema, as the first release created it
            migrations.schema.schema_version.create(c)
            migrations._v1_initial(c)  # noqa: SLF001
            c.execute(text("ALTER TABLE links DROP COLUMN lease_owner"))
            c.execute(text("ALTER TABLE links DROP COLUMN lease_until"))
            c.execute(text("INSERT INTO schema_version (version, applied_at) VALUES (1, 0)"))

        await run_in_transaction(url, first_release)
        store = await Store.open(url)
        columns = {c["name"] for c in await store.run_sync(lambda c: inspect(c).get_columns("links"))}
        await store.close()
        return columns

    assert {"lease_owner", "lease_until"} <= asyncio.run(scenario())


def test_only_one_replica_holds_a_link_until_its_lease_lapses(database_url: str) -> None:
    async def scenario() -> None:
        store = await Store.open(store_url(database_url))
        link = await store.links.create(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                       request_status=None)
        await store.links.activate(link.id, "1.1")
        assert await store.links.claim(link.id, owner="a", seconds=60)
        assert not await store.links.claim(link.id, owner="b", seconds=60)
        assert await store.links.claim(link.id, owner="a", seconds=-1)  # renewed, then lapsed at once
        assert await store.links.claim(link.id, owner="b", seconds=60)  # taken over
        await store.links.release(owner="b")
        assert await store.links.claim(link.id, owner="a", seconds=60)
        await store.close()

    asyncio.run(scenario())


def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite is the one-process store; replicas share PostgreSQL")

    async def scenario() -> None:
        stores = await asyncio.gather(*(Store.open(store_url(database_url)) for _ in range(3)))
        for store in stores:
            assert await store.ping()
            await store.close()

    asyncio.run(scenario())
