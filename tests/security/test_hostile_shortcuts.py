"""Hostile modal submissions, as a property: whatever a signed view_submission carries (forged
private_metadata, any request id, any chosen request), the bot answers 200 with either nothing (the modal
closes) or field errors, never links a thread to an id in the wrong format, never sends to a request of
another channel, and never calls the provider outside its request paths.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.bridge.notifications import NotifyAction
from bot.slack.shortcut_modals import BlockId, CallbackId
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from sandbox.slack_views import OpenedView
from tests.harness import RunningBot, wait_for
from tests.helpers import CHANNEL, created_contents, link_request
from tests.interactions import button_press, send, view_submission

PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
UUID_FORMAT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
METADATA = st.one_of(
    TEXT,
    st.builds(lambda c, t, r: json.dumps({"channel": c, "thread_ts": t, "response_url": r}),
              st.sampled_from([CHANNEL, "C999", "", "../C1"]), TEXT, st.sampled_from([None, "http://evil.example/x"])),
    # Each forwarded text names the channel its metadata claims, so the end state shows where it went.
    st.builds(lambda c, ts, a, t: json.dumps({"channel": c, "ts": ts, "author": a, "text": f"[{c}] {t}"}),
              st.sampled_from([CHANNEL, "C999"]), TEXT, st.sampled_from(["U111", "U222", "UNOBODY", ""]), TEXT),
)
# "1" is the id of the one link (in CHANNEL): a forged submission from another channel may name it. Ids past
# the 32-bit INTEGER column (PostgreSQL) and digits that are not ASCII ("²", "١") must be refused, not crash.
ODD_NUMBERS = ["999999999999", str(2**31), str(2**31 - 1), str(2**63), "9" * 40, "0", "00001", "-1", "²", "١",
               "１", "1_0", " 1", "1e3"]
VALUE = st.one_of(st.none(), st.just("1"), TEXT, st.integers(-5, 10**12).map(str), st.sampled_from(ODD_NUMBERS))


def _forged(callback_id: CallbackId, metadata: str) -> OpenedView:
    view = {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": metadata, "blocks": [],
            "title": {"type": "plain_text", "text": "x"}}
    return OpenedView(user="U111", trigger_id="1.2.x", view=view)


def test_forged_submissions_are_answered_and_contained(store_bot: RunningBot, slack: FakeSlack,
                                                       cf: FakeCloudforceOne) -> None:
    bot = store_bot
    request_id, _ = link_request(bot, slack, cf)
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    assert link is not None and link.id == 1

    @PROPERTY
    @example(callback=CallbackId.SEND_TO_REQUEST, value="1", metadata=json.dumps(
        {"channel": "C999", "ts": "1700000000.000100", "author": "U222", "text": "[C999] forged"}))
    @example(callback=CallbackId.LINK_THREAD, value="../../user/tokens", metadata=json.dumps(
        {"channel": CHANNEL, "thread_ts": "1700000000.000100"}))
    @example(callback=CallbackId.SEND_TO_REQUEST, value="999999999999", metadata=json.dumps(
        {"channel": CHANNEL, "ts": "1700000000.000100", "author": "U111", "text": "[C111] out of range"}))
    @given(callback=st.sampled_from(list(CallbackId)), metadata=METADATA, value=VALUE)
    def check(callback: CallbackId, metadata: str, value: str | None) -> None:
        values: dict[str, Any] = {}
        if value is not None:
            values = {BlockId.REQUEST_ID: {"request_id": {"type": "plain_text_input", "value": value}},
                      BlockId.LINK: {"link": {"type": "static_select", "selected_option": {
                          "text": {"type": "plain_text", "text": "x"}, "value": value}}}}
        response = send(bot, view_submission(_forged(callback, metadata), values=values))
        assert response.status_code == 200, response.text
        body = response.json() if response.content else {}
        assert body == {} or (body["response_action"] == "errors" and body["errors"])

    check()
    bot.run(bot.service.shortcuts.background.wait_idle())
    bot.drain()
    for link in bot.run(bot.service.store.links.active()):
        assert UUID_FORMAT.fullmatch(link.request_id)
    # A forged choice never reaches a request linked in another channel.
    assert not any("[C999]" in content for content in created_contents(cf, request_id))
    assert all(c["path"].startswith("/client/v4/accounts/") for c in cf.calls)


def test_a_forged_notify_button_value_is_refused_clearly(store_bot: RunningBot, slack: FakeSlack,
                                                         cf: FakeCloudforceOne) -> None:
    """The announcement's button carries a link id: any value, forged, gets an answer and changes nothing."""
    bot = store_bot
    _, thread = link_request(bot, slack, cf)
    announcement = next(m for m in slack.thread(CHANNEL, thread) if m.get("blocks"))

    @PROPERTY
    @given(value=st.one_of(TEXT, st.sampled_from(ODD_NUMBERS), st.integers(-5, 10**30).map(str)))
    def check(value: str) -> None:
        payload = button_press(message=announcement, channel=CHANNEL, action_id=NotifyAction.TOGGLE,
                               response_url=slack.response_url("press"))
        payload["actions"][0]["value"] = value
        before = len(slack.responses)
        assert send(bot, payload).status_code == 200
        wait_for(lambda: len(slack.responses) > before, what="the button's answer")
        answer = slack.responses[-1][1]["text"]
        assert value in ("1", "01", "001", "0001", "00001") or answer == "This request is no longer linked here."

    check()
