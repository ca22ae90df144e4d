"""Change hints: which requests moved, read from a provider's change list (one call covers its 50 most
recently changed requests) instead of learnt by polling each one.

A hint only brings a link's next poll forward; it never stands in for one. Polls keep every link within
its interval and the staleness bound (bot/bridge/schedule.py) whatever the change list says, so a
provider whose list does not move when a conversation does (Cloudforce One's spec does not say whether a
new message moves its request's `updated`) costs the scan's calls and nothing else. CHANGE_HINT_SECONDS
sets how often the list is read; 0 turns hints off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.budget.ledger import polling
from bot.errors import BridgeError
from bot.providers.base import Provider, RequestChange, SupportsChangeList

log = logging.getLogger(__name__)

# Pages read in one scan at most: beyond 200 requests changed between two scans, polls find the rest.
MAX_PAGES = 4


def stamp(value: str) -> datetime:
    """A provider's RFC 3339 time."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Scan:
    """What one provider's change list said last time (pure state: `moved` reads and updates it)."""

    mark: datetime | None = None  # the newest change seen: older ones were seen before
    seen: dict[str, datetime] = field(default_factory=dict)  # request -> its change at `mark` or later


def moved(page: Sequence[RequestChange], scan: Scan) -> list[str]:
    """The requests on this page (newest change first) that changed since the scan before (pure).

    The first scan only sets the mark: what changed before the bridge looked is the polls' business.
    Two changes stamped alike are told apart by request, so a tie at the mark is not lost.
    """
    if scan.mark is None:
        return []
    found = []
    for change in page:
        when = stamp(change.updated)
        if when >= scan.mark and scan.seen.get(change.request_id) != when:
            found.append(change.request_id)
    return found


def read_on(page: Sequence[RequestChange], scan: Scan, *, page_size: int) -> bool:
    """Whether the next page may hold more changes: this one was full and all of it is new."""
    return scan.mark is not None and len(page) >= page_size and stamp(page[-1].updated) >= scan.mark


def advance(pages: Sequence[RequestChange], scan: Scan) -> None:
    """Remember what this scan saw (newest first), so the next one reports only what changes after it."""
    if not pages:
        return
    newest = stamp(pages[0].updated)
    if scan.mark is None or newest > scan.mark:
        scan.seen = {c.request_id: stamp(c.updated) for c in pages if stamp(c.updated) >= newest}
        scan.mark = newest
    else:
        scan.seen.update({c.request_id: stamp(c.updated) for c in pages if stamp(c.updated) >= scan.mark})


class ChangeHints:
    """Reads each provider's change list every `every` seconds (as a poll: it leaves writes their reserve)."""

    def __init__(self, providers: Mapping[str, Provider], *, every: float,
                 clock: Callable[[], float]) -> None:
        self._lists = {name: p for name, p in providers.items() if isinstance(p, SupportsChangeList)} \
            if every > 0 else {}
        self._every = every
        self._clock = clock
        self._scans: dict[str, Scan] = {}
        self._last: dict[str, float] = {}
        self.calls: dict[str, int] = {}  # pages read per provider (calls the pace must leave them)

    def per_second(self, provider: str) -> float:
        """Calls per second the scans of this provider take (at least one per scan)."""
        return 1.0 / self._every if provider in self._lists else 0.0

    async def moved(self, provider: str) -> list[str]:
        """The requests of `provider` that changed since the last scan, if a scan is due now; else []."""
        source = self._lists.get(provider)
        now = self._clock()
        if source is None or now - self._last.get(provider, -self._every) < self._every:
            return []
        self._last[provider] = now
        scan = self._scans.setdefault(provider, Scan())
        found: list[str] = []
        read: list[RequestChange] = []
        try:
            with polling():
                for number in range(1, MAX_PAGES + 1):
                    self.calls[provider] = self.calls.get(provider, 0) + 1
                    page = await source.recently_changed(page=number)
                    found += moved(page, scan)
                    read += page
                    if not read_on(page, scan, page_size=source.change_page_size):
                        break
        except BridgeError as exc:  # the budget short, or the provider failing: the polls carry on
            log.debug("change list not read", extra={"provider": provider, "error": str(exc)})
            return found
        advance(read, scan)
        return found
