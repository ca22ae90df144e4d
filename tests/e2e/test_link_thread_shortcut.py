"""The "Link thread to request" message shortcut, end to end: signed payloads in, the fakes' state out."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.shortcut_modals import BlockId, CallbackId
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from sandbox.slack_views import OpenedView
from tests import events
from tests.conftest import restart
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, created_contents, link_request, thread_texts
from tests.interactions import checkboxes, send, text_value, use_shortcut, view_submission


def submit(bot: RunningBot, opened: OpenedView, request_id: str, *, notify: bool = False) -> dict[str, Any]:
    """Submit the modal; the ack's body (empty when the modal may close)."""
    values: dict[str, Any] = {BlockId.REQUEST_ID: {"request_id": text_value(request_id)}}
    values[BlockId.NOTIFY] = {"notify": checkboxes(opened, BlockId.NOTIFY, *(["on"] if notify else []))}
    response = send(bot, view_submission(opened, values=values))
    assert response.status_code == 200, response.text
    return response.json() if response.content else {}


def ephemeral_to(slack: FakeSlack, user: str, fragment: str) -> dict[str, Any]:
    return wait_for(lambda: next((e for e in slack.ephemerals if e["user"] == user and fragment in e["text"]), None),
                    what=f"an ephemeral message with {fragment!r}")


def a_thread(slack: FakeSlack) -> tuple[str, str]:
    """A conversation people started in the channel before anyone linked it: (root ts, reply ts)."""
    root = slack.post_user_message(CHANNEL, "Seeing odd traffic from AS64500", user="U222")
    reply = slack.post_user_message(CHANNEL, "Same here, since 09:00", user="U111", thread_ts=root)
    return root, reply


def test_links_the_existing_thread_and_backfills_it(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request(summary="AS64500 traffic")
    cf.add_message(request_id, author="ana@cloudflare.com", content="Which prefixes?")
    root, reply = a_thread(slack)

    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=reply)
    assert opened is not None and opened.user == "U111" and opened.view["callback_id"] == "link_thread"
    assert BlockId.PROVIDER not in {b.get("block_id") for b in opened.view["blocks"]}  # one provider configured
    assert submit(bot, opened, request_id) == {}
    ephemeral_to(slack, "U111", "1 earlier message(s) copied")

    assert [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c] == []  # no new root
    link = bot.run(bot.service.store.links.for_thread(CHANNEL, root))
    assert link is not None and link.request_id == request_id and link.created_by == "U111"
    assert not link.notify_linker and link.linked_ts is not None
    texts = thread_texts(slack, root)
    assert texts[0] == "Same here, since 09:00" and request_id in texts[1]
    assert texts[2] == "*ana@cloudflare.com* (Cloudforce One):\nWhich prefixes?"

    # A new reply goes to the request; what the thread held before the link does not, even after a restart.
    new = slack.post_user_message(CHANNEL, "Prefixes 192.0.2.0/24", user="U111", thread_ts=root)
    delivery = events.reply(channel=CHANNEL, thread_ts=root, ts=new, text="Prefixes 192.0.2.0/24")
    bot.post_event(delivery, event_id="Ev-new")
    bot.drain()
    assert bot.post_event(delivery, event_id="Ev-new", retry_num=1).status_code == 200  # Slack's retry
    bot.drain()
    bot.post_event(events.edit(channel=CHANNEL, thread_ts=root, ts=reply, old="Same here, since 09:00",
                               new="Same here, since 08:00"), event_id="Ev-old-edit")
    bot.drain()
    assert created_contents(cf, request_id)[-1] == "Alice (via Slack): Prefixes 192.0.2.0/24"
    assert len(created_contents(cf, request_id)) == 2  # the request's content plus the one new reply
    bot = restart(bot)
    try:
        bot.run(bot.service.catch_up.run())
        bot.drain()
        assert len(created_contents(cf, request_id)) == 2
    finally:
        bot.stop()


def test_mention_me_is_kept_on_the_link(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    cf.add_message(request_id, author="ana@cloudflare.com", content="History")
    root, _ = a_thread(slack)
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root)
    assert opened is not None
    submit(bot, opened, request_id, notify=True)
    ephemeral_to(slack, "U111", "Linked request")
    link = bot.run(bot.service.store.links.for_thread(CHANNEL, root))
    assert link is not None and link.notify_linker
    announcement = slack.message(CHANNEL, str(link.linked_ts))
    assert announcement is not None and announcement["thread_ts"] == root
    assert announcement["blocks"][1]["elements"][0]["text"]["text"] == "🔕 Stop mentioning the linker"
    assert thread_texts(slack, root)[-1] == "*ana@cloudflare.com* (Cloudforce One):\nHistory"  # no mention
    cf.add_message(request_id, author="ana@cloudflare.com", content="An answer")
    bot.poll()
    assert thread_texts(slack, root)[-1] == "<@U111> *ana@cloudflare.com* (Cloudforce One):\nAn answer"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "../../user/tokens/verify"])
