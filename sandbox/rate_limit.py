"""An API rate limit as Cloudflare documents it, for the provider fakes.

https://developers.cloudflare.com/fundamentals/api/reference/limits/ : a number of calls per window per
user; going over blocks every call for five minutes with HTTP 429. Every answer carries
`Ratelimit: "default";r=<calls left>;t=<seconds until the window resets>` and
`Ratelimit-Policy: "default";q=<calls>;w=<window seconds>`; a 429 also carries `Retry-After` (seconds,
rounded up).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class WindowLimit:
    """`requests` calls per `window` seconds; going over blocks every call for `block` seconds."""

    def __init__(self, *, requests: int, window: float, block: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.requests, self.window, self.block = requests, window, block
        self._clock = clock
        self._lock = threading.Lock()
        self._started: float | None = None
        self._used = 0
        self._blocked_until = 0.0
        self._block_started = 0.0
        self._block_length = block
        self.throttled = 0  # 429s answered
        self.admitted = 0
        self.refused_at: list[float] = []  # clock times of the 429s
        self.admitted_at: list[float] = []

    @property
    def blocked_until(self) -> float:
        """When the latest block ends, on this limit's own clock."""
        with self._lock:
            return self._blocked_until

    def block_now(self, seconds: float | None = None) -> None:
        """The same user went over elsewhere (the dashboard, another tool): every call is blocked for a while."""
        with self._lock:
            now = self._clock()
            self._block(now, self.block if seconds is None else seconds)
            self._started, self._used = self._blocked_until, 0

    def admit(self) -> tuple[bool, dict[str, str]]:
        """Count one call: (allowed, the headers of its answer)."""
        with self._lock:
            now = self._clock()
            if now < self._blocked_until:
                return False, self._refusal(now)
            if self._started is None or now - self._started >= self.window:
                self._started, self._used = now, 0
            if self._used >= self.requests:
                self._block(now, self.block)
                # A new window starts when the block ends.
                self._started, self._used = self._blocked_until, 0
                return False, self._refusal(now)
            self._used += 1
            self.admitted += 1
            self.admitted_at.append(now)
            return True, self._headers(remaining=self.requests - self._used,
                                       reset=whole_seconds_left(self.window, elapsed=now - self._started))

    def _block(self, now: float, seconds: float) -> None:
        self._block_started, self._block_length = now, seconds
        self._blocked_until = now + seconds

    def _refusal(self, now: float) -> dict[str, str]:
        self.throttled += 1
        self.refused_at.append(now)
        # The block is measured from its own start, like the window: `until - now` loses the fraction
        # differently for each clock value (60 seconds could round up to 61).
        wait = max(1, whole_seconds_left(self._block_length, elapsed=now - self._block_started))
        return {**self._headers(remaining=0, reset=wait), "Retry-After": str(wait)}

    def _headers(self, *, remaining: int, reset: int) -> dict[str, str]:
        return {"Ratelimit": f'"default";r={remaining};t={reset}',
                "Ratelimit-Policy": f'"default";q={self.requests};w={math.ceil(self.window)}'}


def whole_seconds_left(length: float, *, elapsed: float) -> int:
    """Whole seconds left of a span of `length` seconds, `elapsed` into it, rounded up as Retry-After is.

    Computed from the elapsed time, never as `ceil(start + length - now)`: adding a length to a large clock
    value and subtracting another is not exact in floating point, so a span that has just begun could read
    one second longer than it is (60 -> 61). A hundredth of a microsecond is forgiven for the same reason.
    """
    return max(0, math.ceil(length - elapsed - 1e-9))
