"""Only requests that Slack signed, recently, are acted on; a signed request replayed is applied once.

Slack's v0 scheme: `X-Slack-Signature: v0=HMAC-SHA256(signing secret, "v0:{timestamp}:{body}")` and
`X-Slack-Request-Timestamp` within five minutes of now. Every refused request must be answered 401 and
leave no trace: no inbox row, no link, no provider call, no Slack call, no response_url post.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import logging
import sqlite3
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.harness import SIGNING_SECRET, RunningBot, sign, wait_for
from tests.helpers import CHANNEL, link_request

FIVE_MINUTES = 5 * 60


def event_body(event: dict[str, Any], *, event_id: str) -> bytes:
    """An Events API callback, byte for byte as the harness sends it."""
    return json.dumps({
        "token": "verification-token", "team_id": "T111", "api_app_id": "A111", "event": event,
        "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
        "authorizations": [{"team_id": "T111", "user_id": "UBOT", "is_bot": True}],
    }).encode()


def command_body(text: str, *, response_url: str) -> bytes:
    return urllib.parse.urlencode({
        "token": "verification-token", "team_id": "T111", "team_domain": "test", "channel_id": CHANNEL,
        "channel_name": "general", "user_id": "U111", "user_name": "someone", "command": "/request",
        "text": text, "api_app_id": "A111", "response_url": response_url, "trigger_id": "111.222.xxx",
    }).encode()


JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Trace:
    """Everything an accepted request could leave behind."""

    inbox_rows: int
    links: int
    messages: int
    provider_calls: int
    slack_calls: int
    responses: int
    ephemerals: int


def rows(db_path: Path, table: str) -> int:
    with sqlite3.connect(db_path) as db:
        return int(db.execute(f"select count(*) from {table}").fetchone()[0])


def trace(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Trace:
    bot.drain()
    bot.run(asyncio.sleep(0.2))  # lazy listeners of a slash command run after the ack
    bot.drain()
    return Trace(rows(db_path, "slack_events"), rows(db_path, "links"), rows(db_path, "messages"), len(cf.calls),
                 len(slack.calls), len(slack.responses), len(slack.ephemerals))


def digest(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    return hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


# Each forgery: (body actually sent, signed body) -> headers. `now` is the current Unix time.
Forgery = Callable[[bytes, int], tuple[bytes, dict[str, str]]]

FORGERIES: dict[str, Forgery] = {
    "no signature headers": lambda body, now: (body, {}),
    "timestamp but no signature": lambda body, now: (body, {"X-Slack-Request-Timestamp": str(now)}),
    "signature but no timestamp": lambda body, now: (
        body, {"X-Slack-Signature": "v0=" + digest(body, str(now))}),
    "empty signature": lambda body, now: (body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": ""}),
    "wrong secret": lambda body, now: (body, sign(body, secret="not-the-signing-secret", timestamp=now)),
    "valid signature over a different body": lambda body, now: (
        body, sign(body.replace(b"U111", b"U222") + b" ", timestamp=now)),
    "body extended after signing": lambda body, now: (body + b" ", sign(body, timestamp=now)),
    "signature for another timestamp": lambda body, now: (
        body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=" + digest(body, str(now - 1))}),
    "v1 scheme": lambda body, now: (
        body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v1=" + digest(body, str(now))}),
    "bare hex digest": lambda body, now: (
        body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": digest(body, str(now))}),
    "upper-case digest": lambda body, now: (
        body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=" + digest(body, str(now)).upper()}),
    "truncated digest": lambda body, now: (
        body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=" + digest(body, str(now))[:32]}),
    "signed with an empty secret": lambda body, now: (body, sign(body, secret="", timestamp=now)),
    "timestamp 5 min 1 s old": lambda body, now: (body, sign(body, timestamp=now - FIVE_MINUTES - 1)),
    "timestamp an hour old": lambda body, now: (body, sign(body, timestamp=now - 3600)),
    "timestamp a year old": lambda body, now: (body, sign(body, timestamp=now - 365 * 86400)),
    "timestamp 5 min 1 s ahead": lambda body, now: (body, sign(body, timestamp=now + FIVE_MINUTES + 1)),
    "timestamp a day ahead": lambda body, now: (body, sign(body, timestamp=now + 86400)),
    "timestamp zero": lambda body, now: (body, sign(body, timestamp=0)),
    "negative timestamp": lambda body, now: (body, sign(body, timestamp=-now)),
}

# Timestamps that are not integers at all; each is signed correctly over its own text.
MALFORMED_TIMESTAMPS = ["", "abc", "1e3", "12.5", " ", "0x10", "∞", "nan", "9" * 5000]


def forged_reply(thread: str) -> dict[str, Any]:
    return events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="forged reply")


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_or_stale_event_is_refused_and_leaves_no_trace(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path, forgery: str) -> None:
    request_id, thread = link_request(bot, slack, cf)
    before = trace(bot, slack, cf, db_path)
    body, headers = FORGERIES[forgery](event_body(forged_reply(thread), event_id="EvForged"), int(time.time()))
    response = bot.http.post("/slack/events", content=body, headers={**JSON, **headers})
    assert response.status_code == 401, (forgery, response.status_code, response.text)
    assert trace(bot, slack, cf, db_path) == before
    assert cf.messages(request_id) == []


@pytest.mark.parametrize("forgery", ["no signature headers", "wrong secret", "valid signature over a different body",
                                     "timestamp 5 min 1 s old", "timestamp 5 min 1 s ahead"])
def test_a_forged_or_stale_slash_command_links_nothing(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path, forgery: str) -> None:
    request_id = cf.add_request(summary="not to be linked by a forger")
    before = trace(bot, slack, cf, db_path)
    body = command_body(f"link {request_id}", response_url=slack.response_url("forged"))
    sent, headers = FORGERIES[forgery](body, int(time.time()))
    response = bot.http.post("/slack/events", content=sent, headers={**FORM, **headers})
    assert response.status_code == 401, (forgery, response.status_code, response.text)
    assert "Linking" not in response.text
    assert trace(bot, slack, cf, db_path) == before
    assert slack.calls_to("chat.postMessage") == []


def test_malformed_timestamp_headers_are_refused_with_401_and_leave_no_trace(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> None:
    """Anyone can send these (no secret is needed), so they must be a plain 401, not a server error."""
    _, thread = link_request(bot, slack, cf)
    before = trace(bot, slack, cf, db_path)
    answers = {}
    for n, timestamp in enumerate(MALFORMED_TIMESTAMPS):
        if timestamp != timestamp.strip():
            continue  # HTTP clients (h11) refuse to send header values with outer whitespace
        body = event_body(forged_reply(thread), event_id=f"EvMalformed{n}")
        headers = {"X-Slack-Request-Timestamp": timestamp.encode("utf-8"),  # bytes: "∞" is not ASCII
                   "X-Slack-Signature": "v0=" + digest(body, timestamp)}
        answers[timestamp[:12]] = bot.http.post("/slack/events", content=body, headers={**JSON, **headers}).status_code
    assert trace(bot, slack, cf, db_path) == before
    assert {ts: status for ts, status in answers.items() if status != 401} == {}


def test_a_body_that_is_not_utf8_is_refused_not_a_server_error(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> None:
    before = trace(bot, slack, cf, db_path)
    body = b'\xff\xfe{"type": "event_callback"}'
    response = bot.http.post("/slack/events", content=body, headers={**JSON, **sign(body)})
    assert trace(bot, slack, cf, db_path) == before
    assert response.status_code in (400, 401), (response.status_code, response.text)


NESTED = b'{"type": "event_callback", "event": ' * 3000 + b"{}" + b"}" * 3000
# Signed bodies Slack never sends: each is a 400, never a 500 or a traceback. (body, Content-Type)
MALFORMED_BODIES: dict[str, tuple[bytes, str]] = {
    "not JSON": (b'{"type": "event_callback", ', "application/json"),
    "JSON null": (b"null", "application/json"),
    "JSON array": (b'[{"type": "event_callback"}]', "application/json"),
    "JSON string": (b'"event_callback"', "application/json"),
    "JSON number": (b"999999999999999999999999", "application/json"),
    "nested past the recursion limit": (NESTED, "application/json"),
    "nested 100 deep": (b'{"a": ' * 100 + b"1" + b"}" * 100, "application/json"),
    "raw NUL byte": (b'{"type": "event_callback", "token": "\x00"}', "application/json"),
    "latin-1 body, latin-1 charset": ('{"type": "caf\u00e9"}'.encode("latin-1"),
                                      "application/json; charset=latin-1"),
    "UTF-16 body, UTF-16 charset": ('{"type": "event_callback"}'.encode("utf-16"), "application/json; charset=utf-16"),
    "form payload null": (b"payload=null", "application/x-www-form-urlencoded"),
    "form payload array": (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
    "form payload not JSON": (b"payload=%7Bnope", "application/x-www-form-urlencoded"),
    "form not UTF-8": (b"command=%2Frequest&text=\xff\xfe", "application/x-www-form-urlencoded"),
}
# Signed bodies with an odd label that Bolt reads fine: answered without a server error.
ODD_BUT_READABLE: dict[str, tuple[bytes, str]] = {
    "unknown charset": (b'{"type": "nothing_we_handle"}', "application/json; charset=x-no-such-charset"),
    "no Content-Type, JSON object": (b'{"type": "nothing_we_handle"}', ""),
    "empty body": (b"", "application/json"),
    # NUL characters are dropped (PostgreSQL cannot store them) and the rest is read as usual.
    "escaped NUL character": (b'{"type": "event_callback", "event": {"text": "a\\u0000b"}}', "application/json"),
    "form with a NUL": (b"command=%2Frequest&text=link%00&user_id=U111", "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("case", list(MALFORMED_BODIES) + list(ODD_BUT_READABLE))
def test_a_malformed_body_is_401_unsigned_and_400_signed_never_500(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path, case: str,
        caplog: pytest.LogCaptureFixture) -> None:
    body, content_type = MALFORMED_BODIES.get(case) or ODD_BUT_READABLE[case]
    headers = {"Content-Type": content_type} if content_type else {}
    before = trace(bot, slack, cf, db_path)
    now = int(time.time())
    for forgery in ("no signature headers", "wrong secret", "body extended after signing", "timestamp an hour old"):
        sent, forged = FORGERIES[forgery](body, now)
        answer = bot.http.post("/slack/events", content=sent, headers={**headers, **forged})
        assert answer.status_code == 401, (case, forgery, answer.status_code, answer.text)
    answer = bot.http.post("/slack/events", content=body, headers={**headers, **sign(body)})
    if case in MALFORMED_BODIES:
        assert answer.status_code == 400, (case, answer.status_code, answer.text)
    assert answer.status_code < 500, (case, answer.status_code, answer.text)
    after = trace(bot, slack, cf, db_path)
    if case in ODD_BUT_READABLE:  # Bolt may ask Slack who it is (auth.test) before finding no listener
        after = dataclasses.replace(after, slack_calls=before.slack_calls)
    assert after == before
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_a_signed_request_just_inside_the_window_is_accepted(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    """The refusals above are not vacuous: the same request, signed four minutes ago, is applied."""
    request_id, thread = link_request(bot, slack, cf)
    body = event_body(events.reply(channel=CHANNEL, thread_ts=thread, ts="1800000000.000100", text="on time"),
                      event_id="EvOnTime")
    response = bot.http.post("/slack/events", content=body,
                             headers={**JSON, **sign(body, timestamp=int(time.time()) - 4 * 60)})
    assert response.status_code == 200
    wait_for(lambda: cf.messages(request_id), what="the create")
    assert [m["content"] for m in cf.messages(request_id)] == ["Alice (via Slack): on time"]


def test_a_signed_event_replayed_within_the_window_is_applied_once(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> None:
    request_id, thread = link_request(bot, slack, cf)
    ts = "1800000000.000100"
    body = event_body(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, text="say it once"), event_id="EvOnce")
    headers = {**JSON, **sign(body)}
    for attempt in range(3):
        assert bot.http.post("/slack/events", content=body, headers=headers).status_code == 200, attempt
    retry = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert bot.http.post("/slack/events", content=body, headers=retry).status_code == 200
    # The same message under a fresh event id and a fresh signature (a second delivery) is still one reply.
    assert bot.post_event(events.reply(channel=CHANNEL, thread_ts=thread, ts=ts, text="say it once"),
                          event_id="EvOnceAgain").status_code == 200
    wait_for(lambda: cf.messages(request_id), what="the create")
    bot.drain()
    assert [m["content"] for m in cf.messages(request_id)] == ["Alice (via Slack): say it once"]
    assert len([c for c in cf.calls if c["method"] == "POST" and c["path"].endswith("/message/new")]) == 1
    assert rows(db_path, "slack_events") == 1

    edit = event_body(events.edit(channel=CHANNEL, thread_ts=thread, ts=ts, old="say it once", new="said once"),
                      event_id="EvEdit")
    edit_headers = {**JSON, **sign(edit)}
    for _ in range(3):
        assert bot.http.post("/slack/events", content=edit, headers=edit_headers).status_code == 200
    wait_for(lambda: bot.drain() is not None and bot.pending_events() == 0, what="the edit")
    assert [m["content"] for m in cf.messages(request_id)] == ["Alice (via Slack): said once"]
    assert len([c for c in cf.calls if c["method"] == "PUT"]) == 1


def test_a_signed_link_command_replayed_within_the_window_links_once(
        bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> None:
    request_id = cf.add_request(summary="linked once")
    body = command_body(f"link {request_id}", response_url=slack.response_url("link"))
    headers = {**FORM, **sign(body)}
    assert bot.http.post("/slack/events", content=body, headers=headers).status_code == 200
    wait_for(lambda: slack.responses, what="the first answer")
    assert bot.http.post("/slack/events", content=body, headers=headers).status_code == 200
    wait_for(lambda: len(slack.responses) == 2, what="the replay's answer")
    assert "already linked" in slack.responses[-1][1]["text"]
    roots = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c]
    assert len(roots) == 1
    assert rows(db_path, "links") == 1
