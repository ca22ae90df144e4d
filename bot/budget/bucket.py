"""Token-bucket arithmetic and providers' rate-limit headers: plain functions, no I/O.

The bucket itself lives in the database (bot/budget/ledger.py, bot/store/database.py), so every replica spends from the
same one; these functions are the rules it follows, shared with bench/freshness.py.

Cloudflare documents its limits and headers at https://developers.cloudflare.com/fundamentals/api/reference/limits/:
1,200 requests per five minutes per user, counted across the dashboard, API keys and tokens; going over
blocks every call for five minutes (429). Every REST answer carries IETF-draft headers (RFC 9651
structured-field lists): `Ratelimit: "default";r=50;t=30` (r calls left, window resets in t seconds) and
`Ratelimit-Policy: "default";q=1200;w=300` (q calls per w seconds); a 429 adds `Retry-After`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import http_sf

# A bucket holds at most this share of the window's requests. Any window of the provider's then sees at
# most requests + burst calls: with the 10% headroom of the defaults, under the provider's real limit.
BURST_FRACTION = 0.05
# Polls leave this share of the bucket to Slack-driven writes, which therefore rarely wait.
RESERVE_FRACTION = 0.25
# Policies read from `Ratelimit-Policy` are used at this share, as the configured defaults are.
HEADROOM = 0.9

_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


@dataclass(frozen=True)
class Limit:
    """`requests` calls per `window` seconds, e.g. 1080/300."""

    requests: float
    window: float

    @property
    def per_second(self) -> float:
        return self.requests / self.window

    @property
    def capacity(self) -> float:
        return max(1.0, self.requests * BURST_FRACTION)

    @property
    def reserve(self) -> float:
        """Tokens polls never take: they are kept for Slack-driven writes."""
        return reserve(self.capacity)

    def __str__(self) -> str:
        return f"{self.requests:g}/{self.window:g}"


def reserve(capacity: float) -> float:
    """The part of a bucket polls leave to writes (none of a one-token bucket, or polls could never run)."""
    return max(0.0, min(capacity * RESERVE_FRACTION, capacity - 1.0))


def parse_limit(text: str) -> Limit:
    """`N/W`: N requests per W seconds (e.g. `1080/300`); ValueError otherwise."""
    match = _LIMIT.match(text)
    if match is None or float(match.group(1)) <= 0 or float(match.group(2)) <= 0:
        raise ValueError("must look like 1080/300 (requests per seconds), both above zero")
    return Limit(requests=float(match.group(1)), window=float(match.group(2)))


def refilled(tokens: float, *, elapsed: float, per_second: float, capacity: float) -> float:
    """The bucket's tokens after `elapsed` seconds of refill (never above capacity; a debt stays a debt)."""
    return min(capacity, tokens + max(0.0, elapsed) * per_second)


def wait_seconds(tokens: float, *, cost: float, floor: float, per_second: float) -> float:
    """How long until `cost` tokens can be taken without dipping below `floor`."""
    return max(0.0, (cost + floor - tokens) / per_second)


@dataclass(frozen=True)
class Quota:
    """One `Ratelimit` item: `remaining` calls left until the window resets in `reset` seconds."""

    name: str
    remaining: float
    reset: float


@dataclass(frozen=True)
class Policy:
    """One `Ratelimit-Policy` item: `quota` calls per `window` seconds."""

    name: str
    quota: float
    window: float


def _items(value: str | None) -> list[tuple[str, Mapping[str, object]]]:
    if not value:
        return []
    try:
        parsed = http_sf.parse(value.encode("ascii", errors="replace"), tltype="list")
    except http_sf.StructuredFieldError:
        return []  # a header we cannot read is ignored: the configured budget still holds
    items: list[tuple[str, Mapping[str, object]]] = []
    for member in parsed if isinstance(parsed, list) else []:
        item, params = member if isinstance(member, tuple) and len(member) == 2 else (None, None)
        if isinstance(item, str | http_sf.Token) and isinstance(params, Mapping):
            items.append((str(item), params))
    return items


def _number(params: Mapping[str, object], key: str) -> float | None:
    value = params.get(key)  # an sf-integer (int) or sf-decimal (Decimal)
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        return None
    return float(value)


def parse_ratelimit(value: str | None) -> list[Quota]:
    """The items of a `Ratelimit` header; unreadable items are skipped."""
    quotas = []
    for name, params in _items(value):
        remaining, reset = _number(params, "r"), _number(params, "t")
        if remaining is not None and reset is not None:
            quotas.append(Quota(name, remaining, reset))
    return quotas


def parse_policy(value: str | None) -> list[Policy]:
    """The items of a `Ratelimit-Policy` header; unreadable items are skipped."""
    policies = []
    for name, params in _items(value):
        quota, window = _number(params, "q"), _number(params, "w")
        if quota is not None and window:
            policies.append(Policy(name, quota, window))
    return policies


def token_ceiling(quotas: list[Quota], *, per_second: float) -> float | None:
    """The most tokens the bucket may hold given what the provider says is left, or None.

    Over the next `reset` seconds the provider grants `remaining` calls, and the bucket would allow its
    tokens plus `per_second * reset`: so tokens may be at most `remaining - per_second * reset`. A
    negative ceiling is a debt: nothing is sent until the window has turned.
    """
    ceilings = [q.remaining - per_second * q.reset for q in quotas]
    return min(ceilings) if ceilings else None


def adapted_limit(policies: list[Policy], *, configured: Limit) -> Limit:
    """The configured limit, lowered to HEADROOM of the provider's own policy when that is tighter."""
    limit = configured
    for policy in policies:
        offered = Limit(requests=policy.quota * HEADROOM, window=policy.window)
        if offered.per_second < limit.per_second:
            limit = offered
    return limit
