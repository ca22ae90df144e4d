"""While running, with no restart: a thread whose read back or events the database refused is held, and read
back once the heartbeat finds the database writable again; its later live events go after what was missed.
The database is a SQLite file on a small disk that is filled, then freed (skipped where a tmpfs cannot be
mounted); tests/faults/test_db_outage.py does the same to a bot process, and to PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.bridge.catch_up import Priority
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.databases import SmallDisk, small_disk
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, created_contents, link_request


@pytest.fixture
def disk() -> Iterator[SmallDisk]:
    with small_disk() as found:
        yield found


def test_a_thread_refused_while_the_disk_is_full_is_read_back_once_it_is_not(
        slack: FakeSlack, cf: FakeCloudforceOne, disk: SmallDisk) -> None:
    bot = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                  cf_url=cf.base_url.removesuffix("/client/v4"), db_path=disk.path / "bridge.db"))
    try:
        request_id, thread = link_request(bot, slack, cf)
        link = bot.run(bot.service.store.links.for_thread(CHANNEL, thread))
        assert link is not None
        outage = bot.service.inbox.outage
        slack.post_user_message(CHANNEL, "missed while full", user="U111", thread_ts=thread)  # never delivered

        disk.fill()
        result = bot.run(bot.service.catch_up.read([link], priority=lambda _: Priority.MISSED, held=True))
        assert result.failed == 1 and outage.down and outage.holds(CHANNEL, thread)  # put off, not given up
        ts = slack.post_user_message(CHANNEL, "live, refused", user="U111", thread_ts=thread)
        event = events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, text="live, refused")
        assert bot.post_event(event, event_id="Ev1").status_code == 503
        bot.run(bot.service.recovery.heartbeat())  # still full: nothing happens
        assert outage.down and created_contents(cf, request_id) == []

        disk.free()
        ts = slack.post_user_message(CHANNEL, "live, after", user="U111", thread_ts=thread)
        assert bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, text="live, after"),
                              event_id="Ev2").status_code == 200
        assert bot.drain() == 0  # held (its thread had a refusal), and asking for its read back to go first
        bot.run(bot.service.recovery.heartbeat())
        wait_for(lambda: bot.drain() is not None and len(created_contents(cf, request_id)) == 3,
                 what="the thread read back")
        assert created_contents(cf, request_id) == ["Alice (via Slack): missed while full",
                                                    "Alice (via Slack): live, refused",
                                                    "Alice (via Slack): live, after"]
        assert not outage.down and not outage.holds(CHANNEL, thread)
    finally:
        bot.stop()
