"""What the bot could not do while its database was unavailable: whether it is down, and which threads'
Slack events it refused.

An event the bot cannot store gets a non-200, Slack retries it a few times and then gives up: only the
thread remembers it. So a refused event's thread is noted here (in memory: the database is what failed),
its later events wait (bot/bridge/inbox.py), and once the database takes writes again the thread is read
back (bot/bridge/recovery.py), before anything newer in it is applied.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

from bot.slack.events import ThreadEvent

log = logging.getLogger(__name__)


def unavailable(exc: BaseException) -> bool:
    """Whether an exception means the database could not be reached or would not take a write (server down
    or restarting, connection lost, disk full, read-only file), rather than a bug."""
    if isinstance(exc, (IntegrityError, ProgrammingError, DataError)):
        return False
    return isinstance(exc, (DBAPIError, OSError, TimeoutError)) \
        or type(exc).__module__.split(".")[0] == "asyncpg"


@dataclass
class Missed:
    """Where refused events belong: threads, and messages whose thread the event did not name."""

    threads: set[tuple[str, str]] = field(default_factory=set)
    messages: set[tuple[str, str]] = field(default_factory=set)


class Outage:
    def __init__(self) -> None:
        self.down_since: float | None = None
        self._problem = ""
        self._missed = Missed()
        self._held: dict[tuple[str, str], float] = {}  # thread -> when its last event was refused

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def problem(self) -> str | None:
        """For /readyz: what is wrong with the database, while it is down."""
        return f"database: {self._problem}" if self.down else None

    def failed(self, exc: BaseException) -> None:
        """A database operation failed for want of the database."""
        self._problem = type(exc).__name__
        if self.down_since is None:
            self.down_since = time.time()
            log.warning("database unavailable; Slack events are refused and read back once it is back",
                        extra={"error": f"{type(exc).__name__}: {exc}"[:300]})

    def refused(self, event: ThreadEvent, exc: BaseException) -> None:
        """Slack gets a non-200 for this event: its thread must be read back."""
        if event.thread_ts:
            self._missed.threads.add((event.channel, event.thread_ts))
            self._held[(event.channel, event.thread_ts)] = time.time()
        else:
            self._missed.messages.add((event.channel, event.ts))
        if unavailable(exc):
            self.failed(exc)

    def unread(self, channel: str, thread_ts: str | None, exc: BaseException) -> None:
        """A thread's read back failed for want of the database: it is read once the database is back, and
        its events wait until then."""
        if thread_ts is not None:
            self._missed.threads.add((channel, thread_ts))
            self._held[(channel, thread_ts)] = time.time()
        self.failed(exc)

    def holds(self, channel: str, thread_ts: str | None) -> bool:
        """Whether a thread's events wait: one of them was refused, and the thread was not read back since."""
        return thread_ts is not None and (channel, thread_ts) in self._held

    def read_back(self, channel: str, thread_ts: str | None, *, read_at: float) -> None:
        """The thread was read back from `read_at`: a refusal before then is covered, a later one is not."""
        key = (channel, thread_ts or "")
        if key in self._held and self._held[key] <= read_at:
            del self._held[key]

    def missed(self) -> bool:
        return bool(self._missed.threads or self._missed.messages)

    def recovered(self) -> tuple[float, Missed]:
        """The database takes writes again: how long it was down (0 if it was not), and the refusals to read
        back (handed over: they are forgotten here)."""
        downtime = 0.0
        if self.down_since is not None:
            downtime = time.time() - self.down_since
            log.warning("database available again", extra={"down_seconds": round(downtime, 1)})
        self.down_since = None
        missed, self._missed = self._missed, Missed()
        return downtime, missed

    def put_back(self, missed: Missed) -> None:
        """Refusals that could not be handed over after all (the database failed again)."""
        self._missed.threads |= missed.threads
        self._missed.messages |= missed.messages
