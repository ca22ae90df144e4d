"""The pacer spaces conversations.replies calls to the configured budget (virtual clock, no real waits)."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack import pacing


def test_calls_are_spaced_to_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(pacing.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(pacing.asyncio, "sleep", fake_sleep)

    async def scenario() -> list[float]:
        pacer = pacing.Pacer(per_minute=30)  # one call every 2 s
        times = []
        for _ in range(4):
            await pacer.wait()
            times.append(now[0])
        return times

    assert asyncio.run(scenario()) == [1000.0, 1002.0, 1004.0, 1006.0]
    assert slept == [2.0, 2.0, 2.0]
