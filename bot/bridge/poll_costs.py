"""What polling really costs, measured as the poller runs: the pace (bot/bridge/schedule.py) plans polls
with it, so the plan fits what the budget can pay for instead of assuming one call per poll."""

from __future__ import annotations

from dataclasses import dataclass

# Weight of the latest period in the running figures (a period is one re-pacing, 10 s).
SMOOTHING = 0.3
# Fewer polls than this in a period say too little about their cost: the figure stays as it was.
MIN_POLLS = 5


@dataclass
class Totals:
    """Running totals of one provider, as counted by the budget, the poller and the change hints."""

    at: float
    writes: float  # calls taken by Slack-driven work
    poll_calls: float  # calls taken by polls and change-list reads
    polls: int
    hint_calls: int


class PollCosts:
    """Calls per poll and writes per second of one provider, each smoothed over re-pacing periods."""

    def __init__(self, *, reconcile_every_polls: int) -> None:
        # Before anything is measured: one list call, plus the status read of every Nth (full) poll.
        self.calls_per_poll = 1.0 + 1.0 / reconcile_every_polls
        self.writes_per_second = 0.0
        self._last: Totals | None = None

    def update(self, now: Totals) -> None:
        last, self._last = self._last, now
        if last is None or now.at <= last.at:
            return
        writes = (now.writes - last.writes) / (now.at - last.at)
        self.writes_per_second += SMOOTHING * (writes - self.writes_per_second)
        polls = now.polls - last.polls
        if polls >= MIN_POLLS:
            cost = max(1.0, (now.poll_calls - last.poll_calls - (now.hint_calls - last.hint_calls)) / polls)
            self.calls_per_poll += SMOOTHING * (cost - self.calls_per_poll)
