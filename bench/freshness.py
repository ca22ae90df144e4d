"""Freshness under a request budget: adaptive polling (bot/bridge/schedule.py + bot/budget/bucket.py) against a fixed
round-robin poller, on the same seeded arrivals, with a virtual clock.

1,000 linked requests on a simulated Cloudforce One that enforces Cloudflare's documented limit (1,200
calls per 5 minutes, i.e. 4 per second; going over blocks every call for 5 minutes, with the same
`WindowLimit` the e2e tests run in the fake). 5% of the requests are active: analysts' messages arrive on
each as a Poisson process. Both pollers see the same arrivals:

- baseline: what a user would write, each link in turn at the full 4 calls/s (every link every 250 s);
- adaptive: the bridge's own decision code, not a copy: each 1 s tick it refills the bucket
  (bot.budget.bucket, with the default CLOUDFLARE_REQUEST_BUDGET 1080/300 and its poll reserve), asks
  bot.bridge.schedule for the due links and polls them, most overdue first, as the budget allows; every
  RECONCILE_EVERY_POLLS-th poll of a link costs a second call (the full read and the status), as in
  bot/bridge/poller.py; each answer's `Ratelimit` header goes through bot.budget.bucket's parser and ceiling.

A message's delivery delay is the time from its arrival to the first poll of its link at or after it.
Run: `.venv/bin/python -m bench.freshness` (about 20 s; `--hours`, `--links`, `--seed`).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import deque
from dataclasses import dataclass, field

from bot.bridge.schedule import REPACE_SECONDS, Bounds, Candidate, interval, pace, pick, poll_rate, silence
from bot.budget.bucket import parse_limit, parse_ratelimit, refilled, reserve, token_ceiling
from sandbox.rate_limit import WindowLimit

RECONCILE_EVERY_POLLS = 10  # bot/settings.py default
BOUNDS = Bounds(active=5.0, stale=900.0)  # POLL_INTERVAL_SECONDS, MAX_POLL_INTERVAL_SECONDS defaults
DEFAULT_BUDGET = "1080/300"  # CLOUDFLARE_REQUEST_BUDGET default: Cloudflare's limit with 10% headroom
PROVIDER_LIMIT = (1200, 300.0)  # Cloudflare: 1,200 calls per 5 minutes per user = 4 per second


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    name: str
    delays: list[float] = field(default_factory=list)
    requests: int = 0
    throttled: int = 0
    longest_gap: float = 0.0  # longest time between two polls of one link

    def line(self) -> str:
        med, p95 = self.percentile(50), self.percentile(95)
        return (f"{self.name:9} median={med:7.1f}s p95={p95:7.1f}s max={max(self.delays):7.1f}s "
                f"delivered={len(self.delays)} requests={self.requests} 429s={self.throttled} "
                f"longest_gap={self.longest_gap:.0f}s")

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.delays, n=100, method="inclusive")[p - 1]


def arrivals(*, links: int, active_share: float, mean_gap: float, hours: float,
             rng: random.Random) -> tuple[dict[int, list[float]], list[int]]:
    """Seeded Poisson arrivals on the active links: {link: [arrival times]}, and the active links."""
    active = rng.sample(range(links), round(links * active_share))
    times: dict[int, list[float]] = {}
    for link in active:
        t, found = 0.0, []
        while True:
            t += rng.expovariate(1 / mean_gap)
            if t >= hours * 3600:
                break
            found.append(t)
        times[link] = found
    return times, active


def _deliver(pending: deque[float], now: float, out: Outcome) -> bool:
    found = False
    while pending and pending[0] <= now:
        out.delays.append(now - pending.popleft())
        found = True
    return found


def run_baseline(arrived: dict[int, list[float]], *, links: int, hours: float, budget: str) -> Outcome:
    """Round robin over all links, evenly spaced at the budget's pace."""
    clock = Clock()
    provider = WindowLimit(requests=PROVIDER_LIMIT[0], window=PROVIDER_LIMIT[1], block=300, clock=clock)
    per_second = parse_limit(budget).per_second
    pending = {link: deque(times) for link, times in arrived.items()}
    out, last = Outcome(f"baseline {budget}"), [0.0] * links
    n, next_at = 0, 0.0
    while next_at < hours * 3600:
        clock.now = next_at
        link = n % links
        out.requests += 1
        allowed, _ = provider.admit()
        if allowed:
            out.longest_gap = max(out.longest_gap, clock.now - last[link]) if n >= links else out.longest_gap
            last[link] = clock.now
            if link in pending:
                _deliver(pending[link], clock.now, out)
        n += 1
        next_at = n / per_second
    out.throttled = provider.throttled
    return out


