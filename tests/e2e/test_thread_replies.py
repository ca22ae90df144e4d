"""Slack -> Cloudforce One: replies in a linked thread become messages on the request."""

from __future__ import annotations

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, created_contents, link_request


def test_a_reply_becomes_a_message_with_its_author_and_readable_text(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    text = "Hi <@U222>, see <https://example.com/x?a=1&amp;b=2|the report> &amp; <#C999|ops> &lt;3"
    assert bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text=text),
                          event_id="Ev1").status_code == 200
    wait_for(lambda: created_contents(cf, request_id), what="the create")
    assert created_contents(cf, request_id) == [
        "Alice (via Slack): Hi @Bob Builder, see the report (https://example.com/x?a=1&b=2) & #ops <3"]
    create = cf.calls_matching("POST", "/message/new")[0]
    assert create["headers"]["Authorization"] == "Bearer cf-test-token"


def test_a_reply_also_sent_to_the_channel_is_bridged(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000200", text="broadcast",
                                broadcast=True), event_id="Ev1")
    wait_for(lambda: created_contents(cf, request_id) == ["Alice (via Slack): broadcast"], what="the create")


def test_messages_outside_linked_threads_and_bot_posts_are_ignored(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.clear_calls()
    unlinked = events.reply(channel=CHANNEL, thread_ts="1700000000.000999", ts="1800000000.000300", text="elsewhere")
    top_level = {**events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000400", text="top")}
    del top_level["thread_ts"]
    other_bot = {**events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000500", text="beep"),
                 "bot_id": "B999"}
    own = {**events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000600", text="me", user="UBOT"),
           "bot_id": "BBOT"}
    for n, event in enumerate((unlinked, top_level, other_bot, own)):
        assert bot.post_event(event, event_id=f"Ev{n}").status_code == 200
    assert bot.pending_events() == 0
    bot.drain()
    assert cf.calls_matching("POST", "/message/new") == []


def test_a_slack_retry_of_the_same_event_creates_one_message(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    event = events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000700", text="once")
    for retry in (None, 1, 2, 3):
        assert bot.post_event(event, event_id="EvSame", retry_num=retry).status_code == 200
    # the same message delivered under another event id (e.g. also as a broadcast) is still one message
    bot.post_event(event, event_id="EvOther")
    bot.drain()
    wait_for(lambda: created_contents(cf, request_id), what="the create")
    bot.drain()
    assert created_contents(cf, request_id) == ["Alice (via Slack): once"]


def test_replies_arrive_in_the_order_they_were_written(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.fail_next("create_message", "503")  # the first one is held back; the rest must wait behind it
    for n in range(6):
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=f"18000000{n:02d}.000100", text=f"m{n}"),
                       event_id=f"Ev{n}")
    wait_for(lambda: bot.drain() is not None and len(created_contents(cf, request_id)) == 6,
             what="all six")
    assert created_contents(cf, request_id) == [f"Alice (via Slack): m{n}" for n in range(6)]


def test_a_write_that_failed_after_it_was_applied_is_not_sent_twice(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.fail_next("create_message", "apply_then_500")
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000800", text="exactly once"),
                   event_id="Ev1")
    wait_for(lambda: bot.drain() is not None and bot.pending_events() == 0, what="the event to settle")
    assert created_contents(cf, request_id) == ["Alice (via Slack): exactly once"]
    assert len(cf.calls_matching("POST", "/message/new")) == 1
    row = bot.run(bot.service.store.messages.by_slack_ts(1, "1800000000.000800"))
    assert row is not None and row.state == "sent" and row.provider_message_id == str(cf.messages(request_id)[0]["id"])


def test_rate_limits_and_outages_are_waited_out(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.fail_next("create_message", "429", retry_after=1)
    cf.fail_next("create_message", "reset")
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000900", text="patient"),
                   event_id="Ev1")
    wait_for(lambda: bot.drain() is not None and created_contents(cf, request_id), timeout=15, what="delivery")
    bot.drain()
    assert created_contents(cf, request_id) == ["Alice (via Slack): patient"]
    assert slack.ephemerals == []


def test_a_refused_reply_is_reported_to_its_author_once(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.remove_request(request_id)  # deleted in Cloudflare's console: creates now answer 404
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.001000", text="lost?"),
                   event_id="Ev1")
    wait_for(lambda: slack.ephemerals, what="the ephemeral")
    bot.drain()
    assert len(slack.ephemerals) == 1
    note = slack.ephemerals[0]
    assert note["user"] == "U111" and note["channel"] == CHANNEL and note["thread_ts"] == thread
    assert "Sending your reply to Cloudforce One failed" in note["text"]
    assert bot.pending_events() == 0
    assert len(cf.calls_matching("POST", "/message/new")) == 1  # refused for good: not retried
    assert "does not exist" in note["text"]


def test_a_reply_that_never_gets_through_is_reported_after_the_last_attempt(
        slack: FakeSlack, cf: FakeCloudforceOne, db_path) -> None:
    from tests.harness import bot_settings

    bot = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                  cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path, max_attempts=2))
    try:
        request_id, thread = link_request(bot, slack, cf)
        cf.fail_next("create_message", "503", count=100)
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.001100", text="doomed"),
                       event_id="Ev1")
        wait_for(lambda: bot.drain() is not None and slack.ephemerals, timeout=20, what="the give-up note")
        note = slack.ephemerals[0]["text"]
        assert "could not be delivered" in note and "after 2 attempts" in note
        assert bot.pending_events() == 0
    finally:
        bot.stop()


