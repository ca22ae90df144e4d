"""Huawei: polling every case on its own (ListMessages) vs one ListNewInstantMessages call for 100 cases
and ListMessages only for the cases it names, over a simulated hour.

    .venv/bin/python -m bench.huawei_batch            # --cases 200 --active 10 --budget 7200 --rate 10

The real HuaweiOSM client talks HTTP to the Huawei fake (tests/fakes/huawei.py) on loopback; only the
clock is simulated: messages are written on `--active` of `--cases` cases at random instants (on average
`--rate` an hour each), and the poll schedule runs on simulated time. Every call the fake receives is
counted, and each message's delay is the simulated time from its creation to the poll that read it.

Rows: per-case polling spending the whole budget (Huawei's default, 600 calls per 300 s = 7200 an hour:
each case is read every cases/budget hours); the batch at the same delay (one batch tick per per-case
round); the batch at the poller's own tick (POLL_INTERVAL_SECONDS, 5 s), within the same budget.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.providers.huawei import build
from bot.providers.huawei.client import HuaweiOSM
from bot.providers.huawei.settings import HuaweiSettings
from bot.providers.plugin import BuildContext
from sandbox.server import serving
from tests.fakes.huawei import FakeHuawei

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Outcome:
    calls: int
    delays: list[float]
    missed: int


def arrivals(cases: list[str], *, active: int, rate: float, seconds: float, seed: int) -> list[tuple[float, str]]:
    """(second, case) of every message written in the hour, in time order."""
    rng = random.Random(seed)
    found = []
    for case_id in cases[:active]:
        t = rng.expovariate(rate / 3600)
        while t < seconds:
            found.append((t, case_id))
            t += rng.expovariate(rate / 3600)
    return sorted(found)


def run(writes: list[tuple[float, str]], cases: int, *, seconds: float, step: float, batch: bool) -> Outcome:
    """One strategy on a fresh fake holding the same cases."""
    with serving(FakeHuawei()) as fake:
        ids = [fake.add_request(case_id=f"CS{n:06d}", created=T0) for n in range(cases)]
        return asyncio.run(simulate(fake, ids, writes, seconds=seconds, step=step, batch=batch))


async def simulate(fake: FakeHuawei, cases: list[str], writes: list[tuple[float, str]], *, seconds: float,
                   step: float, batch: bool) -> Outcome:
    settings = HuaweiSettings(_env_file=None, huawei_endpoint=fake.base_url,  # type: ignore[call-arg]
                              huawei_auth_token=fake.token)
    provider = build(settings, BuildContext(timeout=10, transport=None))
    assert isinstance(provider, HuaweiOSM)
    fake.clear_calls()
    written: dict[str, float] = {}  # message content -> creation second
    cursors: dict[str, str | None] = dict.fromkeys(cases)
    seen: set[str] = set()
    delays: list[float] = []
    pending = list(writes)
    now, turn = 0.0, 0
    if batch:
        await provider.changed_requests(cases)  # the first call sets the cursor (every case counted as changed)

    async def read(case_id: str) -> None:
        for message in await provider.list_messages(case_id, after=cursors[case_id]):
            if message.id not in seen:
                seen.add(message.id)
                delays.append(now - written[message.content])
            cursors[case_id] = max(cursors[case_id] or "", message.created or "")

    while now < seconds:
        while pending and pending[0][0] <= now:
            second, case_id = pending.pop(0)
            content = f"message at {second:.3f} on {case_id}"
            written[content] = second
            fake.add_message(case_id, content=content, created=T0 + timedelta(seconds=second))
        if batch:
            for case_id in sorted(await provider.changed_requests(cases)):
                await read(case_id)
        else:
            await read(cases[turn % len(cases)])
            turn += 1
        now += step
    calls = len(fake.calls)
    await provider.aclose()
    return Outcome(calls=calls, delays=delays, missed=len(written) - len(delays))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--active", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0, help="messages per active case per hour")
    parser.add_argument("--budget", type=float, default=7200.0, help="calls per hour (HUAWEI_REQUEST_BUDGET)")
    parser.add_argument("--tick", type=float, default=5.0, help="the poller's tick (POLL_INTERVAL_SECONDS)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    seconds = 3600.0
    names = [f"CS{n:06d}" for n in range(args.cases)]
    writes = arrivals(names, active=args.active, rate=args.rate, seconds=seconds, seed=args.seed)
    per_case_step = 3600 / args.budget
    rows = [
        ("per-case polling, whole budget", run(writes, args.cases, seconds=seconds, step=per_case_step, batch=False)),
        (f"batch, same delay (tick {per_case_step * args.cases:.0f} s)",
         run(writes, args.cases, seconds=seconds, step=per_case_step * args.cases, batch=True)),
        (f"batch, poller tick ({args.tick:g} s)", run(writes, args.cases, seconds=seconds, step=args.tick, batch=True)),
    ]
    print(f"{args.cases} cases, {args.active} active, {len(writes)} messages in one simulated hour, "
          f"budget {args.budget:.0f} calls/hour")
    print(f"{'strategy':40} {'calls/hour':>10} {'median delay s':>15} {'unread at the end':>18}")
    for name, outcome in rows:
        print(f"{name:40} {outcome.calls:>10} {statistics.median(outcome.delays):>15.1f} {outcome.missed:>18}")
    base = rows[0][1]
    same_delay, same_budget = rows[1][1], rows[2][1]
    print(f"calls, per-case / batch at the same delay: {base.calls / same_delay.calls:.1f}x")
    print(f"median delay, per-case / batch within the budget: "
          f"{statistics.median(base.delays) / statistics.median(same_budget.delays):.1f}x")


if __name__ == "__main__":
    main()
