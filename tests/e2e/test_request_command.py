"""`/request` end to end: signed slash commands in, what the fakes received out."""

from __future__ import annotations

import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, link_request, thread_texts


def test_link_posts_a_root_naming_the_request_and_backfills_oldest_first(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request(summary="DoS attack on edge", status="accepted", readable_id="RFI-2026-000042")
    cf.add_message(request_id, author="ana@cloudflare.com", content="First question")
    cf.add_message(request_id, author="ben@cloudflare.com", content="Second <b> & more")

    ack = bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    assert ack.status_code == 200
    assert "Linking request" in ack.json()["text"]
    wait_for(lambda: slack.responses, what="final answer")

    root = slack.calls_to("chat.postMessage")[0]
    assert root["channel"] == CHANNEL and "thread_ts" not in root
    for expected in (request_id, "RFI-2026-000042", "DoS attack on edge", "accepted"):
        assert expected in root["text"]
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    assert link is not None and link.state == "active"
    assert thread_texts(slack, link.thread_ts) == [
        "*ana@cloudflare.com* (Cloudforce One):\nFirst question",
        "*ben@cloudflare.com* (Cloudforce One):\nSecond &lt;b&gt; &amp; more",
    ]
    assert "2 earlier message(s)" in slack.responses[-1][1]["text"]


@pytest.mark.parametrize("bad_id", [
    "not-a-uuid",
    "../../../user/tokens/verify",
    "f174e90a-fafe-4643-bbbc-4a0ed4fc8415/../../x",
    "f174e90a-fafe-4643-bbbc-4a0ed4fc84155",  # 37 characters
    "f174e90a%2Ffafe-4643-bbbc-4a0ed4fc8415",
])
def test_a_malformed_id_is_refused_with_no_outbound_call(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, bad_id: str) -> None:
    ack = bot.command(f"link {bad_id}", response_url=slack.response_url("link"))
    assert ack.status_code == 200
    body = ack.json()
    assert body["response_type"] == "ephemeral"
    assert "is not a Cloudforce One request id" in body["text"]
    assert cf.calls == []
    assert slack.calls_to("chat.postMessage") == []


def test_an_unknown_request_is_reported_and_nothing_is_linked(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    missing = "f174e90a-fafe-4643-bbbc-4a0ed4fc8415"
    bot.command(f"link {missing}", response_url=slack.response_url("link"))
    wait_for(lambda: slack.responses, what="final answer")
    text = slack.responses[-1][1]["text"]
    assert "does not exist" in text and missing in text
    assert slack.calls_to("chat.postMessage") == []
    assert bot.run(bot.service.store.links.in_channel(CHANNEL)) == []


def test_bad_provider_credentials_name_the_problem(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    cf.api_token = "rotated-elsewhere"
    bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    wait_for(lambda: slack.responses, what="final answer")
    assert "refused the bot's credentials" in slack.responses[-1][1]["text"]


def test_linking_twice_points_to_the_existing_thread(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, _ = link_request(bot, slack, cf)
    bot.command(f"link {request_id}", response_url=slack.response_url("again"))
    wait_for(lambda: len(slack.responses) == 2, what="second answer")
    assert "already linked" in slack.responses[-1][1]["text"]
    assert len([c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c]) == 1


def test_unlink_stops_the_sync_and_list_shows_links(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    first, _ = link_request(bot, slack, cf, summary="First")
    second, thread = link_request(bot, slack, cf, summary="Second")
    bot.command("list", response_url=slack.response_url("list"))
    wait_for(lambda: slack.responses[-1][0] == "list", what="list answer")
    listed = slack.responses[-1][1]["text"]
    assert first in listed and second in listed and "First" in listed and "thread" in listed

    bot.command(f"unlink {second}", response_url=slack.response_url("unlink"))
    wait_for(lambda: slack.responses[-1][0] == "unlink", what="unlink answer")
    assert "Unlinked" in slack.responses[-1][1]["text"]
    assert "no longer syncs" in thread_texts(slack, thread)[-1]

    cf.add_message(second, content="after unlink")
    bot.poll()
    assert not any("after unlink" in t for t in thread_texts(slack, thread))
    bot.command("list", response_url=slack.response_url("list"))
    wait_for(lambda: len([r for r in slack.responses if r[0] == "list"]) == 2, what="second list")
    assert second not in slack.responses[-1][1]["text"] and first in slack.responses[-1][1]["text"]


@pytest.mark.parametrize("text, expected", [
    ("", "Request Bridge* links"),
    ("help", "Request Bridge* links"),
    ("frobnicate", "Unknown sub-command `frobnicate`"),
    ("link", "missing the request id"),
    ("unlink", "missing the request id"),
    ("list extra", "takes no arguments"),
])
def test_help_unknown_and_missing_arguments_answer_with_help(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, text: str, expected: str) -> None:
    ack = bot.command(text, response_url=slack.response_url("help"))
    body = ack.json()
    assert body["response_type"] == "ephemeral"
    assert expected in body["text"] and "/request link [provider] <request-id>" in body["text"]
    assert cf.calls == []


def test_an_unsigned_or_stale_request_is_rejected(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    from tests import events

    event = events.reply(channel=CHANNEL, thread_ts="1700000000.000100", ts="1700000001.000100", text="hi")
    assert bot.post_event(event, event_id="Ev1", secret="wrong").status_code == 401
    assert bot.post_event(event, event_id="Ev2", timestamp=1_000_000_000).status_code == 401
    assert bot.pending_events() == 0
