"""What only JITSudo has: Slack context in message metadata, Cedar policy notices, tenant checks, and
request status changes announced in the thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack
from tests import events
from tests.e2e.test_providers import World, jitsudo, link
from tests.fakes.jitsudo import FakeJITSudo
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, thread_texts


@pytest.fixture
def world() -> Iterator[World]:
    fake = FakeJITSudo()
    with ServerThread(fake.app) as server:
        fake.bind(server.url)
        yield jitsudo(fake)


def start(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path, world: World, **overrides: object) -> RunningBot:
    return RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                   cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path,
                                   **{**world.settings, **overrides}))


def test_messages_carry_their_slack_context_and_notices_reach_the_author(
        slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path, world: World) -> None:
    bot = start(slack, cf, db_path, world)
    try:
        request_id, thread = link(bot, slack, world)
        slack.post_user_message(CHANNEL, "please", user="U111", thread_ts=thread, ts="1800000000.000100")
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="please"),
                       event_id="Ev1")
        wait_for(lambda: world.contents(request_id), what="the create")
        metadata = world.fake.messages(request_id)[0]["metadata"]
        assert metadata["slack_channel"] == CHANNEL and metadata["slack_user"] == "U111"
        assert metadata["slack_permalink"].startswith("https://")

        world.fake.policy_refuse_next(["Messages are not accepted on expired requests"])
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000200", text="again"),
                       event_id="Ev2")
        wait_for(lambda: slack.ephemerals, what="the refusal")
        assert "Messages are not accepted on expired requests" in slack.ephemerals[0]["text"]
    finally:
        bot.stop()


def test_a_status_change_is_announced_in_the_thread(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path,
                                                   world: World) -> None:
    bot = start(slack, cf, db_path, world)
    try:
        request_id, thread = link(bot, slack, world)
        world.fake.set_status(request_id, "approved")
        bot.poll(full=True)
        bot.poll(full=True)
        assert thread_texts(slack, thread) == [":arrows_counterclockwise: JITSudo request status changed: "
                                               "*pending* → *approved*"]
    finally:
        bot.stop()


def test_a_tenant_mismatch_names_the_setting_to_fix(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path,
                                                   world: World) -> None:
    bot = start(slack, cf, db_path, world, jitsudo_tenant_id="00000000-0000-4000-8000-000000000000")
    try:
        request_id = world.new_request()
        bot.command(f"link jitsudo {request_id}", response_url=slack.response_url("link"))
        wait_for(lambda: slack.responses, what="the answer")
        assert "JITSUDO_TENANT_ID" in slack.responses[-1][1]["text"]
    finally:
        bot.stop()
