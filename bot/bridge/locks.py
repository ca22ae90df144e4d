"""One lock per link: Slack events and polls of the same thread never interleave."""

from __future__ import annotations

import asyncio


class LinkLocks:
    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    def __call__(self, link_id: int) -> asyncio.Lock:
        return self._locks.setdefault(link_id, asyncio.Lock())
