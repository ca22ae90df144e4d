"""The order of a provider's message list, for providers whose docs do not state it (Huawei, JITSudo).

A list may come oldest first or newest first, and two messages may share a timestamp (an engineer
answering twice within a second; Huawei's naive times show whole seconds). The direction is read from
the list's own times and remembered, so a list whose times are all equal is still turned the right
way; between equal times the server's own order is kept, never an id's (a UUID orders nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")
_FLOOR = datetime.min.replace(tzinfo=UTC)


class ListOrder:
    """Turns a provider's list answers oldest first, learning the server's direction as it goes."""

    def __init__(self) -> None:
        self.newest_first: bool | None = None  # unknown until a list shows two different times

    def oldest_first(self, items: Sequence[T], times: Sequence[datetime | None]) -> list[T]:
        """`items` (with their creation times, None when unreadable) oldest first; equal times keep the
        server's order, read in its direction."""
        known = [t for t in times if t is not None]
        if len(known) >= 2 and known[0] != known[-1]:
            self.newest_first = known[0] > known[-1]
        order = list(range(len(items)))
        if self.newest_first:
            order.reverse()
        # A stable sort: the server's order (turned round if need be) stays between equal times.
        order.sort(key=lambda i: times[i] or _FLOOR)
        return [items[i] for i in order]
