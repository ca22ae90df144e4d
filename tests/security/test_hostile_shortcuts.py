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

from bot.slack.shortcut_modals import BlockId, CallbackId
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from sandbox.slack_views import OpenedView
from tests.harness import RunningBot
from tests.helpers import CHANNEL, created_contents, link_request
from tests.interactions import send, view_submission

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
# "1" is the id of the one link (in CHANNEL): a forged submission from another channel may name it.
VALUE = st.one_of(st.none(), st.just("1"), TEXT, st.integers(-5, 10**12).map(str))


def _forged(callback_id: CallbackId, metadata: str) -> OpenedView:
    view = {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": metadata, "blocks": [],
            "title": {"type": "plain_text", "text": "x"}}
    return OpenedView(user="U111", trigger_id="1.2.x", view=view)


def test_forged_submissions_are_answered_and_contained(bot: RunningBot, slack: FakeSlack,
                                                       cf: FakeCloudforceOne) -> None:
    request_id, _ = link_request(bot, slack, cf)
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    assert link is not None and link.id == 1

    @PROPERTY
    @example(callback=CallbackId.SEND_TO_REQUEST, value="1", metadata=json.dumps(
        {"channel": "C999", "ts": "1700000000.000100", "author": "U222", "text": "[C999] forged"}))
    @example(callback=CallbackId.LINK_THREAD, value="../../user/tokens", metadata=json.dumps(
        {"channel": CHANNEL, "thread_ts": "1700000000.000100"}))
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