def test_a_reply_right_after_the_thread_is_linked_again_reaches_the_new_request(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    """The ack path remembers a thread's link for a while; a reply it files under the old link still
    reaches the request the thread is linked to now."""
    first_request, thread = link_request(bot, slack, cf)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.001100", text="to the first"),
                   event_id="Ev1")
    wait_for(lambda: created_contents(cf, first_request), what="the first create")
    store = bot.service.store
    old = bot.run(store.links.for_thread(CHANNEL, thread))
    assert old is not None
    second_request = cf.add_request(summary="the second request")
    bot.run(store.links.unlink(old.id))  # as /request unlink does, then the same thread linked to another request
    new = bot.run(store.links.create(provider="cloudforce-one", request_id=second_request, channel_id=CHANNEL,
                                    created_by="U111", title=None, request_status=None))
    bot.run(store.links.activate(new.id, thread, linked_ts="1800000000.001150"))  # as "Link thread" does
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.001200", text="to the second"),
                   event_id="Ev2")
    wait_for(lambda: created_contents(cf, second_request), what="the create on the second request")
    assert created_contents(cf, second_request) == ["Alice (via Slack): to the second"]
    assert created_contents(cf, first_request) == ["Alice (via Slack): to the first"]


def test_a_reply_right_after_unlink_is_dropped_not_left_pending(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.001300", text="before"),
                   event_id="Ev1")
    wait_for(lambda: created_contents(cf, request_id), what="the first create")
    bot.command(f"unlink {request_id}", response_url=slack.response_url("unlink"))
    wait_for(lambda: slack.responses[-1][0] == "unlink", what="the unlink answer")
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.001400", text="after"),
                   event_id="Ev2")
    wait_for(lambda: bot.pending_events() == 0, what="the inbox to settle")
    bot.drain()
    assert created_contents(cf, request_id) == ["Alice (via Slack): before"]


def test_a_file_shared_in_the_thread_reaches_the_request_as_a_named_link_with_its_message(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    from tests.test_slack_events import fixture  # Slack's own file_share payload (tests/data)

    request_id, thread = link_request(bot, slack, cf)
    event = fixture("message_file_share", channel=CHANNEL, thread_ts=thread, user="U111")
    assert bot.post_event(event, event_id="EvFile").status_code == 200
    wait_for(lambda: created_contents(cf, request_id), what="the create")
    assert created_contents(cf, request_id) == [
        "Alice (via Slack): Hi there!\n[file] file.png (https://xxx.slack.com/files/U111/F111/file.png)"]
