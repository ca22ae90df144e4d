"""The "Send to request" message shortcut, end to end: one channel message reaches a linked request once."""

from __future__ import annotations

from typing import Any

from bot.slack.shortcut_modals import BlockId, CallbackId
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from sandbox.slack_views import OpenedView
from tests import events
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, created_contents, link_request, thread_texts
from tests.interactions import select_value, send, use_shortcut, view_submission


def submit(bot: RunningBot, opened: OpenedView, *, link_id: int | None = None,
           retry_num: int | None = None) -> dict[str, Any]:
    """Submit the modal with the request chosen (the preselected one unless `link_id`); the ack's body."""
    block = next(b for b in opened.view["blocks"] if b.get("block_id") == BlockId.LINK)
    value = str(link_id) if link_id is not None else block["element"]["initial_option"]["value"]
    values = {BlockId.LINK: {"link": select_value(opened, BlockId.LINK, value)}}
    response = send(bot, view_submission(opened, values=values), retry_num=retry_num)
    assert response.status_code == 200, response.text
    return response.json() if response.content else {}


def told(slack: FakeSlack, user: str, fragment: str) -> dict[str, Any]:
    return wait_for(lambda: next((e for e in slack.ephemerals if e["user"] == user and fragment in e["text"]), None),
                    what=f"an ephemeral message with {fragment!r}")


def shortcut_refusal(slack: FakeSlack) -> str:
    wait_for(lambda: slack.responses, what="the shortcut's answer")
    name, body = slack.responses[-1]
    assert name == CallbackId.SEND_TO_REQUEST and body["response_type"] == "ephemeral"
    return str(body["text"])


def test_a_channel_message_reaches_the_request_attributed_to_its_author(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread_ts = link_request(bot, slack, cf, summary="AS64500 traffic")
    ts = slack.post_user_message(CHANNEL, "Blocked <https://example.com/ioc|the IOC list> & 3 hosts", user="U222")

    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts)
    assert opened is not None and opened.user == "U111" and opened.view["callback_id"] == "send_to_request"
    block = next(b for b in opened.view["blocks"] if b.get("block_id") == BlockId.LINK)
    [option] = block["element"]["options"]
    assert block["element"]["initial_option"] == option  # the only request is chosen already
    assert request_id in option["text"]["text"] and len(option["text"]["text"]) <= 75
    assert submit(bot, opened) == {}

    told(slack, "U111", f"Sent to Cloudforce One request `{request_id}`")
    assert created_contents(cf, request_id)[-1] == \
        "Bob Builder (via Slack): Blocked the IOC list (https://example.com/ioc) & 3 hosts"
    note = thread_texts(slack, thread_ts)[-1]
    assert note.startswith(":outbox_tray: Alice sent <https://fake.slack.com/archives/C111/p")
    assert "|a message by Bob Builder> to this request:" in note
    assert ">Blocked the IOC list (https://example.com/ioc) &amp; 3 hosts" in note
    assert "<@" not in note  # names, not mentions: nobody is pinged by the note


def test_a_repeated_submission_sends_once(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread_ts = link_request(bot, slack, cf)
    ts = slack.post_user_message(CHANNEL, "Forward me once", user="U111")
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts)
    assert opened is not None
    assert submit(bot, opened) == {}
    assert submit(bot, opened, retry_num=1) in ({}, {"response_action": "errors", "errors": {
        BlockId.LINK: f"This message is already on request {request_id}."}})
    told(slack, "U111", "Sent to")
    bot.drain()
    bot.run(bot.service.shortcuts.background.wait_idle())
    assert created_contents(cf, request_id).count("Alice (via Slack): Forward me once") == 1
    assert sum("Forward me once" in t for t in thread_texts(slack, thread_ts)) == 1
    # Once it is on the request, using the shortcut again is refused on the modal.
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts)
    assert opened is not None
    assert submit(bot, opened)["errors"][BlockId.LINK] == f"This message is already on request {request_id}."


