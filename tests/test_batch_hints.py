"""bot/bridge/batch_hints.py without I/O: how often the batch API is asked, how long a hint lasts, and what
a failing batch call does."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bot.bridge.batch_hints import BatchHints
from bot.errors import NotFound, Unavailable


class Batch:
    """Stands in for a provider with ListNewInstantMessages."""

    name = "huawei"

    def __init__(self, answers: list[Any]) -> None:
        self.answers, self.asked = answers, 0

    async def changed_requests(self, request_ids: Sequence[str]) -> set[str]:
        self.asked += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return set(answer)


def hinted(hints: BatchHints, provider: Any, now: float) -> set[str] | None:
    return asyncio.run(hints.hinted("huawei", provider, ["A", "B", "C"], now=now))


def test_asked_once_per_interval_and_a_hint_lasts_until_polled() -> None:
    provider, hints = Batch([{"B"}, set()]), BatchHints(every=5)
    assert hinted(hints, provider, 0.0) == {"B"}
    assert hinted(hints, provider, 1.0) == {"B"} and provider.asked == 1  # not asked again within 5 s
    hints.polled("huawei", "B")
    assert hinted(hints, provider, 2.0) == set()
    assert hinted(hints, provider, 6.0) == set() and provider.asked == 2


def test_a_passing_failure_falls_back_for_the_tick_a_refusal_for_good() -> None:
    provider, hints = Batch([Unavailable("down"), {"A"}, NotFound("no such API")]), BatchHints(every=5)
    assert hinted(hints, provider, 0.0) is None
    assert hinted(hints, provider, 5.0) == {"A"}
    assert hinted(hints, provider, 10.0) is None
    assert hinted(hints, provider, 20.0) is None and provider.asked == 3  # refused: never asked again


def test_a_provider_without_the_batch_api_gets_no_hints() -> None:
    assert hinted(BatchHints(every=5), object(), 0.0) is None
