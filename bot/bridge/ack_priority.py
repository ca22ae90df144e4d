"""Slack's acks go first: background work (applying stored events) waits while requests are being acked.

Slack wants its 200 within 3 s and retries otherwise. An ack is cheap (store the event, answer), but it
shares the event loop with the work of applying earlier events; under a burst, acks queued behind that
work. The background yields to acks in flight, for at most `max_wait` so it never starves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class AckPriority:
    def __init__(self, *, max_wait: float = 0.25) -> None:
        self._max_wait = max_wait
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        """Around the handling of one Slack request, until its answer is ready."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def yield_to_acks(self) -> None:
        """Wait until no ack is in flight, or `max_wait` seconds at most."""
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self._max_wait)
