"""Change hints (bot/bridge/hints.py), poll costs (bot/bridge/poll_costs.py) and a conversation's last
activity (bot/bridge/poller.py), without I/O."""

from __future__ import annotations

import pytest

from bot.bridge.hints import Scan, advance, moved, read_on, stamp
from bot.bridge.poll_costs import PollCosts, Totals
from bot.bridge.poller import last_activity
from bot.providers.base import ProviderMessage, RequestChange


def page(*items: tuple[str, str]) -> list[RequestChange]:
    return [RequestChange(request_id=r, updated=f"2026-12-06T03:00:{s}Z") for r, s in items]


def scanned(*pages: list[RequestChange]) -> Scan:
    scan = Scan()
    for found in pages:
        advance(found, scan)
    return scan


def test_the_first_scan_only_sets_the_mark() -> None:
    first = page(("a", "10"), ("b", "05"))
    scan = Scan()
    assert moved(first, scan) == []
    advance(first, scan)
    assert scan.mark == stamp("2026-12-06T03:00:10Z")


def test_a_request_is_named_once_per_change_including_a_tie_at_the_mark() -> None:
    scan = scanned(page(("a", "10"), ("b", "05")))
    # c changed in the same instant as a's change (a tie at the mark); a itself did not change again.
    again = page(("d", "20"), ("c", "10"), ("a", "10"), ("b", "05"))
    assert moved(again, scan) == ["d", "c"]
    advance(again, scan)
    assert moved(page(("d", "20"), ("c", "10")), scan) == []
    assert moved(page(("b", "30"), ("d", "20")), scan) == ["b"]


def test_the_next_page_is_read_only_while_a_full_page_is_all_new() -> None:
    scan = scanned(page(("a", "10")))
    assert read_on(page(("c", "30"), ("b", "20")), scan, page_size=2)
    assert not read_on(page(("c", "30"), ("a", "05")), scan, page_size=2)
    assert not read_on(page(("c", "30")), scan, page_size=2)
    assert not read_on(page(("c", "30"), ("b", "20")), Scan(), page_size=2)  # the first scan reads one page


def message(number: int, created: str | None) -> ProviderMessage:
    return ProviderMessage(id=str(number), author="ana", content="hi", created=created, updated=created)


def test_last_activity_is_when_the_other_side_wrote_on_its_clock_not_when_the_poll_saw_it() -> None:
    now = stamp("2026-12-06T03:00:00Z").timestamp()
    old, new = message(1, "2026-11-20T10:00:00Z"), message(2, "2026-12-06T02:59:00Z")
    assert last_activity([old, new], new={"2"}, first=False, now=now, changed=False) == now - 60
    # Back-filled on linking: a conversation quiet for two weeks is quiet, not busy because it was just linked.
    assert last_activity([old], new={"1"}, first=True, now=now, changed=False) == stamp(old.created or "").timestamp()
    assert last_activity([old], new=set(), first=False, now=now, changed=False) is None
    assert last_activity([], new=set(), first=True, now=now, changed=False) == now  # nothing older to go by
    assert last_activity([old], new=set(), first=False, now=now, changed=True) == now  # an edit or deletion
    ahead = message(3, "2026-12-06T03:00:30Z")  # the provider's clock a little ahead of ours
    assert last_activity([ahead], new={"3"}, first=False, now=now, changed=False) == now


def test_poll_costs_follow_what_polls_really_spend() -> None:
    costs = PollCosts(reconcile_every_polls=10)
    assert costs.calls_per_poll == pytest.approx(1.1)
    costs.update(Totals(at=0.0, writes=0, poll_calls=0, polls=0, hint_calls=0))
    for period in range(1, 30):  # every poll costs 1.5 calls, the change list 2 calls and writes 1 call per 10 s
        costs.update(Totals(at=10.0 * period, writes=period, poll_calls=17 * period, polls=10 * period,
                            hint_calls=2 * period))
    assert costs.calls_per_poll == pytest.approx(1.5, rel=1e-3)
    assert costs.writes_per_second == pytest.approx(0.1, rel=1e-3)
    costs.update(Totals(at=300.0, writes=29, poll_calls=17 * 29 + 4, polls=291, hint_calls=58))
    assert costs.calls_per_poll == pytest.approx(1.5, rel=1e-3)  # two polls say too little to move it
