"""When each link is polled (bot/bridge/schedule.py), without I/O."""

from __future__ import annotations

import math
import random

import pytest

from bot.bridge.schedule import (
    IDLE_FLOOR_SECONDS,
    Bounds,
    Candidate,
    interval,
    lag,
    pace,
    pick,
    poll_rate,
    shortest,
    silence,
)

BOUNDS = Bounds(active=5.0, stale=900.0)
NOW = 100_000.0


def test_silence_is_the_time_since_the_last_message_either_side() -> None:
    assert silence(now=NOW, last_activity=NOW - 30, last_slack_reply=None) == 30
    assert math.isinf(silence(now=NOW, last_activity=None, last_slack_reply=None))
    # A reply from Slack counts as four times more recent: an analyst will likely answer it.
    assert silence(now=NOW, last_activity=NOW - 86_400, last_slack_reply=NOW - 400) == 100
    assert silence(now=NOW, last_activity=NOW + 5, last_slack_reply=None) == 0  # clocks a little apart


def test_a_quiet_link_is_never_polled_more_often_than_a_tenth_of_its_silence_up_to_a_minute() -> None:
    assert [shortest(q, BOUNDS) for q in (0, 30, 200, 3600, 86_400)] == [5, 5, 20, IDLE_FLOOR_SECONDS, 60]
    assert shortest(86_400, Bounds(active=120, stale=900)) == 120


def test_the_interval_grows_as_the_square_root_of_the_silence_within_the_bounds() -> None:
    assert interval(400, pace=2.0, bounds=BOUNDS) == 40.0
    assert interval(1600, pace=2.0, bounds=BOUNDS) == 80.0  # four times quieter: half as often
    assert interval(1, pace=2.0, bounds=BOUNDS) == 5.0  # never below POLL_INTERVAL_SECONDS
    assert interval(1_000_000, pace=2.0, bounds=BOUNDS) == 900.0  # never above the staleness bound
    assert interval(math.inf, pace=2.0, bounds=BOUNDS) == 900.0  # nothing known: the bound
    assert interval(86_400, pace=0.0, bounds=BOUNDS) == 60.0  # budget to spare: idle ones once a minute


def _polls_per_second(quiet: list[float], speed: float) -> float:
    return sum(1 / interval(q, pace=speed, bounds=BOUNDS) for q in quiet)


def test_the_pace_spends_exactly_the_budget() -> None:
    rng = random.Random(7)
    quiet = [rng.uniform(1, 900) for _ in range(50)] + [rng.uniform(86_400, 2_592_000) for _ in range(950)]
    for budget in (1.5, 3.6, 10.0):
        speed = pace(quiet, polls_per_second=budget, bounds=BOUNDS)
        assert _polls_per_second(quiet, speed) == pytest.approx(budget, rel=1e-6)
    # A larger budget is a faster pace: every interval shorter or equal.
    slow, fast = (pace(quiet, polls_per_second=b, bounds=BOUNDS) for b in (1.5, 10.0))
    assert all(interval(q, pace=fast, bounds=BOUNDS) <= interval(q, pace=slow, bounds=BOUNDS) for q in quiet)


def test_the_pace_at_the_extremes() -> None:
    quiet = [10.0, 1000.0, 86_400.0, math.inf, 0.0]
    # Budget for every link at its shortest interval: pace 0, nothing is slowed.
    assert pace(quiet, polls_per_second=100, bounds=BOUNDS) == 0.0
    # Not even enough for the staleness bound: everything at the bound, and the ticks pick the most overdue.
    assert math.isinf(pace(quiet, polls_per_second=0.001, bounds=BOUNDS))
    assert pace([], polls_per_second=1, bounds=BOUNDS) == 0.0


def test_busy_conversations_get_most_of_a_tight_budget() -> None:
    busy, idle = [30.0] * 50, [86_400.0 * 7] * 950
    speed = pace(busy + idle, polls_per_second=3.6, bounds=BOUNDS)
    assert interval(30.0, pace=speed, bounds=BOUNDS) < 30 and interval(86_400 * 7, pace=speed, bounds=BOUNDS) == 900


def test_only_due_links_are_picked() -> None:
    due = Candidate(1, last_polled=NOW - 10, interval=5)
    not_due = Candidate(2, last_polled=NOW - 1, interval=5)
    assert pick([due, not_due], now=NOW, slots=10, stale=900) == [due]


def test_when_slots_are_short_the_most_overdue_relative_to_their_interval_go_first() -> None:
    busy = Candidate(1, last_polled=NOW - 20, interval=5)  # 4 intervals late
    quiet = Candidate(2, last_polled=NOW - 400, interval=300)  # 1.3 intervals late
    never = Candidate(3, last_polled=None, interval=900)  # never polled: at once
    assert pick([quiet, busy, never], now=NOW, slots=2, stale=900) == [never, busy]
    assert pick([quiet, busy], now=NOW, slots=0, stale=900) == []


def test_a_link_past_the_staleness_bound_goes_before_busy_ones() -> None:
    busy = Candidate(1, last_polled=NOW - 50, interval=5)
    starved = Candidate(2, last_polled=NOW - 1000, interval=900)
    assert pick([busy, starved], now=NOW, slots=1, stale=900) == [starved]


def test_lag_is_how_late_the_latest_link_is() -> None:
    assert lag([Candidate(1, NOW - 20, 5), Candidate(2, NOW - 100, 60), Candidate(3, None, 5)], now=NOW) == 40
    assert lag([Candidate(1, NOW - 1, 5)], now=NOW) == 0.0


def test_a_hinted_link_is_due_at_once_after_the_starved_ones_and_before_the_merely_overdue() -> None:
    busy = Candidate(1, last_polled=NOW - 50, interval=5)  # 10 intervals late
    hinted = Candidate(2, last_polled=NOW - 1, interval=900, hinted=True)  # polled a second ago, but it moved
    starved = Candidate(3, last_polled=NOW - 1000, interval=900)
    assert pick([busy, hinted, starved], now=NOW, slots=2, stale=900) == [starved, hinted]
    assert lag([hinted], now=NOW) == 0.0  # a hint is not lateness


def test_the_pace_plans_with_what_a_poll_really_costs_and_what_writes_and_hints_leave() -> None:
    assert poll_rate(3.6, calls_per_poll=1.0) == 3.6
    assert poll_rate(3.6, calls_per_poll=1.2) == pytest.approx(3.0)
    assert poll_rate(3.6, calls_per_poll=1.2, writes_per_second=0.6, hints_per_second=0.6) == pytest.approx(2.0)
    assert poll_rate(1.0, calls_per_poll=1.1, writes_per_second=2.0) == 0.0
