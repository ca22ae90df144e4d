"""Reading Cloudforce One's message list so that no server behaviour can make it run away.

The list call takes `page` and `per_page`, but nothing says where pages start: the spec's example sends
`page: 0`, Cloudflare's v4 convention is 1-based, and the official SDK models the list as one page
(`SyncSinglePage`). A server may also ignore `page` (every page the same) or `after` (old messages in a
poll). What this account's server does is learned once, from the answers, and kept in `Paging`:

- the first page asked for is 0 until the base is known: a 1-based server that reads 0 as 1 answers it
  with its first page too. Only a full page needs a second call, and that call tells the base: page 1
  repeating page 0 means 1-based (or `page` ignored, which page 2 repeating again shows);
- a page that brings no id not already seen ends the walk: a server ignoring `page` costs at most two
  extra calls, once, and is then read by moving `after` forward (keyset paging) instead;
- a first page reaching back before `after` means `after` is ignored: incremental reads then go newest
  first and stop at the first page that reaches the cursor.

A quiet request costs one call per poll against each of these servers (bench/paging.py shows the counts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

# One microsecond before the newest message seen: keyset paging re-reads messages sharing its timestamp
# (known ids are skipped) rather than lose one.
KEYSET_STEP = timedelta(microseconds=1)
AFTER_PRECISION = timedelta(seconds=1)


@dataclass
class Paging:
    """What this account's message list turned out to do; None: not seen yet."""

    base: int | None = None  # the first page's number, 0 or 1
    page_ignored: bool | None = None  # every page answered the same
    after_ignored: bool | None = None  # messages older than `after` came back


FLAGS = ("page_ignored", "after_ignored")


def as_facts(paging: Paging) -> dict[str, str]:
    """What was learned, for the store."""
    facts = {"page_base": str(paging.base)} if paging.base is not None else {}
    facts.update({flag: "yes" if getattr(paging, flag) else "no" for flag in FLAGS
                  if getattr(paging, flag) is not None})
    return facts


def from_facts(facts: Mapping[str, str]) -> Paging:
    """The Paging an earlier run learned; what it did not learn (or cannot be read) stays unknown."""
    base = facts.get("page_base")
    paging = Paging(base=int(base) if base in ("0", "1") else None)
    for flag in FLAGS:
        if facts.get(flag) in ("yes", "no"):
            setattr(paging, flag, facts[flag] == "yes")
    return paging


@dataclass(frozen=True)
class Item:
    """The part of a message the walk needs."""

    id: str
    created: datetime


@dataclass
class Walk:
    """The messages read, in the order read, and whether the walk saw the whole range it was asked for."""

    items: dict[str, Item] = field(default_factory=dict)
    complete: bool = True
    calls: int = 0


Order = Literal["asc", "desc"]
Fetch = Callable[[int, datetime | None, Order], Awaitable[list[Item]]]


def repeats(page: list[Item], seen: dict[str, Item]) -> bool:
    """A non-empty page that brings no new id."""
    return bool(page) and all(item.id in seen for item in page)


def reaches_before(page: list[Item], since: datetime | None, *, slack: timedelta = timedelta(0)) -> bool:
    """Some message of the page is older than `since` (by more than `slack`)."""
    return since is not None and any(item.created <= since - slack for item in page)


async def walk(fetch: Fetch, paging: Paging, *, since: datetime | None, per_page: int, max_calls: int) -> Walk:
    """Every message created after `since` (all when None), learning `paging` on the way."""
    if since is not None and paging.after_ignored:
        return await _newest_first(fetch, paging, since=since, per_page=per_page, max_calls=max_calls)
    result = Walk()
    first = paging.base if paging.base is not None else 0
    page = await _get(fetch, result, first, since, "asc")
    if since is not None and paging.after_ignored is None and page:
        # A server keeping `after` to whole seconds would answer a little before it: only older counts.
        paging.after_ignored = reaches_before(page, since, slack=AFTER_PRECISION)
        if paging.after_ignored and len(page) >= per_page:
            # Old messages filled the page: newest first finds the new ones without reading the rest.
            return await _newest_first(fetch, paging, since=since, per_page=per_page, max_calls=max_calls)
    _keep(result, page, since)
    if len(page) < per_page:
        return result
    if paging.page_ignored:
        return await _keyset(fetch, result, since=since, per_page=per_page, max_calls=max_calls)
    number = first + 1
    while result.calls < max_calls:
        page = await _get(fetch, result, number, since, "asc")
        if repeats(page, result.items):
            if paging.base is None and number == 1:
                number = 2  # 1-based reading 0 as 1, or `page` ignored: page 2 tells which
                continue
            paging.page_ignored = True
            return await _keyset(fetch, result, since=since, per_page=per_page, max_calls=max_calls)
        if paging.base is None:
            paging.base = number - 1  # page 1 new after page 0: 0-based; page 2 new (or empty): 1-based
            paging.page_ignored = False
        _keep(result, page, since)
        if len(page) < per_page:
            return result
        number += 1
    result.complete = False
    return result


async def _get(fetch: Fetch, result: Walk, number: int, after: datetime | None, order: Order) -> list[Item]:
    result.calls += 1
    return await fetch(number, after, order)


def _keep(result: Walk, page: list[Item], since: datetime | None) -> None:
    for item in page:
        if since is None or item.created > since:
            result.items[item.id] = item


async def _keyset(fetch: Fetch, result: Walk, *, since: datetime | None, per_page: int, max_calls: int) -> Walk:
    """`page` is ignored: move `after` to the newest message read until a page brings nothing new."""
    first = 0
    while result.calls < max_calls:
        newest = max(item.created for item in result.items.values()) if result.items else since
        after = newest - KEYSET_STEP if newest is not None else None
        page = await _get(fetch, result, first, after, "asc")
        if repeats(page, result.items) or not page:
            # Nothing new: the end, unless a full page of one instant hides more (which no call can reach).
            result.complete = len(page) < per_page
            return result
        _keep(result, page, since)
        if len(page) < per_page:
            return result
    result.complete = False
    return result


async def _newest_first(fetch: Fetch, paging: Paging, *, since: datetime, per_page: int, max_calls: int) -> Walk:
    """`after` is ignored: newest first, until a page reaches back to `since`."""
    result = Walk()
    number = paging.base if paging.base is not None else 0
    while result.calls < max_calls:
        page = await _get(fetch, result, number, since, "desc")
        again = repeats(page, result.items)
        if again and paging.base is None and number == 1:
            number = 2  # 1-based reading 0 as 1, or `page` ignored: page 2 tells which
            continue
        _keep(result, page, since)
        if len(page) < per_page or reaches_before(page, since):
            return result
        if again:
            # `page` ignored too: the newest page is all that can be read.
            paging.page_ignored = True
            result.complete = False
            return result
        if number > 0 and paging.base is None:
            paging.base = number - 1
        number += 1
    result.complete = False
    return result
