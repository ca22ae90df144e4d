"""When to poll each link: plain functions of its activity, the bounds and the budget (no I/O).

How soon a link's next message comes is guessed from its **silence**, the time since the last message
either side (a reply just sent from Slack counts as four times more recent: analysts usually answer one).
If messages come at a rate of about 1/silence, polling link i every `pace * sqrt(silence_i)` seconds
gives the least total delay for a fixed number of polls (square-root law: minimise sum(rate_i *
interval_i / 2) subject to sum(1 / interval_i) = budget). `pace` is set so that all links together plan
to use the provider's whole budget: busy conversations are polled often, quiet ones rarely, and a larger
budget or fewer links make everything fresher. Slack-driven writes still go first, because polls never
take the bucket's reserve (bot/budget/ledger.py) and a poll that finds it short waits for a later tick. Bounds
that hold whatever the pace:

- never more often than POLL_INTERVAL_SECONDS, nor than a tenth of the silence up to a minute (a small
  deployment with budget to spare does not hammer idle requests);
- never less often than MAX_POLL_INTERVAL_SECONDS (the staleness bound), as far as the budget allows.

When the budget cannot poll every due link, the most overdue relative to its own interval go first, so
every interval stretches by the same factor; a link past the staleness bound goes before all of them.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Never poll more often than this share of the silence...
DECAY = 0.1
# ...which matters up to this interval (a small deployment polls idle links every minute, not every 5 s).
IDLE_FLOOR_SECONDS = 60.0
# A reply from Slack counts as this many times more recent than a message (analysts answer them).
REPLY_WEIGHT = 4.0
# The pace is worked out again this often (it moves slowly; working it out is O(links log links)).
REPACE_SECONDS = 10.0
_NEVER = math.inf


@dataclass(frozen=True)
class Bounds:
    active: float  # POLL_INTERVAL_SECONDS: the shortest interval, a conversation in full swing
    stale: float  # MAX_POLL_INTERVAL_SECONDS: no link waits longer, if the budget can poll them all


def silence(*, now: float, last_activity: float | None, last_slack_reply: float | None) -> float:
    """Seconds since the conversation last moved (infinite when nothing is known)."""
    quiet = _NEVER
    if last_activity is not None:
        quiet = max(0.0, now - last_activity)
    if last_slack_reply is not None:
        quiet = min(quiet, max(0.0, now - last_slack_reply) / REPLY_WEIGHT)
    return quiet


def shortest(quiet: float, bounds: Bounds) -> float:
    """The shortest interval allowed for a link this quiet."""
    return min(max(IDLE_FLOOR_SECONDS, bounds.active), max(bounds.active, DECAY * quiet))


def interval(quiet: float, *, pace: float, bounds: Bounds) -> float:
    """Seconds between two polls of a link this quiet, at this pace."""
    if math.isinf(quiet):
        return bounds.stale
    return min(bounds.stale, max(shortest(quiet, bounds), pace * math.sqrt(quiet)))


def pace(silences: Sequence[float], *, polls_per_second: float, bounds: Bounds) -> float:
    """The factor that makes all these links' polls add up to `polls_per_second`.

    0 when the budget can poll every link at its shortest interval, infinite when it cannot even poll
    them all at the staleness bound. In between, the exact solution of sum(1 / interval_i) = target:
    the sum is `held + free / pace` between two consecutive breakpoints, where a link starts or stops
    being held at one of its bounds.
    """
    target = polls_per_second
    held = sum(1 / bounds.stale for q in silences if math.isinf(q))
    held += sum(1 / shortest(q, bounds) for q in silences if q <= 0)
    quiet = [q for q in silences if 0 < q < _NEVER]
    held += sum(1 / shortest(q, bounds) for q in quiet)
    if held <= target:
        return 0.0
    breakpoints = []
    for q in quiet:
        root, low = math.sqrt(q), shortest(q, bounds)
        breakpoints += [(low / root, 0, q), (max(low, bounds.stale) / root, 1, q)]
    breakpoints.sort()
    free = 0.0
    for at, kind, q in breakpoints:
        if free > 0 and target > held and free / (target - held) <= at:
            return free / (target - held)
        low = shortest(q, bounds)
        if kind == 0:  # from its shortest interval to the pace
            held -= 1 / low
            free += 1 / math.sqrt(q)
        else:  # from the pace to the staleness bound
            free -= 1 / math.sqrt(q)
            held += 1 / max(low, bounds.stale)
    return _NEVER


def poll_rate(calls_per_second: float, *, calls_per_poll: float, writes_per_second: float = 0.0,
              hints_per_second: float = 0.0) -> float:
    """Polls per second the budget pays for: what writes and change-list reads leave, divided by what a poll
    really costs (a full read every RECONCILE_EVERY_POLLS-th poll adds a status read, long lists add pages)."""
    left = max(0.0, calls_per_second - writes_per_second - hints_per_second)
    return left / max(1.0, calls_per_poll)


@dataclass(frozen=True)
class Candidate:
    link_id: int
    last_polled: float | None  # None: never polled, due at once
    interval: float
    hinted: bool = False  # a change list says the conversation moved: due at once (bot/bridge/hints.py)

    @property
    def due_at(self) -> float:
        return -_NEVER if self.last_polled is None or self.hinted else self.last_polled + self.interval

    def overdue(self, now: float) -> float:
        """How many of its own intervals the link has waited (1 = just due)."""
        return _NEVER if self.last_polled is None or self.hinted else (now - self.last_polled) / self.interval


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
    late = [now - c.last_polled - c.interval for c in candidates if c.last_polled is not None]
    return max([0.0, *late])
