"""Cloudforce One: calls per poll against servers that page each way the spec leaves open.

    .venv/bin/python -m bench.paging                  # --messages 120 --quiet-polls 20

The real CloudforceOne client talks HTTP to the Cloudforce One fake (sandbox/cloudforce_one.py) on
loopback, configured as (a) pages from 0, (b) pages from 1 (0 read as 1), (c) `page` ignored, (d) `after`
ignored. On a request with `--messages` messages: a first full read (the link's back-fill), then quiet
polls (nothing new, the poller's cursor at the newest message), then a poll after a burst bigger than a
page, then a full re-read (the poller's reconciliation). Every message written must be read: "missed"
counts those that were not. The old client (pages from 1, until a short page, at most 200) is the
baseline: against (c) it pages 200 times per poll, and against (a) it never reads page 0.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.http import RetryPolicy, build_client
from bot.providers.cloudforce_one.client import CloudforceOne
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import serving

SERVERS: dict[str, dict[str, Any]] = {
    "(a) pages from 0": {"page_base": 0},
    "(b) pages from 1": {"page_base": 1},
    "(c) page ignored": {"ignore_page": True},
    "(d) after ignored": {"ignore_after": True},
}
T0 = datetime(2026, 3, 1, tzinfo=UTC)
BURST = 70


async def measure(cf: FakeCloudforceOne, *, messages: int, quiet_polls: int) -> dict[str, Any]:
    request_id = cf.add_request()
    for n in range(messages):
        cf.add_message(request_id, content=f"m{n}", created=T0 + timedelta(seconds=n))
    client = build_client(base_url=cf.base_url, headers={"Authorization": f"Bearer {cf.api_token}"}, timeout=10)
    provider = CloudforceOne(client, account_id=cf.account_id, policy=RetryPolicy(attempts=1))
    row: dict[str, Any] = {}

    async def counted(after: str | None) -> tuple[int, set[str]]:
        cf.clear_calls()
        read = await provider.list_messages(request_id, after=after)
        return len(cf.calls), {m.content for m in read}

    row["back-fill"], everything = await counted(None)
    cursor = max(m["created"] for m in cf.messages(request_id))
    quiet = [(await counted(cursor))[0] for _ in range(quiet_polls)]
    row["quiet: first"], row["quiet: max"], row["quiet: mean"] = quiet[0], max(quiet), sum(quiet) / len(quiet)
    cf.clear_calls()
    await old_list(provider, request_id, after=cursor)
    row["old: quiet"] = len(cf.calls)
    for n in range(BURST):
        cf.add_message(request_id, content=f"b{n}", created=T0 + timedelta(seconds=messages + 10 + n))
    row["burst of 70"], fresh = await counted(cursor)
    row["full re-read"], again = await counted(None)
    written = {m["content"] for m in cf.messages(request_id)}
    cf.clear_calls()
    row["old: missed"] = len(written - await old_list(provider, request_id))
    row["old: full"] = len(cf.calls)
    row["missed"] = len(written - again) + len({f"m{n}" for n in range(messages)} - everything) \
        + len({f"b{n}" for n in range(BURST)} - fresh)
    await provider.aclose()
    return row


async def old_list(provider: CloudforceOne, request_id: str, *, after: str | None = None) -> set[str]:
    """The client before this change: pages 1, 2, ... until one is short, at most 200."""
    seen: set[str] = set()
    for page in range(1, 201):
        items = await provider.list_page(request_id, page=page, per_page=50, after=after)
        seen |= {m.content for m in items}
        if len(items) < 50:
            break
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=120)
    parser.add_argument("--quiet-polls", type=int, default=20)
    args = parser.parse_args()
    rows = {}
    for name, config in SERVERS.items():
        with serving(FakeCloudforceOne()) as cf:
            for key, value in config.items():
                setattr(cf, key, value)
            rows[name] = asyncio.run(measure(cf, messages=args.messages, quiet_polls=args.quiet_polls))
    columns = list(next(iter(rows.values())))
    print(f"calls per poll, a request with {args.messages} messages, 50 per page")
    print(f"{'server':20}" + "".join(f"{c:>13}" for c in columns))
    for name, row in rows.items():
        print(f"{name:20}" + "".join(f"{row[c]:>13.3g}" if isinstance(row[c], float) else f"{row[c]:>13}"
                                     for c in columns))


if __name__ == "__main__":
    main()
