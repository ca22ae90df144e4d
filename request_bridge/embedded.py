"""The real bot running in this process on its own event loop, driven over signed HTTP as Slack drives it.

`request-bridge demo`, the tests and the benchmarks use it: the same Service, Bolt app and aiohttp server as
`serve`, on a loopback port, with Slack's v0 request signatures. Callers are synchronous; coroutines run on
the bot's loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiohttp import web

from bot.service import Service
from bot.settings import Settings, load_settings
from request_bridge.server import build_bolt_app, start_http
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack

T = TypeVar("T")
SIGNING_SECRET = "test-signing-secret"
CHANNEL = "C111"  # where RunningBot.command speaks unless told otherwise


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for a body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def wait_for(condition: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.02, what: str = "") -> T:
    """Poll a condition until it is truthy or the deadline passes (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


class LoopThread:
    """An event loop in a daemon thread; `run` executes a coroutine there and returns its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="bot-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def cancel_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


class RunningBot:
    """The bot, as `request-bridge serve` builds it, listening on a loopback port."""

    def __init__(self, settings: Settings, *, started: bool = False) -> None:
        """`started`: run everything `serve` runs (catch-up, the scheduler); else tests drive each step."""
        self.settings = settings
        self.secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        self.thread = LoopThread()
        self.service: Service = self.thread.run(Service.create(settings))
        self.bolt = build_bolt_app(self.service)
        self._runner: web.AppRunner = self.thread.run(start_http(self.service, self.bolt, host="127.0.0.1", port=0))
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self.http = httpx.Client(base_url=self.url, timeout=10)
        self._stopped = False
        if started:
            self.thread.run(self.service.start())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return self.thread.run(coro, timeout)

    def tick(self) -> list[int]:
        """One tick of the poller's clock, the polls it started run to completion: the links it polled."""
        started = self.run(self.service.poller.poll_due())
        self.run(self.service.poller.wait_idle())
        return started

    def poll(self, *, full: bool = False) -> dict[int, Any]:
        """One scheduler tick of the poller, run to completion."""
        return self.run(self.service.poller.poll_all(full=full))

    def drain(self) -> int:
        """Apply every due Slack event now and wait for background work to finish."""
        self.run(self.service.inbox.wait_idle())
        return self.run(self.service.inbox.drain())

    def pending_events(self) -> int:
        groups = self.run(self.service.store.events.pending())
        return sum(len(v) for v in groups.values())

    def post_event(self, event: dict[str, Any], *, event_id: str, retry_num: int | None = None,
                   secret: str | None = None, timestamp: int | None = None) -> httpx.Response:
        """Deliver an Events API callback as Slack does (signed JSON)."""
        body = json.dumps({
            "token": "verification-token", "team_id": "T111", "api_app_id": "A111", "event": event,
            "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
            "authorizations": [{"team_id": "T111", "user_id": "UBOT", "is_bot": True}],
        }).encode()
        headers = {"Content-Type": "application/json",
                   **sign(body, secret=self.secret if secret is None else secret, timestamp=timestamp)}
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.http.post("/slack/events", content=body, headers=headers)

    def command(self, text: str, *, response_url: str, channel: str = CHANNEL, user: str = "U111",
                trigger_id: str = "111.222.xxx") -> httpx.Response:
        """Deliver a `/request` slash command as Slack does (signed form body). A modal needs a `trigger_id`
        the Slack fake issued (FakeSlack.issue_trigger)."""
        body = urllib.parse.urlencode({
            "token": "verification-token", "team_id": "T111", "team_domain": "test", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": "someone", "command": "/request",
            "text": text, "api_app_id": "A111", "response_url": response_url, "trigger_id": trigger_id,
        }).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret=self.secret)}
        return self.http.post("/slack/events", content=body, headers=headers)

    def stop(self) -> None:
        """Shut down as `serve` does on SIGTERM; a second call does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self.http.close()
        self.run(self.service.inbox.wait_idle())
        self.run(self._runner.cleanup())
        self.run(self.service.close())
        self.thread.stop()


def bot_settings(*, slack_url: str, cf_url: str, db_path: Path | None = None, database_url: str | None = None,
                 **overrides: Any) -> Settings:
    """Settings pointing the bot at the fakes' default credentials (the tests' and the benchmarks')."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack_url + "/api/",
        "cloudflare_account_id": "023e105f4ecef8ad9ca31a8372d0c353",
        "cloudflare_api_token": "cf-test-token",
        "cloudflare_base_url": cf_url + "/client/v4",
        "database_url": database_url or f"sqlite:///{db_path}",
        "retry_interval_seconds": 0.05,
        "order_window_seconds": 0.0,  # tests drive the inbox directly
        "http_timeout_seconds": 2.0,
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


def link_request(bot: RunningBot, slack: FakeSlack, cf: FakeCloudforceOne, **request: Any) -> tuple[str, str]:
    """Create a request on the fake, link it with /request link, return (request_id, thread_ts)."""
    request_id = cf.add_request(**request)
    before = len(slack.responses)
    response = bot.command(f"link {request_id}", response_url=slack.response_url("link"))
    assert response.status_code == 200, response.text
    wait_for(lambda: len(slack.responses) > before, what="the link command's answer")
    assert "Linked request" in slack.responses[-1][1]["text"], slack.responses[-1]
    link = bot.run(bot.service.store.links.find(channel_id=CHANNEL, provider="cloudforce-one", request_id=request_id))
    assert link is not None and link.thread_ts is not None
    return request_id, link.thread_ts
