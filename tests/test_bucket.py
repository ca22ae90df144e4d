"""Token-bucket arithmetic and rate-limit headers (bot/budget/bucket.py), without I/O."""

from __future__ import annotations

import pytest

from bot.budget.bucket import (
    Limit,
    Policy,
    Quota,
    adapted_limit,
    parse_limit,
    parse_policy,
    parse_ratelimit,
    refilled,
    token_ceiling,
    wait_seconds,
)


def test_a_limit_reads_requests_per_seconds() -> None:
    limit = parse_limit("1080/300")
    assert limit == Limit(requests=1080, window=300)
    assert limit.per_second == pytest.approx(3.6)
    assert str(limit) == "1080/300"


@pytest.mark.parametrize("text", ["", "1080", "1080/0", "0/300", "fast", "-5/10", "10/-1"])
def test_a_malformed_limit_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_limit(text)


def test_the_default_cloudflare_budget_stays_under_the_real_limit_in_any_five_minutes() -> None:
    limit = parse_limit("1080/300")
    # A full bucket at the start plus five minutes of refill: the most any 300 s window can see.
    assert limit.capacity + limit.per_second * 300 <= 1200
    assert 0 < limit.reserve < limit.capacity


def test_a_tiny_limit_still_lets_polls_take_a_token() -> None:
    limit = Limit(requests=10, window=60)
    assert limit.capacity == 1.0 and limit.reserve == 0.0


def test_refill_grows_with_time_up_to_capacity_and_repays_debt() -> None:
    assert refilled(0.0, elapsed=2.0, per_second=4.0, capacity=60.0) == 8.0
    assert refilled(50.0, elapsed=10.0, per_second=4.0, capacity=60.0) == 60.0
    assert refilled(-40.0, elapsed=5.0, per_second=4.0, capacity=60.0) == -20.0
    assert refilled(5.0, elapsed=-3.0, per_second=4.0, capacity=60.0) == 5.0  # a clock step back adds nothing


def test_wait_is_the_time_to_refill_above_the_floor() -> None:
    assert wait_seconds(3.0, cost=1.0, floor=0.0, per_second=4.0) == 0.0
    assert wait_seconds(0.0, cost=1.0, floor=0.0, per_second=4.0) == 0.25
    assert wait_seconds(10.0, cost=1.0, floor=13.0, per_second=4.0) == 1.0  # polls leave the reserve


def test_cloudflare_headers_are_read() -> None:
    assert parse_ratelimit('"default";r=50;t=30') == [Quota("default", 50, 30)]
    assert parse_policy('"burst";q=100;w=60, "default";q=1200;w=300') == [
        Policy("burst", 100, 60), Policy("default", 1200, 300)]
    assert parse_ratelimit("default;r=2.5;t=1") == [Quota("default", 2.5, 1)]  # token names, decimals


@pytest.mark.parametrize("value", [None, "", "garbage;;", '"default";r=-1;t=3', '"default";r=?1;t=3',
                                   '"default";t=30', "ab\u00e9c;r=1;t=1"])
def test_unreadable_headers_are_ignored(value: str | None) -> None:
    assert parse_ratelimit(value) == []


def test_the_ceiling_keeps_the_next_window_within_what_is_left() -> None:
    # 50 calls left for 30 s at 1 call/s: the bucket may still hold 20.
    assert token_ceiling([Quota("default", 50, 30)], per_second=1.0) == 20.0
    # None left for 10 s: a debt of 10 s of refill, so nothing is sent until the window turns.
    assert token_ceiling([Quota("default", 0, 10)], per_second=4.0) == -40.0
    assert token_ceiling([Quota("a", 100, 10), Quota("b", 5, 1)], per_second=1.0) == 4.0
    assert token_ceiling([], per_second=1.0) is None


def test_a_tighter_policy_lowers_the_limit_a_looser_one_does_not() -> None:
    configured = Limit(1080, 300)
    assert adapted_limit([Policy("default", 1200, 300)], configured=configured) == configured
    tighter = adapted_limit([Policy("default", 600, 300)], configured=configured)
    assert tighter.per_second == pytest.approx(600 * 0.9 / 300)
    assert adapted_limit([], configured=configured) == configured
