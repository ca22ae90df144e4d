"""When each link is polled (bot/schedule.py), without I/O."""

from __future__ import annotations

import pytest

from bot.schedule import (
    IDLE_FLOOR_SECONDS,
    Bounds,
    Candidate,
    idle_interval,
    interval,
    lag,
    pick,
)

BOUNDS = Bounds(active=5.0, stale=900.0)
NOW = 100_000.0


def test_a_busy_conversation_is_polled_at_the_active_interval() -> None:
    assert interval(now=NOW, last_activity=NOW - 3, last_slack_reply=None, bounds=BOUNDS, longest=900) == 5.0


def test_the_interval_grows_with_the_silence_up_to_the_longest() -> None:
    quiet = [interval(now=NOW, last_activity=NOW - s, last_slack_reply=None, bounds=BOUNDS, longest=900)
             for s in (60, 600, 3600, 86_400)]
    assert quiet == [6.0, 60.0, 360.0, 900.0]


def test_a_link_with_no_activity_known_waits_the_longest() -> None:
    assert interval(now=NOW, last_activity=None, last_slack_reply=None, bounds=BOUNDS, longest=700) == 700


def test_a_reply_from_slack_makes_an_idle_link_busy() -> None:
    idle = interval(now=NOW, last_activity=NOW - 86_400, last_slack_reply=None, bounds=BOUNDS, longest=900)
    replied = interval(now=NOW, last_activity=NOW - 86_400, last_slack_reply=NOW - 1, bounds=BOUNDS, longest=900)
    assert idle == 900 and replied == 5.0
    # ...and counts double: ten minutes after a reply the link is polled twice as often as after a message.
    after_reply = interval(now=NOW, last_activity=None, last_slack_reply=NOW - 600, bounds=BOUNDS, longest=900)
    after_message = interval(now=NOW, last_activity=NOW - 600, last_slack_reply=None, bounds=BOUNDS, longest=900)
    assert after_reply == after_message / 2


def test_the_idle_interval_is_the_staleness_bound_when_the_budget_is_tight() -> None:
    # 1,000 links at 3.6 calls/s: idle links may use 40%, which would need 694 s; the bound allows 900 s.
    assert idle_interval(links=1000, polls_per_second=3.6, bounds=BOUNDS) == pytest.approx(1000 / (3.6 * 0.4))
    assert idle_interval(links=5000, polls_per_second=3.6, bounds=BOUNDS) == 900


def test_a_small_deployment_polls_idle_links_every_minute_not_every_few_seconds() -> None:
    assert idle_interval(links=3, polls_per_second=3.6, bounds=BOUNDS) == IDLE_FLOOR_SECONDS
    assert idle_interval(links=3, polls_per_second=3.6, bounds=Bounds(active=120, stale=900)) == 120


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
