"""Who may link what, and where: allowlists, admins, one request one thread, bounded input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.errors import Unavailable
from bot.http import RetryPolicy, build_client, send
from bot.settings import load_settings
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests import events
from tests.harness import RunningBot, bot_settings, wait_for
from tests.helpers import CHANNEL, created_contents, link_request


@pytest.fixture
def guarded(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Iterator[RunningBot]:
    slack.add_usergroup("S0SEC", ["U222"])
    bot = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                  cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path,
                                  allowed_channel_ids="C111,C222", allowed_user_ids="U111",
                                  allowed_usergroup_ids="S0SEC", admin_user_ids="U999"))
    yield bot
    bot.stop()


def answer(bot: RunningBot, slack: FakeSlack, text: str, **where: str) -> str:
    before = len(slack.responses)
    ack = bot.command(text, response_url=slack.response_url("x"), **where)
    if ack.content and ack.json().get("text", "").startswith(":warning:"):
        return str(ack.json()["text"])
    wait_for(lambda: len(slack.responses) > before, what="the answer")
    return str(slack.responses[-1][1]["text"])


def test_only_allowed_channels_and_people_may_link(guarded: RunningBot, slack: FakeSlack,
                                                  cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    assert "not on the bridge's channel allowlist" in answer(guarded, slack, f"link {request_id}", channel="C333")
    assert "not allowed to link" in answer(guarded, slack, f"link {request_id}", user="U333")
    assert cf.calls == [] and slack.calls_to("chat.postMessage") == []
    assert "Linked request" in answer(guarded, slack, f"link {request_id}", user="U222")  # via the user group


def test_only_the_linker_or_an_admin_may_unlink(guarded: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    assert "Linked request" in answer(guarded, slack, f"link {request_id}", user="U111")
    assert "Only <@U111>" in answer(guarded, slack, f"unlink {request_id}", user="U222")
    assert "Unlinked" in answer(guarded, slack, f"unlink {request_id}", user="U999")


def test_a_request_linked_elsewhere_is_not_linked_again(guarded: RunningBot, slack: FakeSlack,
                                                       cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    assert "Linked request" in answer(guarded, slack, f"link {request_id}", channel="C111")
    cf.clear_calls()
    text = answer(guarded, slack, f"link {request_id}", channel="C222")
    assert "already linked in <#C111>" in text
    assert cf.calls == []


def test_a_reply_counts_only_in_the_linked_channel_and_thread(bot: RunningBot, slack: FakeSlack,
                                                             cf: FakeCloudforceOne) -> None:
    request_id, thread = link_request(bot, slack, cf)
    crafted = events.reply(channel="C999", thread_ts=thread, ts="1800000000.000100", text="from elsewhere")
    assert bot.post_event(crafted, event_id="Ev1").status_code == 200
    bot.drain()
    assert bot.pending_events() == 0 and created_contents(cf, request_id) == []


def test_an_oversized_slack_payload_is_refused_unread(bot: RunningBot) -> None:
    response = bot.http.post("/slack/events", content=b"x" * (2 * 1024 * 1024),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert bot.pending_events() == 0


def test_an_oversized_provider_answer_is_refused_unread() -> None:
    import asyncio

    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"[" + b"0," * 100_000 + b"0]")

    async def scenario() -> None:
        client = build_client(base_url="https://provider.example", headers={}, timeout=1,
                              transport=httpx.MockTransport(endless))
        with pytest.raises(Unavailable, match="larger than 1000 bytes"):
            await send(client, "GET", "/x", provider="P", idempotent=True,
                       policy=RetryPolicy(attempts=1, max_response_bytes=1000))
        await client.aclose()

    asyncio.run(scenario())


def test_one_busy_thread_does_not_hold_up_another(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne) -> None:
    busy, busy_thread = link_request(bot, slack, cf)
    quiet, quiet_thread = link_request(bot, slack, cf)
    # Twenty creates at half a second each keep the busy thread at work for 10 s: far longer than posting the
    # events takes on any machine, so the quiet reply always arrives while the flood is still going.
    cf.fail_next("create_message", "slow", count=1000, delay=0.5)
    for n in range(20):
        bot.post_event(events.reply(channel=CHANNEL, thread_ts=busy_thread, ts=f"18000001{n:02d}.000100",
                                    text=f"flood {n}"), event_id=f"EvF{n}")
    bot.post_event(events.reply(channel=CHANNEL, thread_ts=quiet_thread, ts="1800000300.000100", text="urgent"),
                   event_id="EvQ")
    wait_for(lambda: created_contents(cf, quiet), timeout=20, what="the quiet thread's reply")
    assert len(created_contents(cf, busy)) < 20  # it did not wait for the flood to finish
    wait_for(lambda: bot.drain() is not None and len(created_contents(cf, busy)) == 20, timeout=60,
             what="the flood")


def test_secrets_can_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "token"
    secret.write_text("xoxb-from-a-file\n")
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(secret))
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    settings = load_settings(for_serve=False, _env_file=None)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-a-file"
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(Exception, match="SLACK_BOT_TOKEN_FILE: cannot read"):
        load_settings(for_serve=False, _env_file=None)
