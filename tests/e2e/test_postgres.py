"""The end-to-end journey on PostgreSQL (the store for several replicas), against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.databases import ADMIN_URL, postgres_database
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, created_contents, link_request, thread_texts

pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="needs TEST_DATABASE_URL (CI sets it)")


@pytest.fixture
def pg_bot(slack: FakeSlack, cf: FakeCloudforceOne) -> Iterator[RunningBot]:
    with postgres_database() as url:
        bot = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                      cf_url=cf.base_url.removesuffix("/client/v4"), database_url=url))
        yield bot
        bot.stop()


def test_both_ways_and_a_restart_on_postgresql(pg_bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    assert pg_bot.settings.sqlalchemy_url.startswith("postgresql+asyncpg://")
    request_id, thread = link_request(pg_bot, slack, cf)
    cf.add_message(request_id, content="analyst")
    pg_bot.poll()
    pg_bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="slack"),
                      event_id="Ev1")
    wait_for(lambda: len(created_contents(cf, request_id)) == 2, what="the create")
    other = RunningBot(pg_bot.settings.model_copy(update={"replica_id": "replica-2"}))  # a second replica
    try:
        other.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="slack"),
                         event_id="Ev1", retry_num=1)
        other.poll(full=True)
        other.drain()
        assert created_contents(cf, request_id) == ["analyst", "Alice (via Slack): slack"]
        assert thread_texts(slack, thread) == ["*analyst@cloudflare.com* (Cloudforce One):\nanalyst"]
    finally:
        other.stop()
