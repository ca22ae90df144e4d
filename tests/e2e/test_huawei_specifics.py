"""What only Huawei has: one ListNewInstantMessages call tells the poller which of many linked cases have
news (the others wait for the staleness bound), and a reply deleted in Slack is withdrawn on the case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.e2e.test_jitsudo_specifics import start
from tests.e2e.test_providers import World, huawei, link, reply
from tests.fakes.huawei import FakeHuawei
from tests.harness import wait_for
from tests.helpers import CHANNEL, thread_texts


@pytest.fixture
def world() -> Iterator[World]:
    fake = FakeHuawei()
    with ServerThread(fake.app) as server:
        fake.bind(server.url)
        yield huawei(fake)


def test_one_batch_call_picks_the_cases_with_news(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path,
                                                  world: World) -> None:
    # Every tick may ask the batch API, and the budget is no limit here.
    bot = start(slack, cf, db_path, world, poll_interval_seconds=0.001, huawei_request_budget="100000/60")
    try:
        linked = []
        for n in range(6):  # one at a time: each waits for its own answer
            request_id = world.new_request()
            bot.command(f"link huawei {request_id}", response_url=slack.response_url("link"))
            wait_for(lambda n=n: len(slack.responses) == n + 1, what="the link answer")
            found = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="huawei", request_id=request_id))
            assert found is not None and found.thread_ts
            linked.append((request_id, found.thread_ts))
        bot.tick()  # the first batch call has no cursor: every case is read once
        world.fake.clear_calls()
        world.other_side_writes(linked[2][0], "news on one case")
        bot.tick()
        batch, *rest = [c["path"] for c in world.fake.calls]
        assert batch.endswith("/cases/instant-messages")  # one batch call, then only the case with news
        assert rest and all(f"/{linked[2][0]}" in path for path in rest)
        assert thread_texts(slack, linked[2][1])[-1].endswith("news on one case")
    finally:
        bot.stop()


@pytest.mark.parametrize("polled", [True, False])
def test_a_reply_deleted_in_slack_is_withdrawn(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path,
                                               world: World, polled: bool) -> None:
    """Whether or not a poll has seen it yet: the create's answer names no id, so the bot finds it by its
    text on the case before withdrawing it."""
    bot = start(slack, cf, db_path, world)
    try:
        request_id, thread = link(bot, slack, world)
        ts = "1800000000.000300"
        reply(bot, thread, ts, "sent too soon")
        wait_for(lambda: world.contents(request_id), what="the create")
        bot.drain()
        if polled:
            bot.poll()  # finds the message on the case and keeps its id
        bot.post_event(events.delete(channel=CHANNEL, ts=ts, thread_ts=thread), event_id="EvDelete")
        wait_for(lambda: bot.drain() is not None and bot.pending_events() == 0, what="the deletion")
        assert world.contents(request_id) == []
        assert [c["path"] for c in world.fake.calls if c["path"].endswith("/withdraw")]
    finally:
        bot.stop()
