"""Prometheus counters of the process (the gauges read at scrape time are in bot/ops/gauges.py).

Counters live in one registry of this module and are moved by one-line calls at the places where a
message is relayed or a call fails (bot/bridge/outbound.py, bot/bridge/poller.py, bot/bridge/inbox.py). Gauges (inbox
backlog, poll lag, API budget) are read when Prometheus scrapes `GET /metrics`, so they are never stale.
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter

from bot.errors import BridgeError

REGISTRY = CollectorRegistry(auto_describe=True)

# direction: "to_provider" (a Slack reply created/edited/deleted on the request) or "to_slack" (a
# provider message posted/edited/deleted in the thread); kind: created, edited, deleted.
RELAYED = Counter("request_bridge_messages_relayed", "Messages relayed, by direction and kind",
                  ["direction", "provider", "kind"], registry=REGISTRY)
# reason: the bridge error class (rate_limited, unavailable, ambiguous_write, not_found, permission_denied,
# rejected) or "unexpected"; transient ones are retried, so one message may count several times.
FAILURES = Counter("request_bridge_failures", "Failed relays and polls, by direction and reason",
                   ["direction", "provider", "reason"], registry=REGISTRY)

# cause: "hint" (a change list named the request, bot/bridge/hints.py) or "schedule"; found: "yes" when the
# poll brought new, edited or deleted messages. Hinted polls that never find anything say the provider's
# change list does not follow its conversations (the hint then only costs its reads).
POLLS = Counter("request_bridge_polls", "Scheduled polls of linked requests, by cause and whether they found news",
                ["provider", "cause", "found"], registry=REGISTRY)

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def reason_of(exc: BaseException) -> str:
    """The failure reason label of an exception: its class name in snake_case (RateLimited -> rate_limited)."""
    return _CAMEL.sub("_", type(exc).__name__).lower() if isinstance(exc, BridgeError) else "unexpected"


def relayed(direction: str, provider: str, kind: str) -> None:
    RELAYED.labels(direction=direction, provider=provider, kind=kind).inc()


def failed(direction: str, provider: str, exc: BaseException) -> None:
    FAILURES.labels(direction=direction, provider=provider, reason=reason_of(exc)).inc()


def polled(provider: str, *, hinted: bool, found: bool) -> None:
    POLLS.labels(provider=provider, cause="hint" if hinted else "schedule", found="yes" if found else "no").inc()
