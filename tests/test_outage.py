"""bot/bridge/outage.py: which failures mean the database is unavailable, and what a refused event leaves."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy.exc import IntegrityError, OperationalError

from bot.bridge.outage import Outage, unavailable
from bot.models import EventKind
from bot.slack.events import ThreadEvent


def event(kind: EventKind, ts: str, thread_ts: str | None) -> ThreadEvent:
    return ThreadEvent(kind, "C1", ts, thread_ts, "U1", "x", f"{kind}:C1:{ts}")


def test_an_unreachable_or_full_database_is_unavailable_and_a_bug_is_not() -> None:
    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    assert unavailable(full) and unavailable(ConnectionRefusedError()) and unavailable(TimeoutError())
    assert not unavailable(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")))
    assert not unavailable(KeyError("bug")) and not unavailable(ValueError("bug"))


def test_a_refused_event_holds_its_thread_until_it_is_read_back() -> None:
    outage = Outage()
    outage.refused(event(EventKind.REPLY, "2.1", "1.1"), ConnectionRefusedError())
    outage.refused(event(EventKind.DELETE, "3.1", None), ConnectionRefusedError())  # a deletion naming no thread
    assert outage.down and outage.problem() == "database: ConnectionRefusedError"
    assert outage.holds("C1", "1.1") and not outage.holds("C1", "9.9")
    downtime, missed = outage.recovered()
    assert downtime >= 0 and not outage.down and outage.problem() is None and not outage.missed()
    assert missed.threads == {("C1", "1.1")} and missed.messages == {("C1", "3.1")}
    assert outage.holds("C1", "1.1")  # still: until its thread has been read back
    outage.read_back("C1", "1.1", read_at=time.time() - 60)  # a read that began before the refusal
    assert outage.holds("C1", "1.1")
    outage.read_back("C1", "1.1", read_at=time.time())
    assert not outage.holds("C1", "1.1")


def test_an_event_refused_for_a_bug_is_read_back_but_the_database_is_not_down() -> None:
    outage = Outage()
    outage.refused(event(EventKind.EDIT, "2.1", "1.1"), KeyError("bug"))
    assert not outage.down and outage.missed()
