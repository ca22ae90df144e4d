"""Cloudforce One -> Slack: the poller posts, edits and marks deleted what analysts write."""

from __future__ import annotations

import threading

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.conftest import restart
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, created_contents, link_request, thread_texts


def test_a_new_analyst_message_is_posted_in_the_thread_with_metadata(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    message = cf.add_message(request_id, author="ana@cloudflare.com", content="<!channel> we found it")
    bot.poll()
    replies = slack.thread(CHANNEL, thread)[1:]
    assert [r["text"] for r in replies] == ["*ana@cloudflare.com* (Cloudforce One):\n&lt;!channel&gt; we found it"]
    assert replies[0]["metadata"] == {"event_type": "request_bridge_message", "event_payload": {
        "link_id": 1, "provider": "cloudforce-one", "request_id": request_id, "message_id": str(message["id"])}}
    bot.poll()
    assert len(slack.thread(CHANNEL, thread)) == 2  # polled again: nothing doubled


def test_polls_ask_only_for_what_is_new(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.add_message(request_id, content="one")
    bot.poll()
    cf.clear_calls()
    cf.add_message(request_id, content="two")
    bot.poll()
    lists = cf.calls_matching("POST", f"{request_id}/message")
    assert len(lists) == 1
    body = lists[0]["json"]
    assert body["page"] == 0  # the first page, whichever base the server has
    assert body["sort_by"] == "created" and body["sort_order"] == "asc" and body["after"]
    assert thread_texts(slack, thread)[-1].endswith("two")


def test_a_long_conversation_is_backfilled_across_pages_in_order(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    for n in range(120):
        cf.add_message(request_id, content=f"m{n:03d}")
    bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    wait_for(lambda: slack.responses, timeout=30, what="link")
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    texts = thread_texts(slack, link.thread_ts)
    assert [t.rsplit("\n", 1)[1] for t in texts] == [f"m{n:03d}" for n in range(120)]
    # 50, then page 1 repeating page 0 (the server is 1-based: learned once, for the account), 50, 20.
    assert [c["json"]["page"] for c in cf.calls_matching("POST", f"{request_id}/message")] == [0, 1, 2, 3]


def test_the_bridges_own_messages_are_never_echoed(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="from slack"),
                   event_id="Ev1")
    wait_for(lambda: created_contents(cf, request_id), what="the create")
    bot.drain()
    bot.poll(full=True)
    bot.poll()
    assert thread_texts(slack, thread) == []


def test_a_poll_during_a_create_in_flight_does_not_echo_it(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.fail_next("create_message", "slow", delay=1.0)  # the create is answered after a second
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000200", text="in flight"),
                   event_id="Ev1")
    wait_for(lambda: cf.calls_matching("POST", "/message/new"), what="the create to start")
    poller = threading.Thread(target=lambda: bot.poll(full=True))
    poller.start()
    poller.join(15)
    bot.drain()
    assert created_contents(cf, request_id) == ["Alice (via Slack): in flight"]
    assert thread_texts(slack, thread) == []


def test_an_unconfirmed_create_is_recognised_rather_than_echoed(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.fail_next("create_message", "apply_then_500", count=1)
    cf.fail_next("list_messages", "503", count=3)  # the reconciliation read fails too: the row stays unsure
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000300", text="unsure"),
                   event_id="Ev1")
    wait_for(lambda: created_contents(cf, request_id), what="the create")
    bot.poll(full=True)
    bot.drain()
    assert thread_texts(slack, thread) == []
    assert created_contents(cf, request_id) == ["Alice (via Slack): unsure"]
    row = bot.run(bot.service.store.messages.by_slack_ts(1, "1800000000.000300"))
    assert row.state == "sent" and row.provider_message_id == str(cf.messages(request_id)[0]["id"])


def test_an_analyst_edit_is_mirrored_on_the_same_slack_message(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    message = cf.add_message(request_id, author="ana@cloudflare.com", content="draft")
    bot.poll()
    posted_ts = slack.thread(CHANNEL, thread)[1]["ts"]
    cf.edit_message(request_id, message["id"], "final answer")
    bot.poll(full=True)
    updates = slack.calls_to("chat.update")
    assert [u["ts"] for u in updates] == [posted_ts]
    assert slack.message(CHANNEL, posted_ts)["text"] == "*ana@cloudflare.com* (Cloudforce One):\nfinal answer"
    assert len(slack.thread(CHANNEL, thread)) == 2


def test_an_analyst_deletion_marks_the_slack_message(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    keep = cf.add_message(request_id, author="ana@cloudflare.com", content="keep")
    gone = cf.add_message(request_id, author="ana@cloudflare.com", content="oops, wrong request")
    bot.poll()
    cf.delete_message(request_id, gone["id"])
    bot.poll()  # an incremental poll cannot see deletions...
    assert "oops" in thread_texts(slack, thread)[1]
    bot.poll(full=True)  # ...the periodic full read does
    assert thread_texts(slack, thread) == ["*ana@cloudflare.com* (Cloudforce One):\nkeep",
                                           "_ana@cloudflare.com deleted this message on Cloudforce One._"]
    assert keep["id"] != gone["id"]


def test_slack_rate_limits_and_errors_delay_but_never_double_a_post(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.add_message(request_id, content="first")
    cf.add_message(request_id, content="second")
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    slack.fail_next("chat.postMessage", "server_error", count=5)  # more than the client's own retries
    wait_for(lambda: bot.poll() is not None and len(thread_texts(slack, thread)) >= 2, timeout=20, what="both posts")
    bot.poll()
    assert [t.rsplit("\n", 1)[1] for t in thread_texts(slack, thread)] == ["first", "second"]
    assert any(c["injected"] for c in slack.calls if c["method"] == "chat.postMessage")


def test_a_failing_provider_does_not_stop_the_poller(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    first, first_thread = link_request(bot, slack, cf)
    second, second_thread = link_request(bot, slack, cf)
    cf.add_message(first, content="to first")
    cf.add_message(second, content="to second")
    cf.fail_next("list_messages", "garbage", count=1)
    results = bot.poll()
    assert sorted(type(r).__name__ for r in results.values()) == ["PollResult", "Unavailable"]
    assert len(thread_texts(slack, first_thread)) + len(thread_texts(slack, second_thread)) == 1
    bot.poll()
    assert thread_texts(slack, first_thread)[-1].endswith("to first")
    assert thread_texts(slack, second_thread)[-1].endswith("to second")


def test_the_scheduler_polls_on_its_own(slack: FakeSlack, cf: FakeCloudforceOne, db_path) -> None:
    from tests.harness import RunningBot

    bot = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                  cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path,
                                  poll_interval_seconds=0.2))
    try:
        request_id, thread = link_request(bot, slack, cf)
        bot.run(_start(bot))
        cf.add_message(request_id, content="scheduled")
        wait_for(lambda: thread_texts(slack, thread), timeout=10, what="a scheduled poll")
        assert thread_texts(slack, thread)[0].endswith("scheduled")
    finally:
        bot.stop()


async def _start(bot: RunningBot) -> None:
    bot.service.start_background()


def test_the_page_base_learned_before_a_restart_is_not_learned_again(bot: RunningBot, slack: FakeSlack,
                                                                      cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    for n in range(120):
        cf.add_message(request_id, content=f"m{n:03d}")
    bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    wait_for(lambda: slack.responses, timeout=30, what="link")
    bot.poll(full=True)  # learned (the link's back-fill paged 0, 1, 2, 3), now kept in the store
    assert bot.run(bot.service.store.facts.of("cloudforce-one"))["page_base"] == "1"
    bot = restart(bot)
    try:
        cf.clear_calls()
        bot.poll(full=True)
        assert [c["json"]["page"] for c in cf.calls_matching("POST", f"{request_id}/message")] == [1, 2, 3]
    finally:
        bot.stop()
