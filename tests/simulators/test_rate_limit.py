"""The Cloudforce One fake's rate limit, as Cloudflare documents it: Ratelimit headers on every answer,
429 + Retry-After after going over, and every call blocked until the block ends."""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.rate_limit import WindowLimit


def test_the_fake_counts_calls_and_blocks_everything_after_going_over(cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    limit = cf.set_rate_limit(requests=2, window=60, block=30)
    url = f"{cf.base_url}/accounts/{cf.account_id}/cloudforce-one/requests/{request_id}"
    headers = {"Authorization": f"Bearer {cf.api_token}"}
    first, second, third, fourth = (httpx.get(url, headers=headers) for _ in range(4))
    assert first.status_code == second.status_code == 200
    assert first.headers["Ratelimit"] == '"default";r=1;t=60'
    assert second.headers["Ratelimit-Policy"] == '"default";q=2;w=60'
    assert third.status_code == 429 and third.headers["Retry-After"] == "30"
    assert third.json()["errors"][0]["code"] == 971 and third.headers["Ratelimit"] == '"default";r=0;t=30'
    assert fourth.status_code == 429  # blocked, whatever the window says
    assert (limit.admitted, limit.throttled) == (2, 2)


def test_a_new_window_starts_when_the_block_ends() -> None:
    now = [0.0]
    limit = WindowLimit(requests=1, window=10, block=5, clock=lambda: now[0])
    assert limit.admit()[0] and not limit.admit()[0]
    now[0] = 4.9
    assert not limit.admit()[0]
    now[0] = 5.0
    allowed, headers = limit.admit()
    assert allowed and headers["Ratelimit"] == '"default";r=0;t=10'
    limit.block_now(2)  # the same user went over elsewhere
    assert limit.admit() == (False, {"Ratelimit": '"default";r=0;t=2', "Ratelimit-Policy": '"default";q=1;w=10',
                                     "Retry-After": "2"})


@settings(max_examples=300, deadline=None)
@given(start=st.floats(min_value=0, max_value=1e4), window=st.sampled_from([2.0, 60.0, 300.0]),
       block=st.sampled_from([2.0, 30.0, 300.0]))
def test_the_headers_do_not_depend_on_the_clock_value(start: float, window: float, block: float) -> None:
    """`ceil(start + 60 - now)` read 61 for some clock values (one run in fourteen on a fresh boot)."""
    now = [start]
    limit = WindowLimit(requests=1, window=window, block=block, clock=lambda: now[0])
    allowed, headers = limit.admit()
    assert allowed and headers["Ratelimit"] == f'"default";r=0;t={int(window)}'
    refused, headers = limit.admit()
    assert not refused and headers["Retry-After"] == str(int(block))
    limit.block_now(block)
    assert limit.admit()[1]["Retry-After"] == str(int(block))
