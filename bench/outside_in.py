"""Freshness measured from outside: the real `request-bridge serve` against the Slack and Cloudforce One
simulators, the latter enforcing Cloudflare's documented limit (1,200 calls per 5 minutes, a 5-minute
block beyond it).

1. **History.** `--links` requests exist on Cloudforce One, each created 1-30 days ago with one analyst
   message an hour after its creation (a long-quiet conversation, as most linked requests are).
2. **Linking**, paced as a person would (`--link-concurrency` commands in flight, each waiting for its
   answer): `/request link <id>` to the bot over signed HTTP, into one channel.
3. **Messages.** For `--minutes`, analysts write in `--active` of the requests chosen at random: a
   Poisson process per request with `--mean-gap` seconds between messages (the defaults, 15 requests at
   60 s, give one message every 4 s across them).
4. **Drain**: up to `--drain` seconds more for the last messages to reach Slack.

Each message's delay runs from its `created` on the provider to the `ts` of its chat.postMessage in the
fake Slack (both clocks are this machine's). The yardstick is a round robin over all links at the
provider's full rate (`links / calls-per-second / 2`, the mean wait for a poll that visits each link in
turn), the ratio is the median's. It also prints where the calls went during the message phase (read
from the simulator's call log): polls per link per minute for the active and the quiet links, calls per
poll, the change-list reads, and the bot process's CPU.

The bot runs with its own defaults: only the settings it cannot do without are set (tokens, URLs, the
database in a temporary directory, the port), plus any `--env NAME=VALUE`.

Run: `.venv/bin/python -m bench.outside_in` (300 links, 15 active, 6 minutes: about 11 minutes in all);
`--links 60 --active 5 --minutes 2` for a quick look.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from request_bridge.embedded import SIGNING_SECRET, sign, wait_for
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.cloudforce_one_wire import parse_time
from sandbox.server import ServerThread
from sandbox.slack import FakeSlack

CHANNEL = "C0BENCH01"
USER = "U0BENCH01"
ANALYST = "ana@cloudflare.com"
# Cloudflare's documented limit, the round robin's rate: 1,200 calls per 5 minutes.
LIMIT, WINDOW = 1200, 300.0


@dataclass
class Sent:
    request_id: str
    message_id: str
    created: float  # epoch seconds, the provider's `created`
    first: bool  # the first message of this request's conversation in the run (after days of silence)


@dataclass
class Phase:
    started: float = 0.0  # time.monotonic()
    ended: float = 0.0
    first_call: int = 0  # index into the simulator's call log
    last_call: int = 0
    cpu: float = 0.0  # the bot's CPU seconds during the phase


@dataclass
class World:
    slack: FakeSlack
    cf: FakeCloudforceOne
    port: int
    requests: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(world: World, database: Path, extra: list[str]) -> dict[str, str]:
    """The settings `serve` cannot do without; everything else is its own default."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CLOUDFLARE_", "HUAWEI_", "JITSUDO_", "DATABASE_URL", "POLL_", "MAX_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=world.slack.base_url, CLOUDFLARE_ACCOUNT_ID=world.cf.account_id,
               CLOUDFLARE_API_TOKEN="cf-test-token", CLOUDFLARE_BASE_URL=world.cf.base_url,
               DATABASE_URL=f"sqlite:///{database}", PORT=str(world.port), HOST="127.0.0.1", LOG_FORMAT="json",
               LOG_LEVEL="WARNING")
    for item in extra:
        name, _, value = item.partition("=")
        env[name] = value
    return env


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def link(world: World, request_id: str, client: httpx.Client) -> None:
    """`/request link <id>` as Slack sends it; returns once the bot has answered in the response_url."""
    body = urllib.parse.urlencode({"command": "/request", "text": f"link {request_id}", "channel_id": CHANNEL,
                                   "user_id": USER, "team_id": "T111", "trigger_id": "1.2.x",
                                   "response_url": world.slack.response_url(f"link-{request_id}")}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    assert client.post(f"http://127.0.0.1:{world.port}/slack/events", content=body, headers=headers,
                       timeout=10).status_code == 200
    wait_for(lambda: any(name == f"link-{request_id}" for name, _ in world.slack.responses), timeout=120,
             interval=0.1, what=f"the answer to linking {request_id}")


def make_history(world: World, *, links: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    for n in range(links):
        created = now - timedelta(days=rng.uniform(1, 30))
        request_id = world.cf.add_request(summary=f"request {n}", created=created)
        world.cf.add_message(request_id, author=ANALYST, content=f"first answer on request {n}",
                             created=created + timedelta(hours=1))
        world.requests.append(request_id)


def link_all(world: World, *, concurrency: int) -> None:
    queue = list(world.requests)
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client() as client:
            while True:
                with lock:
                    if not queue:
                        return
                    request_id = queue.pop(0)
                link(world, request_id, client)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def converse(world: World, *, minutes: float, mean_gap: float, rng: random.Random) -> None:
    """Poisson arrivals on the active requests, merged into one timeline and written as they come due."""
    timeline: list[tuple[float, str]] = []
    for request_id in world.active:
        t = rng.expovariate(1 / mean_gap)
        while t < minutes * 60:
            timeline.append((t, request_id))
            t += rng.expovariate(1 / mean_gap)
    timeline.sort()
    started, spoken = time.monotonic(), set()
    for at, request_id in timeline:
        delay = started + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        posted = world.cf.add_message(request_id, author=ANALYST, content=f"analyst at {at:.1f}s")
        world.sent.append(Sent(request_id, str(posted["id"]), parse_time(posted["created"]).timestamp(),
                               request_id not in spoken))
        spoken.add(request_id)


def deliveries(world: World) -> dict[str, float]:
    """Provider message id -> epoch time of its Slack post (the fake's ts is its clock at the post)."""
    found: dict[str, float] = {}
    for message in world.slack.channel_messages(CHANNEL):
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if "message_id" in payload and "part" not in payload:
            found.setdefault(str(payload["message_id"]), float(message["ts"]))
    return found


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def call_kind(call: dict[str, Any]) -> str:
    path, body = call["path"], call.get("json") or {}
    if path.endswith("/message"):
        if body.get("page", 1) > 1:
            return "list page 2+"
        return "list since cursor" if body.get("after") else "list full"
    if path.endswith("/requests"):
        return "request list (changes)"
    if call["method"] == "GET" and "/requests/" in path:
        return "get request"
    return f"{call['method']} {path.rsplit('/', 1)[-1]}"


def where_calls_went(world: World, calls: list[dict[str, Any]], seconds: float) -> list[str]:
    kinds = Counter(call_kind(c) for c in calls)
    per_request: Counter[str] = Counter()
    for c in calls:
        if c["path"].endswith("/message") and (c.get("json") or {}).get("page", 1) <= 1:
            per_request[c["path"].split("/requests/")[1].split("/")[0]] += 1
    active = set(world.active)
    minutes = seconds / 60
    polls_active = [per_request[r] / minutes for r in world.active]
    polls_quiet = [per_request[r] / minutes for r in world.requests if r not in active]
    polls = sum(per_request.values())
    poll_calls = sum(n for kind, n in kinds.items() if kind != "request list (changes)")
    lines = [f"calls in the message phase: {len(calls)} ({len(calls) / seconds:.2f}/s): "
             + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())]
    lines.append(f"polls per link per minute: active {statistics.fmean(polls_active or [0]):.2f} "
                 f"(min {min(polls_active or [0]):.2f}), quiet {statistics.fmean(polls_quiet or [0]):.3f} "
                 f"(max {max(polls_quiet or [0]):.2f}); calls per poll {poll_calls / max(polls, 1):.2f}; "
                 f"polls on active links {sum(per_request[r] for r in active)} of {polls}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=300)
    parser.add_argument("--active", type=int, default=15)
    parser.add_argument("--minutes", type=float, default=6.0, help="length of the message phase")
    parser.add_argument("--mean-gap", type=float, default=60.0,
                        help="mean seconds between messages on an active request")
    parser.add_argument("--drain", type=float, default=180.0, help="seconds to wait for the last deliveries")
    parser.add_argument("--link-concurrency", type=int, default=2)
    parser.add_argument("--idle", type=float, default=0.0,
                        help="seconds between linking and the messages to measure the idle bot's CPU")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="a setting for the bot")
    parser.add_argument("--touch", choices=("yes", "no"), default="yes",
                        help="whether a message moves its request's `updated` on the simulator (the spec is silent)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (the bot's log)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    slack, cf = FakeSlack(), FakeCloudforceOne()
    limiter = cf.set_rate_limit(requests=LIMIT, window=WINDOW, block=300)
    cf.messages_touch_request = args.touch == "yes"
    tmp = Path(tempfile.mkdtemp(prefix="outside-in-"))
    with ServerThread(slack.app) as slack_server, ServerThread(cf.app) as cf_server:
        slack.bind(slack_server.url)
        cf.bind(cf_server.url)
        slack.add_user(USER, name="alice", display_name="Alice")
        world = World(slack=slack, cf=cf, port=free_port())
        make_history(world, links=args.links, rng=rng)
        world.active = rng.sample(world.requests, args.active)
        log_path = tmp / "bot.log"
        with log_path.open("wb") as log:
            bot = subprocess.Popen([sys.executable, "-m", "request_bridge", "serve"], cwd=tmp, stdout=log, stderr=log,
                                   env=bot_env(world, tmp / "bridge.db", args.env))
        try:
            wait_for(lambda: healthy(world.port), timeout=60, what="the bot to start")
            started = time.monotonic()
            link_all(world, concurrency=args.link_concurrency)
            linked_in, link_calls = time.monotonic() - started, len(cf.calls)
            print(f"linked {args.links} in {linked_in:.0f}s with {link_calls} calls "
                  f"(429s so far {limiter.throttled}); settings: defaults{' + ' if args.env else ''}"
                  f"{' '.join(args.env)}", flush=True)

            if args.idle:  # no traffic: what the bot spends keeping up with its links alone
                calls, cpu = len(cf.calls), cpu_seconds(bot.pid)
                time.sleep(args.idle)
                print(f"idle {args.idle:g}s with {args.links} links: bot CPU "
                      f"{100 * (cpu_seconds(bot.pid) - cpu) / args.idle:.1f}% of a core, "
                      f"{(len(cf.calls) - calls) / args.idle:.2f} calls/s", flush=True)
            phase = Phase(started=time.monotonic(), first_call=len(cf.calls), cpu=cpu_seconds(bot.pid))
            converse(world, minutes=args.minutes, mean_gap=args.mean_gap, rng=rng)
            phase.ended, phase.last_call = time.monotonic(), len(cf.calls)
            phase.cpu = cpu_seconds(bot.pid) - phase.cpu
            wanted = {s.message_id for s in world.sent}
            with contextlib.suppress(AssertionError):  # what has not arrived by then counts as undelivered
                wait_for(lambda: wanted <= deliveries(world).keys(), timeout=args.drain, interval=1.0,
                         what="the last deliveries")
        finally:
            bot.terminate()
            bot.wait(30)
        seen = deliveries(world)
        calls = cf.calls[phase.first_call:phase.last_call]
    seconds = phase.ended - phase.started
    delays = [seen[s.message_id] - s.created for s in world.sent if s.message_id in seen]
    firsts = [seen[s.message_id] - s.created for s in world.sent if s.first and s.message_id in seen]
    admitted = [t for t in limiter.admitted_at if phase.started <= t <= phase.ended]
    rate = max(LIMIT / WINDOW, len(admitted) / seconds)
    yardstick = args.links / rate / 2
    overruns = log_path.read_text(errors="replace").count("maximum number of running instances reached")
    med, p95 = percentile(delays, 50), percentile(delays, 95)
    print(f"message phase {seconds:.0f}s: links={args.links} active={args.active} mean_gap={args.mean_gap:g}s "
          f"seed={args.seed} messages_move_request_updated={args.touch}")
    for line in where_calls_went(world, calls, seconds):
        print("  " + line)
    print(f"  bot CPU {100 * phase.cpu / seconds:.1f}% of a core; skipped ticks (overruns) in the log: {overruns}")
    print(f"  first message on each active link (after days of silence): median {percentile(firsts, 50):.1f}s "
          f"max {max(firsts or [float('nan')]):.1f}s ({len(firsts)} links)")
    print(f"median {med:.1f} s, p95 {p95:.1f} s, max {max(delays or [float('nan')]):.1f} s, "
          f"{len(delays)}/{len(world.sent)} delivered, {limiter.throttled} 429s")
    print(f"yardstick: a round robin over {args.links} links at {rate:.2f} calls/s has a median of "
          f"{args.links} / {rate:.2f} / 2 = {yardstick:.1f} s")
    print(f"ratio median {med / yardstick:.3f} (goal <= 0.2), p95 {p95 / yardstick:.3f} (goal <= 0.5)")
    if args.keep:
        print(f"bot log: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
