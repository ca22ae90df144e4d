"""When to poll each link: plain functions of its activity, the bounds and the budget (no I/O).

A conversation is polled often while it is busy and ever more rarely as it falls silent: the interval is
a tenth of the silence since the last message either side (so a link quiet for ten minutes is polled
every minute), never shorter than POLL_INTERVAL_SECONDS and never longer than the staleness bound. A
reply just sent from Slack counts double, because analysts usually answer one. When the budget cannot
poll every due link, the most overdue relative to its own interval go first, so every link's interval
stretches by the same factor; a link past the staleness bound goes before all of them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

# The interval grows by this share of the time since the last message.
DECAY = 0.1
# Analysts answer a reply from Slack more often than they write unprompted: its silence counts half.
REPLY_DECAY = DECAY / 2
# However large the budget, an idle link is not polled more often than this (Cloudflare counts the
# dashboard and every other tool of the same user against the same 1,200 calls).
IDLE_FLOOR_SECONDS = 60.0
# Idle links may take this share of the poll budget when the staleness bound would let them take more.
IDLE_SHARE = 0.4


@dataclass(frozen=True)
class Bounds:
    active: float  # POLL_INTERVAL_SECONDS: the interval of a conversation in full swing
    stale: float  # MAX_POLL_INTERVAL_SECONDS: no link waits longer, if the budget can poll them all


def idle_interval(*, links: int, polls_per_second: float, bounds: Bounds) -> float:
    """The longest interval now: the staleness bound, or shorter when the budget can afford it."""
    affordable = links / (polls_per_second * IDLE_SHARE) if polls_per_second > 0 else bounds.stale
    return min(bounds.stale, max(bounds.active, IDLE_FLOOR_SECONDS, affordable))


def interval(*, now: float, last_activity: float | None, last_slack_reply: float | None,
             bounds: Bounds, longest: float) -> float:
    """Seconds between two polls of a link, from how long its conversation has been quiet."""
    wanted = longest
    if last_activity is not None:
        wanted = min(wanted, DECAY * max(0.0, now - last_activity))
    if last_slack_reply is not None:
        wanted = min(wanted, REPLY_DECAY * max(0.0, now - last_slack_reply))
    return min(longest, max(bounds.active, wanted))


@dataclass(frozen=True)
class Candidate:
    link_id: int
    last_polled: float | None  # None: never polled, due at once
    interval: float

    @property
    def due_at(self) -> float:
        return float("-inf") if self.last_polled is None else self.last_polled + self.interval

    def overdue(self, now: float) -> float:
        """How many of its own intervals the link has waited (1 = just due)."""
        return float("inf") if self.last_polled is None else (now - self.last_polled) / self.interval


def pick(candidates: Iterable[Candidate], *, now: float, slots: int, stale: float) -> list[Candidate]:
    """The due links to poll now, at most `slots`: past the staleness bound first, then most overdue."""
    if slots <= 0:
        return []
    due = [c for c in candidates if c.due_at <= now]

    def rank(c: Candidate) -> tuple[bool, float]:
        return (c.last_polled is None or now - c.last_polled >= stale, c.overdue(now))

    return heapq.nlargest(slots, due, key=rank)


def lag(candidates: Iterable[Candidate], *, now: float) -> float:
    """Seconds the most overdue link has waited past its due time (0 when none is late)."""
    late = [now - c.due_at for c in candidates if c.last_polled is not None]
    return max([0.0, *late])
