"""paging.walk without I/O: a fetch function stands in for each kind of server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.providers.cloudforce_one.paging import Fetch, Item, Order, Paging, walk

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ITEMS = [Item(str(n), T0 + timedelta(seconds=n, milliseconds=250)) for n in range(7)]


def server(*, base: int = 1, page_ignored: bool = False, after_ignored: bool = False,
           after_whole_seconds: bool = False) -> tuple[Fetch, list[tuple[int, datetime | None, Order]]]:
    calls: list[tuple[int, datetime | None, Order]] = []

    async def fetch(page: int, after: datetime | None, order: Order) -> list[Item]:
        calls.append((page, after, order))
        items = sorted(ITEMS, key=lambda i: i.created, reverse=order == "desc")
        if after is not None and not after_ignored:
            cut = after.replace(microsecond=0) if after_whole_seconds else after
            items = [i for i in items if i.created > cut]
        start = 0 if page_ignored else (page if base == 0 else max(page, 1) - 1) * 3
        return items[start: start + 3]

    return fetch, calls


@pytest.mark.parametrize("kind", [{"base": 0}, {"base": 1}, {"page_ignored": True}, {"after_ignored": True}])
def test_a_full_walk_reads_everything_once_learned_or_not(kind: dict[str, bool]) -> None:
    fetch, calls = server(**kind)
    paging = Paging()
    first = asyncio.run(walk(fetch, paging, since=None, per_page=3, max_calls=50))
    assert list(first.items) == [i.id for i in ITEMS] and first.complete
    learned = len(calls)
    calls.clear()
    again = asyncio.run(walk(fetch, paging, since=None, per_page=3, max_calls=50))
    assert list(again.items) == list(first.items)
    assert len(calls) <= learned  # what was learned is not paid for again


def test_a_server_keeping_after_to_whole_seconds_is_not_taken_for_one_that_ignores_it() -> None:
    fetch, _ = server(after_whole_seconds=True)
    paging = Paging()
    since = ITEMS[4].created + timedelta(milliseconds=500)  # sent as x.75 s, kept as x.0: x.25 comes back
    found = asyncio.run(walk(fetch, paging, since=since, per_page=3, max_calls=50))
    assert list(found.items) == ["5", "6"] and paging.after_ignored is False


def test_a_page_that_repeats_ends_the_walk() -> None:
    fetch, calls = server(page_ignored=True, after_ignored=True)
    found = asyncio.run(walk(fetch, Paging(), since=None, per_page=3, max_calls=200))
    assert not found.complete and len(calls) <= 4