def test_a_malformed_id_is_a_modal_error(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne,
                                         bad_id: str) -> None:
    root, _ = a_thread(slack)
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root)
    assert opened is not None
    body = submit(bot, opened, bad_id)
    assert body["response_action"] == "errors"
    assert "is not a Cloudforce One request id" in body["errors"][BlockId.REQUEST_ID]
    assert cf.calls == [] and slack.calls_to("chat.postMessage") == []


def test_a_linked_thread_is_not_linked_again(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    first, thread_ts = link_request(bot, slack, cf)
    second = cf.add_request()
    cf.clear_calls()
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=thread_ts)
    assert opened is not None
    body = submit(bot, opened, second)
    assert body["response_action"] == "errors"
    assert f"already linked to request {first}" in body["errors"][BlockId.REQUEST_ID]
    assert "`" not in body["errors"][BlockId.REQUEST_ID]  # modal errors are plain text
    assert cf.calls == []
    # The other way round: a request linked in another thread is not linked to this one as well.
    root, _ = a_thread(slack)
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root)
    assert opened is not None
    assert "already linked in this channel" in submit(bot, opened, first)["errors"][BlockId.REQUEST_ID]


def test_people_not_allowed_to_link_get_a_modal_error(only_alice: RunningBot, slack: FakeSlack,
                                                      cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    root, _ = a_thread(slack)
    opened = use_shortcut(only_alice, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root, user="U222")
    assert opened is not None
    body = submit(only_alice, opened, request_id)
    assert "not allowed to link requests" in body["errors"][BlockId.REQUEST_ID]
    assert cf.calls == [] and only_alice.run(only_alice.service.store.links.in_channel(CHANNEL)) == []


def test_an_unknown_request_or_a_provider_outage_is_told_in_the_thread(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    root, _ = a_thread(slack)
    missing = "f174e90a-fafe-4643-bbbc-4a0ed4fc8415"
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root)
    assert opened is not None
    assert submit(bot, opened, missing) == {}
    told = ephemeral_to(slack, "U111", "does not exist")
    assert told["thread_ts"] == root and missing in told["text"]

    request_id = cf.add_request()
    cf.fail_next("get_request", "503", count=10)
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root)
    assert opened is not None
    submit(bot, opened, request_id)
    ephemeral_to(slack, "U111", "could not be reached")
    assert bot.run(bot.service.store.links.for_thread(CHANNEL, root)) is None
    assert slack.calls_to("chat.postMessage") == []


def test_an_expired_trigger_is_told_to_the_person(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    root, _ = a_thread(slack)
    assert use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root, trigger_age=3.5) is None
    wait_for(lambda: slack.responses, what="the shortcut's answer")
    name, body = slack.responses[-1]
    assert name == CallbackId.LINK_THREAD and body["response_type"] == "ephemeral"
    assert "expired_trigger_id" in body["text"] and "Try the shortcut again" in body["text"]


def test_a_thread_unlinked_before_can_be_linked_again(bot: RunningBot, slack: FakeSlack,
                                                      cf: FakeCloudforceOne) -> None:
    first, thread_ts = link_request(bot, slack, cf)
    bot.command(f"unlink {first}", response_url=slack.response_url("unlink"))
    wait_for(lambda: any("Unlinked request" in str(b) for _, b in slack.responses), what="the unlink")
    second = cf.add_request()
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=thread_ts)
    assert opened is not None
    assert submit(bot, opened, second) == {}
    ephemeral_to(slack, "U111", f"Linked request `{second}`")
    link = bot.run(bot.service.store.links.for_thread(CHANNEL, thread_ts))
    assert link is not None and link.request_id == second


def test_in_a_channel_without_the_bot_the_person_hears_back_through_the_response_url(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    root, _ = a_thread(slack)
    slack.leave_channel(CHANNEL)
    opened = use_shortcut(bot, slack, CallbackId.LINK_THREAD, channel=CHANNEL, ts=root)
    assert opened is not None
    assert submit(bot, opened, request_id) == {}
    wait_for(lambda: slack.responses, what="the outcome through the shortcut's response_url")
    name, body = slack.responses[-1]
    assert name == CallbackId.LINK_THREAD and body["response_type"] == "ephemeral"
    assert "not_in_channel" in body["text"] and "/invite @request-bridge" in body["text"]
    assert bot.run(bot.service.store.links.for_thread(CHANNEL, root)) is None
