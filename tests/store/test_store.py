"""The mapping store on a real SQLite file: migrations, unique keys on both sides, the inbox."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from bot import migrations
from bot.models import MessageState
from bot.store import Store


def run(coro):  # noqa: ANN001, ANN201 - tiny sync shim for async store calls
    return asyncio.run(coro)


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def test_a_failed_migration_leaves_the_previous_schema_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        store = await Store.open(url(tmp_path / "s.db"))
        await store.close()

    run(scenario())

    def half_done(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_made (id INTEGER)"))
        conn.execute(text("ALTER TABLE links ADD COLUMN tmp TEXT"))
        raise RuntimeError("killed mid-migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (99, half_done)])
    with pytest.raises(RuntimeError):
        run(Store.open(url(tmp_path / "s.db")))
    with sqlite3.connect(tmp_path / "s.db") as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
        columns = {r[1] for r in db.execute("pragma table_info(links)")}
        version = db.execute("select max(version) from schema_version").fetchone()[0]
    assert "half_made" not in tables and "tmp" not in columns and version == 1


def test_each_slack_message_and_each_provider_message_is_mapped_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await Store.open(url(tmp_path / "s.db"))
        link = await store.create_link(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                       request_status=None)
        first = await store.insert_slack_message(link_id=link.id, slack_ts="1.1", slack_user="U", content="a")
        again = await store.insert_slack_message(link_id=link.id, slack_ts="1.1", slack_user="U", content="b")
        assert again.id == first.id and again.content == "a"
        posted = await store.insert_provider_message(link_id=link.id, provider_message_id="7", content="x",
                                                     author="an", provider_created=None)
        twice = await store.insert_provider_message(link_id=link.id, provider_message_id="7", content="y",
                                                    author="an", provider_created=None)
        assert twice.id == posted.id and twice.state == MessageState.POSTING
        assert await store.count_messages() == 2
        assert await store.enqueue_event(dedup_key="reply:C:1.1", event_id="Ev1", link_id=link.id, kind="reply",
                                         slack_ts="1.1", user_id="U", text="a")
        assert not await store.enqueue_event(dedup_key="reply:C:1.1", event_id="Ev2", link_id=link.id,
                                             kind="reply", slack_ts="1.1", user_id="U", text="a")
        await store.close()

    run(scenario())


def test_pending_events_come_in_the_order_messages_were_written(tmp_path: Path) -> None:
    async def scenario() -> list[str]:
        store = await Store.open(url(tmp_path / "s.db"))
        link = await store.create_link(provider="p", request_id="r", channel_id="C", created_by="U", title=None,
                                       request_status=None)
        for key, ts in (("reply:2", "1700000002.000000"), ("reply:1", "1700000001.000000"),
                        ("edit:1", "1700000001.000000")):
            await store.enqueue_event(dedup_key=key, event_id=None, link_id=link.id, kind=key.split(":")[0],
                                      slack_ts=ts, user_id="U", text="")
        groups = await store.pending_events()
        await store.close()
        return [e.dedup_key for e in groups[link.id]]

    assert run(scenario()) == ["reply:1", "edit:1", "reply:2"]
