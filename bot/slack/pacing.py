"""Spacing calls to a rate-limited API method (e.g. Slack's conversations.replies, Tier 3)."""

from __future__ import annotations

import asyncio
import time


class Pacer:
    """Lets at most `per_minute` calls through per minute, evenly spaced; callers wait their turn."""

    def __init__(self, per_minute: float) -> None:
        self._interval = 60.0 / per_minute
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + self._interval