def test_a_message_in_a_linked_thread_goes_to_that_thread_s_request(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    first, _ = link_request(bot, slack, cf)
    second, thread_ts = link_request(bot, slack, cf)
    # A reply the bridge did not carry (it arrived while nobody listened, say): sent by hand.
    ts = slack.post_user_message(CHANNEL, "Missed reply", user="U111", thread_ts=thread_ts)
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts)
    assert opened is not None
    block = next(b for b in opened.view["blocks"] if b.get("block_id") == BlockId.LINK)
    assert [second in o["text"]["text"] for o in block["element"]["options"]] == [True]
    submit(bot, opened)
    told(slack, "U111", f"request `{second}`")
    assert created_contents(cf, second)[-1] == "Alice (via Slack): Missed reply"
    assert "Missed reply" not in " ".join(created_contents(cf, first))


def test_with_several_requests_the_person_chooses(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    first, _ = link_request(bot, slack, cf)
    second, _ = link_request(bot, slack, cf)
    ts = slack.post_user_message(CHANNEL, "For the second one", user="U111")
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts)
    assert opened is not None
    block = next(b for b in opened.view["blocks"] if b.get("block_id") == BlockId.LINK)
    assert len(block["element"]["options"]) == 2 and "initial_option" not in block["element"]
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=second))
    assert link is not None
    submit(bot, opened, link_id=link.id)
    told(slack, "U111", f"request `{second}`")
    assert created_contents(cf, second)[-1] == "Alice (via Slack): For the second one"
    assert "For the second one" not in " ".join(created_contents(cf, first))


def test_bot_posts_and_channels_without_requests_are_refused(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    ts = slack.post_user_message(CHANNEL, "Nothing linked yet", user="U111")
    assert use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts) is None
    assert "No request is linked in this channel" in shortcut_refusal(slack)

    _, thread_ts = link_request(bot, slack, cf)
    assert use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=thread_ts) is None
    assert "Messages from apps and bots" in shortcut_refusal(slack)


def test_an_outage_queues_the_message_and_it_is_sent_once_it_is_over(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, _ = link_request(bot, slack, cf)
    bot.service.shortcuts.forwarder.wait_seconds = 0.5  # the test does not wait out the default
    cf.fail_next("create_message", "503", count=1000)
    ts = slack.post_user_message(CHANNEL, "Sent during an outage", user="U111")
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts)
    assert opened is not None
    assert submit(bot, opened) == {}
    told(slack, "U111", "has not confirmed the message yet: it is queued")
    cf.clear_faults()
    wait_for(lambda: bot.drain() is not None and "Alice (via Slack): Sent during an outage"
             in created_contents(cf, request_id), timeout=20, what="the create after the outage")
    assert created_contents(cf, request_id).count("Alice (via Slack): Sent during an outage") == 1


def test_a_refusal_by_the_provider_is_told_to_the_sender(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, _ = link_request(bot, slack, cf)
    ts = slack.post_user_message(CHANNEL, "Too late", user="U222")
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts)
    assert opened is not None
    cf.remove_request(request_id)
    submit(bot, opened)
    told(slack, "U111", "Cloudforce One refused the message")


def test_people_not_allowed_to_link_cannot_send(only_alice: RunningBot, slack: FakeSlack,
                                                cf: FakeCloudforceOne) -> None:
    request_id, _ = link_request(only_alice, slack, cf)
    ts = slack.post_user_message(CHANNEL, "From someone else", user="U222")
    opened = use_shortcut(only_alice, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts, user="U222")
    assert opened is not None
    assert "RELAY_FROM=allowed" in submit(only_alice, opened)["errors"][BlockId.LINK]
    only_alice.drain()
    assert "From someone else" not in " ".join(created_contents(cf, request_id))


def test_a_forwarded_reply_is_not_created_twice_by_its_live_event(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id, thread_ts = link_request(bot, slack, cf)
    ts = slack.post_user_message(CHANNEL, "Both ways", user="U111", thread_ts=thread_ts)
    opened = use_shortcut(bot, slack, CallbackId.SEND_TO_REQUEST, channel=CHANNEL, ts=ts)
    assert opened is not None
    submit(bot, opened)
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread_ts, ts=ts, text="Both ways"), event_id="Ev-both")
    told(slack, "U111", "Sent to")
    bot.drain()
    assert created_contents(cf, request_id).count("Alice (via Slack): Both ways") == 1
