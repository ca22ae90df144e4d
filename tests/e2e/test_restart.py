"""A restart loses nothing and doubles nothing: the store is the bridge's memory."""

from __future__ import annotations

import sqlite3

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.conftest import restart
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, created_contents, link_request, thread_texts


def test_after_a_restart_nothing_is_posted_twice_and_the_sync_goes_on(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.add_message(request_id, content="analyst 1")
    bot.poll()
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="slack 1"),
                   event_id="Ev1")
    wait_for(lambda: len(created_contents(cf, request_id)) == 2, what="the create")

    bot = restart(bot)
    try:
        bot.poll(full=True)
        bot.poll()
        # the same Slack event delivered again after the restart (a late Slack retry)
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="slack 1"),
                       event_id="Ev1", retry_num=3)
        cf.add_message(request_id, content="analyst 2")
        bot.poll()
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000200", text="slack 2"),
                       event_id="Ev2")
        wait_for(lambda: len(created_contents(cf, request_id)) == 4, what="the second create")
        bot.drain()
        assert created_contents(cf, request_id) == ["analyst 1", "Alice (via Slack): slack 1", "analyst 2",
                                                    "Alice (via Slack): slack 2"]
        assert [t.rsplit("\n", 1)[1] for t in thread_texts(slack, thread)] == ["analyst 1", "analyst 2"]
    finally:
        bot.stop()


def test_an_event_stored_before_a_restart_is_delivered_after_it(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.fail_next("create_message", "503", count=100)  # Cloudflare is down while the reply arrives
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000300", text="kept"),
                   event_id="Ev1")
    wait_for(lambda: cf.calls_matching("POST", "/message/new"), what="a first attempt")
    assert bot.pending_events() == 1
    cf.clear_faults()

    bot = restart(bot)
    try:
        wait_for(lambda: bot.drain() is not None and created_contents(cf, request_id), timeout=15, what="delivery")
        assert created_contents(cf, request_id) == ["Alice (via Slack): kept"]
        assert bot.pending_events() == 0
    finally:
        bot.stop()


def test_a_post_made_just_before_a_crash_is_found_in_the_thread_not_posted_again(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.add_message(request_id, content="posted, then the process died")
    bot.poll()
    bot.stop()
    # The crash window: Slack has the post, the store never learnt its ts.
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE messages SET state='posting', slack_ts=NULL, attempts=1 WHERE origin='provider'")

    bot = RunningBot(bot.settings)
    try:
        bot.poll()
        assert len(thread_texts(slack, thread)) == 1
        replies = slack.calls_to("conversations.replies")
        assert replies and replies[-1]["include_all_metadata"] in (True, "true", "1")
        row = bot.run(bot.service.store.messages.of_link(1))[0]
        assert row.state == "posted" and row.slack_ts == slack.thread(CHANNEL, thread)[1]["ts"]
    finally:
        bot.stop()


def test_a_create_made_just_before_a_crash_is_found_on_the_provider_not_sent_again(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path) -> None:
    request_id, thread = link_request(bot, slack, cf)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000400", text="crash window"),
                   event_id="Ev1")
    wait_for(lambda: bot.pending_events() == 0 and created_contents(cf, request_id), what="the create")
    bot.stop()
    # The crash window: Cloudflare created it, the store never learnt its id, the event is still pending.
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE messages SET state='pending', provider_message_id=NULL WHERE origin='slack'")
        db.execute("UPDATE slack_events SET state='pending'")

    bot = RunningBot(bot.settings)
    try:
        bot.poll(full=True)  # the poll must not echo it...
        bot.drain()  # ...and the retried event must not create it again
        assert thread_texts(slack, thread) == []
        assert created_contents(cf, request_id) == ["Alice (via Slack): crash window"]
        assert len(cf.calls_matching("POST", "/message/new")) == 1
    finally:
        bot.stop()


def test_what_happened_in_slack_while_the_bot_was_down_is_caught_up_once(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    for n, ts in enumerate(("1800000000.000100", "1800000000.000200")):
        slack.post_user_message(CHANNEL, f"before {n}", user="U111", thread_ts=thread, ts=ts)
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, text=f"before {n}"), event_id=f"Ev{n}")
    wait_for(lambda: len(created_contents(cf, request_id)) == 2, what="two creates")
    bot.stop()

    # While no instance runs, Slack's deliveries fail and it gives up: only the thread remembers.
    slack.edit_user_message(CHANNEL, "1800000000.000100", "before 0, edited while down")
    slack.delete_user_message(CHANNEL, "1800000000.000200")
    slack.post_user_message(CHANNEL, "written while down", user="U222", thread_ts=thread, ts="1800000000.000300")

    bot = RunningBot(bot.settings)
    try:
        bot.run(bot.service.catch_up.hold_all())
        # A live event arriving during catch-up waits for it, and keeps the order people wrote in.
        slack.post_user_message(CHANNEL, "live after restart", user="U111", thread_ts=thread, ts="1800000000.000400")
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000400",
                                    text="live after restart"), event_id="Ev9")
        assert bot.drain() == 0  # held, and its thread's read asked for first
        result = bot.run(bot.service.catch_up.run())
        assert (result.links, result.failed) == (1, 0)
        wait_for(lambda: bot.drain() is not None and bot.pending_events() == 0, what="the inbox to empty")
        assert created_contents(cf, request_id) == ["Alice (via Slack): before 0, edited while down",
                                                    "Bob Builder (via Slack): written while down",
                                                    "Alice (via Slack): live after restart"]
        again = bot.run(bot.service.catch_up.run())  # a second start finds nothing new
        assert again.queued == 0
    finally:
        bot.stop()


def test_two_replicas_given_the_same_event_process_it_once(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    import threading

    request_id, thread = link_request(bot, slack, cf)
    # A second instance on the same database, behind a load balancer.
    other = RunningBot(bot.settings.model_copy(update={"replica_id": "replica-2"}))
    try:
        event = events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000500", text="to both")
        answers: list[int] = []
        senders = [threading.Thread(target=lambda b=b, n=n: answers.append(
            b.post_event(event, event_id="EvDup", retry_num=n or None).status_code))
            for n, b in enumerate((bot, other))]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(10)
        assert answers == [200, 200]
        # Whichever replica stored it, the link's leaseholder applies it (on its scheduler tick, here by hand).
        wait_for(lambda: bot.drain() is not None and other.drain() is not None and created_contents(cf, request_id),
                 what="the create")
        bot.drain()
        other.drain()
        assert created_contents(cf, request_id) == ["Alice (via Slack): to both"]
        assert len(cf.calls_matching("POST", "/message/new")) == 1
    finally:
        other.stop()


def test_a_failed_thread_read_is_retried_and_order_still_holds(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    bot.stop()
    slack.post_user_message(CHANNEL, "written while down", user="U111", thread_ts=thread, ts="1800000000.000600")
    bot = RunningBot(bot.settings)
    try:
        bot.run(bot.service.catch_up.hold_all())
        slack.post_user_message(CHANNEL, "live", user="U111", thread_ts=thread, ts="1800000000.000700")
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000700", text="live"),
                       event_id="EvLive")
        slack.fail_next("conversations.replies", "garbage")  # the first read-back fails
        result = bot.run(bot.service.catch_up.run())
        assert (result.links, result.failed) == (1, 0)
        wait_for(lambda: bot.drain() is not None and bot.pending_events() == 0, what="the inbox to empty")
        assert created_contents(cf, request_id) == ["Alice (via Slack): written while down",
                                                    "Alice (via Slack): live"]
    finally:
        bot.stop()
