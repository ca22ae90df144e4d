"""Edits and deletions in Slack follow the bridged message on Cloudforce One."""

from __future__ import annotations

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, created_contents, link_request, provider_calls

TS = "1800000000.000100"


def _bridged_reply(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> tuple[str, str]:
    request_id, thread = link_request(bot, slack, cf)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=TS, text="original"), event_id="Ev1")
    wait_for(lambda: created_contents(cf, request_id), what="the create")
    return request_id, thread


def test_an_edit_updates_the_same_message(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = _bridged_reply(bot, slack, cf)
    message_id = cf.messages(request_id)[0]["id"]
    bot.post_event(events.edit(channel=CHANNEL, thread_ts=thread, ts=TS, old="original", new="better"),
                   event_id="Ev2")
    wait_for(lambda: created_contents(cf, request_id) == ["Alice (via Slack): better"], what="the update")
    puts = cf.calls_matching("PUT", f"/message/{message_id}")
    assert len(puts) == 1 and puts[0]["json"] == {"content": "Alice (via Slack): better"}


def test_changes_that_are_not_edits_are_ignored(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = _bridged_reply(bot, slack, cf)
    unfurl = events.edit(channel=CHANNEL, thread_ts=thread, ts=TS, old="original", new="original")
    del unfurl["message"]["edited"]
    same_text = events.edit(channel=CHANNEL, thread_ts=thread, ts=TS, old="original", new="original")
    bookkeeping = events.edit(channel=CHANNEL, thread_ts=thread, ts=thread, old="root", new="root")
    bookkeeping["message"]["edited"] = {}
    own_update = events.edit(channel=CHANNEL, thread_ts=thread, ts="1800000000.000999", old="a", new="b",
                             user="UBOT")
    own_update["message"]["bot_id"] = "BBOT"
    for n, event in enumerate((unfurl, same_text, bookkeeping, own_update)):
        assert bot.post_event(event, event_id=f"EvX{n}").status_code == 200
    bot.drain()
    assert provider_calls(cf, "PUT", "/message/") == []


def test_a_deletion_deletes_the_message(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = _bridged_reply(bot, slack, cf)
    message_id = cf.messages(request_id)[0]["id"]
    bot.post_event(events.delete(channel=CHANNEL, ts=TS, thread_ts=thread), event_id="Ev2")
    wait_for(lambda: created_contents(cf, request_id) == [], what="the delete")
    assert len(cf.calls_matching("DELETE", f"/message/{message_id}")) == 1


def test_a_deletion_without_thread_ts_is_found_through_the_map(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, _ = _bridged_reply(bot, slack, cf)
    bot.post_event(events.delete(channel=CHANNEL, ts=TS, thread_ts=None), event_id="Ev2")
    wait_for(lambda: created_contents(cf, request_id) == [], what="the delete")


def test_deleting_a_bot_post_in_slack_does_not_delete_the_analysts_message(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    cf.add_message(request_id, content="analyst says")
    bot.poll()
    row = bot.run(bot.service.store.messages.of_link(1))[0]
    bot.post_event(events.delete(channel=CHANNEL, ts=row.slack_ts, thread_ts=thread, user="UBOT", bot_id="BBOT"),
                   event_id="Ev3")
    bot.drain()
    assert provider_calls(cf, "DELETE", "/message/") == []
    assert created_contents(cf, request_id) == ["analyst says"]


def test_an_edit_then_delete_made_while_the_provider_is_down_end_in_the_right_state(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread = _bridged_reply(bot, slack, cf)
    cf.fail_next("update_message", "503", count=6)
    bot.post_event(events.edit(channel=CHANNEL, thread_ts=thread, ts=TS, old="original", new="v2"), event_id="Ev2")
    bot.post_event(events.delete(channel=CHANNEL, ts=TS, thread_ts=thread), event_id="Ev3")
    wait_for(lambda: bot.drain() is not None and bot.pending_events() == 0, timeout=20, what="both applied")
    assert created_contents(cf, request_id) == []
    methods = [c["method"] for c in cf.calls if "/message/" in c["path"] and not c["path"].endswith("/new")
               and not c.get("injected")]
    assert methods[-2:] == ["PUT", "DELETE"]  # in the order they were made
