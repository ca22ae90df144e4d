"""The world around a bot process for the fault-injection suite: Slack's event deliveries (with its
retries), the bot process itself (started, SIGKILLed, restarted), and the final two-sided check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.harness import SIGNING_SECRET, sign

CLI = [sys.executable, "-m", "request_bridge"]

# Figures lines of the runs in this session, printed at the end of pytest's report.
REPORT_LINES: list[str] = []
# Slack re-sends an unacknowledged event at once, after ~1 min and after ~5 min; scaled down here.
SLACK_RETRY_DELAYS = (0.0, 0.3, 1.0, 2.5)
SETTING_PREFIXES = ("SLACK_", "CLOUDFLARE_", "DATABASE_URL", "PORT", "POLL_", "LOG_", "RETRY_", "MAX_", "RECONCILE_",
                    "ORDER_", "LEASE_", "REPLICA_")


class BotProcess:
    """`request-bridge serve` as a real process that can be killed at any instant."""

    def __init__(self, *, env: dict[str, str], cwd: Path, log: Path) -> None:
        self._env = env
        self._cwd = cwd
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen([*CLI, "serve"], cwd=self._cwd, env=self._env,
                                            stdout=log, stderr=log)
        self.starts += 1

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def bot_env(*, slack: FakeSlack, cf: FakeCloudforceOne, port: int, db: Path | None = None,
            database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.base_url,
        CLOUDFLARE_ACCOUNT_ID=cf.account_id, CLOUDFLARE_API_TOKEN="cf-test-token", CLOUDFLARE_BASE_URL=cf.base_url,
        DATABASE_URL=database_url or f"sqlite:///{db}", PORT=str(port), HOST="127.0.0.1", POLL_INTERVAL_SECONDS="0.3",
        RECONCILE_EVERY_POLLS="3", RETRY_INTERVAL_SECONDS="0.1", MAX_RETRY_INTERVAL_SECONDS="1",
        MAX_ATTEMPTS="100000", ORDER_WINDOW_SECONDS="0.5", HTTP_TIMEOUT_SECONDS="1",
        SLACK_REPLIES_PER_MINUTE="6000", LOG_LEVEL="WARNING",
        # The scripted exchange runs many times faster than a real team; the budget is tested in test_budget.py.
        CLOUDFLARE_REQUEST_BUDGET="6000/60",
        LOG_FORMAT="json")
    return env


@dataclass
class SlackDeliveries:
    """Delivers events to the bot as Slack does: signed, retried with X-Slack-Retry-Num, then dropped."""

    url: str
    delivered: int = 0
    dropped: int = 0
    attempts: int = 0
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=8))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def send(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._counter += 1
            event_id = f"Ev{self._counter:05d}"
        self._pool.submit(self._deliver, event, event_id)

    def _target(self) -> str:
        return self.url

    def _deliver(self, event: dict[str, Any], event_id: str) -> None:
        body = json.dumps({"token": "t", "team_id": "T111", "api_app_id": "A111", "event": event,
                           "type": "event_callback", "event_id": event_id, "event_time": int(time.time())}).encode()
        for retry, delay in enumerate(SLACK_RETRY_DELAYS):
            time.sleep(delay)
            headers = {"Content-Type": "application/json", **sign(body)}
            if retry:
                headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            with self._lock:
                self.attempts += 1
            try:
                # Slack waits 3 seconds for the ack.
                if httpx.post(f"{self._target()}/slack/events", content=body, headers=headers,
                              timeout=3).status_code == 200:
                    with self._lock:
                        self.delivered += 1
                    return
            except httpx.TransportError:
                pass
        with self._lock:
            self.dropped += 1

    def finish(self) -> None:
        self._pool.shutdown(wait=True)


@dataclass
class Scripted:
    """One message written on one side, as its author last left it."""

    side: str  # "slack" or "provider"
    request_id: str
    thread_ts: str
    key: str  # a token in a Slack reply's text, or the provider message id
    author: str  # Slack user id, or the provider author
    text: str
    slack_ts: str = ""
    deleted: bool = False
    order: int = 0


@dataclass
class Figures:
    sent: int = 0
    lost: int = 0
    doubled: int = 0
    stale_edits: int = 0
    out_of_order: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.doubled or self.stale_edits or self.out_of_order)


def _inversions(sequence: list[int]) -> int:
    return sum(1 for a, b in zip(sequence, sequence[1:], strict=False) if a > b)


def check(messages: list[Scripted], *, slack: FakeSlack, cf: FakeCloudforceOne, channel: str,
          provider_text: Any, reply_text: Any) -> Figures:
    """Compare both sides message by message."""
    figures = Figures(sent=len(messages))
    by_request: dict[str, list[dict[str, Any]]] = {}
    threads: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        if m.request_id not in by_request:
            by_request[m.request_id] = cf.messages(m.request_id)
            threads[m.request_id] = slack.thread(channel, m.thread_ts)[1:]
    for m in messages:
        if m.side == "slack":
            token = f"[{m.key}]"
            copies = [p for p in by_request[m.request_id] if token in p["content"]]
            expected = reply_text(m)
        else:
            copies = [p for p in threads[m.request_id]
                      if str(((p.get("metadata") or {}).get("event_payload") or {}).get("message_id")) == m.key]
            expected = provider_text(m)
        seen = [c.get("content", c.get("text")) for c in copies]
        if m.deleted:
            marked = all(m.side == "provider" and "deleted this message" in s for s in seen)
            if m.side == "slack" and copies or m.side == "provider" and (len(copies) > 1 or not marked):
                figures.stale_edits += 1
                figures.problems.append(f"deleted {m.side} {m.key} still shows {seen}")
        elif not copies:
            figures.lost += 1
            figures.problems.append(f"lost {m.side} {m.key}: {m.text!r}")
        elif len(copies) > 1:
            figures.doubled += len(copies) - 1
            figures.problems.append(f"doubled {m.side} {m.key}: {seen}")
        elif seen[0] != expected:
            figures.stale_edits += 1
            figures.problems.append(f"stale {m.side} {m.key}: {seen[0]!r} != {expected!r}")
    scripted_ids = {m.key for m in messages if m.side == "provider"}
    for thread in threads.values():
        for post in thread:
            mirrored = ((post.get("metadata") or {}).get("event_payload") or {}).get("message_id")
            if mirrored is not None and str(mirrored) not in scripted_ids:
                figures.doubled += 1  # an echo: the bridge posted back something it wrote itself
                figures.problems.append(f"echoed into Slack: {post.get('text')!r}")
    for request_id, provider_side in by_request.items():
        slack_order = {f"[{m.key}]": m.order for m in messages if m.side == "slack" and m.request_id == request_id}
        arrived = [slack_order[t] for p in provider_side for t in slack_order if t in p["content"]]
        analyst_order = {m.key: m.order for m in messages if m.side == "provider" and m.request_id == request_id}
        posted = [analyst_order[k] for p in threads[request_id]
                  if (k := str(((p.get("metadata") or {}).get("event_payload") or {}).get("message_id")))
                  in analyst_order]
        figures.out_of_order += _inversions(arrived) + _inversions(posted)
    return figures