@dataclass
class Bucket:
    """The budget's token bucket (bot.budget.bucket) and the provider's window behind it."""

    provider: WindowLimit
    tokens: float
    capacity: float
    per_second: float
    paused_until: float = 0.0
    calls: int = 0

    def spend(self, now: float) -> None:
        """One call: taken from the bucket, admitted or refused by the provider, its headers read."""
        self.tokens -= 1
        self.calls += 1
        allowed, headers = self.provider.admit()
        if not allowed:
            self.paused_until = now + float(headers["Retry-After"])
            return
        ceiling = token_ceiling(parse_ratelimit(headers["Ratelimit"]), per_second=self.per_second)
        if ceiling is not None:
            self.tokens = min(self.tokens, ceiling)


def run_adaptive(arrived: dict[int, list[float]], active: list[int], *, links: int, hours: float, budget: str,
                 rng: random.Random, hint_seconds: float = 0.0, warm: bool = True) -> Outcome:
    """The bridge's scheduler and bucket, ticking every second as bot/service.py's job does.

    What the process spends besides polls is charged as it does: every RECONCILE_EVERY_POLLS-th poll of a
    link is a full read plus a status read (two calls), the pace plans with those calls per poll and leaves
    the change list's reads (bot.bridge.schedule.poll_rate), polls leave the bucket's reserve, and with
    `hint_seconds` the change list is read that often (one call) and names the links with a message since
    the read before (a provider whose requests' `updated` follows their conversations). `warm`: the active
    conversations had a message in the last five minutes; otherwise every link starts days quiet, as right
    after linking (the outside-in bench, bench/outside_in.py).
    """
    clock = Clock()
    limit = parse_limit(budget)
    bucket = Bucket(WindowLimit(requests=PROVIDER_LIMIT[0], window=PROVIDER_LIMIT[1], block=300, clock=clock),
                    tokens=limit.capacity, capacity=limit.capacity, per_second=limit.per_second)
    out = Outcome(f"adaptive {budget}" + (f" hints/{hint_seconds:g}s" if hint_seconds else ""))
    pending = {link: deque(times) for link, times in arrived.items()}
    # The bridge has been running: idle conversations had no message for a day or more (active ones, when
    # warm, in the last few minutes); every link was last polled somewhere within its current interval.
    activity = [-rng.uniform(86_400, 30 * 86_400) for _ in range(links)]
    for link in active if warm else []:
        activity[link] = -rng.uniform(0, 300)
    hints = 1 / hint_seconds if hint_seconds else 0.0
    rate = poll_rate(limit.per_second, calls_per_poll=1 + 1 / RECONCILE_EVERY_POLLS, hints_per_second=hints)
    quiet = [silence(now=0.0, last_activity=activity[link], last_slack_reply=None) for link in range(links)]
    speed = pace(quiet, polls_per_second=rate, bounds=BOUNDS)
    polled = [-rng.uniform(0, interval(q, pace=speed, bounds=BOUNDS)) for q in quiet]
    polls = [rng.randrange(RECONCILE_EVERY_POLLS) for _ in range(links)]
    hinted: set[int] = set()
    for tick in range(int(hours * 3600)):
        now = clock.now = float(tick)
        bucket.tokens = refilled(bucket.tokens, elapsed=1.0, per_second=bucket.per_second, capacity=bucket.capacity)
        if now < bucket.paused_until:
            continue
        if tick % REPACE_SECONDS == 0:  # as bot/bridge/poller.py does: silences halfway to the next working-out
            ahead = now + REPACE_SECONDS / 2
            speed = pace([silence(now=ahead, last_activity=activity[link], last_slack_reply=None)
                          for link in range(links)], polls_per_second=rate, bounds=BOUNDS)
        if hint_seconds and tick % hint_seconds == 0 and bucket.tokens - reserve(bucket.capacity) >= 1:
            bucket.spend(now)
            hinted |= {link for link, queue in pending.items() if queue and queue[0] <= now}
        quiet = [silence(now=now, last_activity=activity[link], last_slack_reply=None) for link in range(links)]
        candidates = [Candidate(link, polled[link], interval(quiet[link], pace=speed, bounds=BOUNDS),
                                hinted=link in hinted) for link in range(links)]
        slots = int(max(0.0, bucket.tokens - reserve(bucket.capacity)))
        for chosen in pick(candidates, now=now, slots=slots, stale=BOUNDS.stale):
            link = chosen.link_id
            polls[link] += 1
            for _ in range(2 if polls[link] % RECONCILE_EVERY_POLLS == 0 else 1):
                bucket.spend(now)
            if polled[link] >= 0:
                out.longest_gap = max(out.longest_gap, now - polled[link])
            polled[link] = now
            hinted.discard(link)
            if link in pending:
                written = [t for t in pending[link] if t <= now]
                if _deliver(pending[link], now, out):
                    activity[link] = written[-1]  # the provider's `created`, as bot/bridge/poller.py takes it
    out.throttled = bucket.provider.throttled
    out.requests = bucket.calls
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--active", type=float, default=0.05, help="share of links with a conversation going on")
    parser.add_argument("--mean-gap", type=float, default=300.0,
                        help="mean seconds between two messages on an active link (Poisson)")
    parser.add_argument("--hours", type=float, default=2.0, help="virtual hours simulated")
    parser.add_argument("--hint-seconds", type=float, default=5.0,
                        help="CHANGE_HINT_SECONDS of the run with hints (the bot's default)")
    parser.add_argument("--cold", action="store_true",
                        help="every conversation starts days quiet, as right after linking (bench/outside_in.py)")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()

    started = time.perf_counter()
    rng = random.Random(args.seed)
    arrived, active = arrivals(links=args.links, active_share=args.active, mean_gap=args.mean_gap,
                               hours=args.hours, rng=rng)
    total = sum(len(t) for t in arrived.values())
    print(f"links={args.links} active={len(active)} messages={total} mean_gap={args.mean_gap:.0f}s "
          f"hours={args.hours:g} seed={args.seed} provider_limit={PROVIDER_LIMIT[0]}/{PROVIDER_LIMIT[1]:.0f}s "
          f"poll_interval={BOUNDS.active:g}s max_poll_interval={BOUNDS.stale:g}s "
          f"start={'cold' if args.cold else 'warm'}")
    met = True
    # The comparison: both pollers on the same 4 calls/s; then both on the bridge's default budget,
    # which keeps 10% of Cloudflare's limit for the dashboard and other tools. The adaptive poller without
    # change hints (CHANGE_HINT_SECONDS=0, or a provider whose list does not move), then with them.
    for budget in (f"{PROVIDER_LIMIT[0]}/{PROVIDER_LIMIT[1]:.0f}", DEFAULT_BUDGET):
        baseline = run_baseline(arrived, links=args.links, hours=args.hours, budget=budget)
        print(baseline.line())
        for hint_seconds in (0.0, args.hint_seconds):
            adaptive = run_adaptive(arrived, active, links=args.links, hours=args.hours, budget=budget,
                                    rng=random.Random(args.seed + 1), hint_seconds=hint_seconds, warm=not args.cold)
            median_ratio = adaptive.percentile(50) / baseline.percentile(50)
            p95_ratio = adaptive.percentile(95) / baseline.percentile(95)
            goals = median_ratio <= 0.1 and p95_ratio <= 1 / 3 and adaptive.throttled == 0
            met = met and (goals or budget == DEFAULT_BUDGET or bool(hint_seconds))  # stated for 4 calls/s, polls
            print(adaptive.line())
            print(f"  ratio to baseline: median={median_ratio:.3f} (goal <= 0.1) p95={p95_ratio:.3f} "
                  f"(goal <= 0.333) 429s={adaptive.throttled} (goal 0): {'met' if goals else 'NOT met'}")
    print(f"goals at 4 calls/s without hints {'met' if met else 'NOT met'}; wall={time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
