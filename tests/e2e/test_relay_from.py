"""RELAY_FROM: one rule for whose messages go to requests, on every path that sends content (a reply or an
edit in a linked thread, "Send to request", `/request new`); the person refused is told why, once per thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.shortcut_modals import CallbackId
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.conftest import running_bot
from tests.e2e.test_send_to_request import submit, told
from tests.harness import RunningBot
from tests.helpers import CHANNEL, created_contents, link_request
from tests.interactions import use_shortcut


def refusals_to(slack: FakeSlack, user: str) -> list[str]:
    return [e["text"] for e in slack.ephemerals if e["user"] == user and "RELAY_FROM" in e["text"]]


def test_with_relay_from_allowed_an_outsider_is_not_relayed_and_is_told_once_per_thread(
        only_alice: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    bot = only_alice  # Alice (U111) is on the allowlist, Bob (U222) is not; RELAY_FROM=allowed
    request_id, thread = link_request(bot, slack, cf)
    for n, text in enumerate(["Bob's first word", "Bob again"]):
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=f"1800000000.00010{n}", user="U222",
                                    text=text), event_id=f"EvBob{n}")
    bot.post_event(events.edit(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", user="U222",
                               old="Bob's first word", new="Bob, edited"), event_id="EvBobEdit")
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000300", text="Alice speaks"),
                   event_id="EvAlice")
    bot.drain()
    assert created_contents(cf, request_id) == ["Alice (via Slack): Alice speaks"]
    refusals = refusals_to(slack, "U222")
    assert len(refusals) == 1 and request_id in refusals[0], slack.ephemerals
    assert [e.get("thread_ts") for e in slack.ephemerals if e["user"] == "U222"] == [thread]

    # "Send to request": Bob is refused on the form; Alice sending Bob's message speaks for it.
    ts = slack.post_user_message(CHANNEL, "Bob's channel message", user="U222")
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts, user="U222")
    assert opened is not None and "RELAY_FROM=allowed" in str(submit(bot, opened).get("errors"))
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts, user="U111")
    assert opened is not None and submit(bot, opened) == {}
    told(slack, "U111", "Sent to")
    assert created_contents(cf, request_id)[-1] == "Bob Builder (via Slack): Bob's channel message"


def test_by_default_everyone_in_a_linked_thread_is_relayed_on_every_path(
        only_links_by_alice: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    """RELAY_FROM unset (everyone): the allowlists say who links, as before; Bob's reply goes to the request,
    and so does the message he sends with "Send to request" (the same rule on both paths)."""
    bot = only_links_by_alice
    request_id, thread = link_request(bot, slack, cf)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", user="U222",
                                text="Bob in the thread"), event_id="EvBob")
    bot.drain()
    ts = slack.post_user_message(CHANNEL, "Bob in the channel", user="U222")
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts, user="U222")
    assert opened is not None and submit(bot, opened) == {}
    told(slack, "U222", "Sent to")
    assert created_contents(cf, request_id) == ["Bob Builder (via Slack): Bob in the thread",
                                                "Bob Builder (via Slack): Bob in the channel"]
    assert refusals_to(slack, "U222") == []


@pytest.fixture
def only_links_by_alice(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Iterator[RunningBot]:
    with running_bot(slack, cf, db_path=db_path, allowed_user_ids="U111") as bot:
        yield bot
