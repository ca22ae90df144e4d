"""Hostile bodies and hostile speakers, as properties, on the paths added for the outside review.

Whatever bytes arrive at /slack/events, under whatever Content-Type: unsigned (or badly signed) is 401, and
signed is answered without a server error (400 when Slack would never send it), and nothing is logged at
ERROR. Whoever writes in a linked thread under RELAY_FROM=allowed: only the allowed reach the provider, and
each refused person is told once.
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.inbound import Malformed, parse_body
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.harness import RunningBot, sign
from tests.helpers import CHANNEL, created_contents, link_request

PROPERTY = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                           max_leaves=20)
CONTENT_TYPES = st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", "",
                                 "application/json; charset=latin-1", "application/json; charset=x-nope",
                                 "APPLICATION/JSON", "multipart/form-data; boundary=x"])
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(TEXT, TEXT, max_size=4).map(lambda d: urlencode(d).encode()),
    JSON_VALUES.map(lambda v: urlencode({"payload": json.dumps(v)}).encode()),
    st.builds(lambda depth: b'{"a": ' * depth + b"1" + b"}" * depth, st.integers(0, 3000)),
    st.builds(lambda t: json.dumps({"type": "event_callback", "event": {"type": "message", "text": t}}).encode(),
              TEXT),
)


def test_parse_body_gives_an_object_or_says_malformed() -> None:
    @PROPERTY
    @given(body=BODIES, content_type=CONTENT_TYPES)
    def prop(body: bytes, content_type: str) -> None:
        try:
            parsed, text = parse_body(body, content_type)
        except Malformed:
            return
        assert isinstance(parsed, dict) and "\x00" not in text
        assert parse_body(text.encode(), content_type)[0] == parsed  # what Bolt is handed reads the same

    prop()


def test_any_body_is_401_unsigned_and_never_a_server_error_signed(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, caplog: pytest.LogCaptureFixture) -> None:
    @PROPERTY
    @given(body=BODIES, content_type=CONTENT_TYPES, tamper=st.booleans())
    def prop(body: bytes, content_type: str, tamper: bool) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        signed = sign(body)
        if tamper:
            signed["X-Slack-Signature"] = signed["X-Slack-Signature"][:-1] + "0"
        unsigned = bot.http.post("/slack/events", content=body, headers=headers)
        assert unsigned.status_code == 401
        answer = bot.http.post("/slack/events", content=body, headers={**headers, **signed})
        if tamper and not sign(body)["X-Slack-Signature"].endswith("0"):
            assert answer.status_code == 401
        assert answer.status_code in (200, 400, 401, 404), (answer.status_code, answer.text, body[:80])

    prop()
    bot.drain()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert cf.calls == []


def test_under_relay_from_allowed_only_the_allowed_reach_the_provider(
        only_alice: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    bot = only_alice
    request_id, thread = link_request(bot, slack, cf)
    ts = (f"1800000000.{n:06d}" for n in itertools.count(100))
    ids = (f"EvR{n}" for n in itertools.count())
    writers = st.sampled_from(["U111", "U222", "U333", "USLACKBOT", "U111 ", "u111"])

    @PROPERTY
    @given(steps=st.lists(st.tuples(writers, st.sampled_from(["reply", "edit"]), TEXT), min_size=1, max_size=4))
    def prop(steps: list[tuple[str, str, str]]) -> None:
        written: dict[str, str] = {}
        for user, kind, text in steps:
            if kind == "edit" and user in written:
                event: dict[str, Any] = events.edit(channel=CHANNEL, thread_ts=thread, ts=written[user], user=user,
                                                    old="", new=text or "x", edited_ts=next(ts))
            else:
                written[user] = next(ts)
                event = events.reply(channel=CHANNEL, thread_ts=thread, ts=written[user], user=user, text=text or "x")
            assert bot.post_event(event, event_id=next(ids)).status_code == 200
        bot.drain()

    prop()
    assert all(content.startswith("Alice (via Slack): ") for content in created_contents(cf, request_id))
    refused = [e["user"] for e in slack.ephemerals if "RELAY_FROM" in e["text"]]
    assert len(refused) == len(set(refused)) and "U111" not in refused, refused
