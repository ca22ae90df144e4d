"""Links the provider's budget cannot serve at once wait in line instead of being refused.

A team linking its open requests on day one sends hundreds of `/request link` within seconds; each link
costs a few provider calls (LINK_CALLS), and the budget (bot/budget/ledger.py) allows a few per second.
Such a link is written as a `linking` row (durable: a restart resumes it), the person is told honestly
how long it should take, and a worker on the scheduler's clock makes the queued links oldest first as the
budget allows, then tells each person it is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager

from bot.budget.ledger import Budget
from bot.errors import BridgeError, ProviderError, RateLimited
from bot.models import Link, LinkState
from bot.providers.base import Provider, RequestInfo
from bot.slack.gateway import SlackGateway
from bot.slack.replies import error_reply, wait_text
from bot.store.database import Store

log = logging.getLogger(__name__)
# The calls one link costs: the request itself, its message list (one page for most), and the status
# read by the first full poll. Longer conversations take more pages: this is for estimates only.
LINK_CALLS = 3
# A link that can start within this long is made while the person waits, as before.
INLINE_SECONDS = 5.0
# How long a replica keeps a queued link to itself unrenewed (it renews while its line moves) before another
# replica may take it over.
CLAIM_SECONDS = 60.0

Maker = Callable[..., Awaitable[str]]


def queued_reply(*, request_id: str, provider_name: str, seconds: float) -> str:
    return (f":hourglass: Linking request `{request_id}`, {wait_text(seconds)}: the {provider_name} budget is "
            "busy. You will get a note here when it is linked.")


class LinkQueue:
    def __init__(self, *, store: Store, providers: Mapping[str, Provider], slack: SlackGateway, budget: Budget,
                 owner: str, make: Maker) -> None:
        self._store = store
        self._providers = providers
        self._slack = slack
        self._budget = budget
        self._owner = owner
        self._make = make
        self._working: set[int] = set()  # links being made in this process (inline or by the worker)
        self._busy = asyncio.Lock()

    @contextmanager
    def working(self, link_id: int) -> Iterator[None]:
        """The link is being made here: the worker leaves it alone."""
        self._working.add(link_id)
        try:
            yield
        finally:
            self._working.discard(link_id)

    async def wait_seconds(self, provider: str, *, links: int) -> float:
        """About how long until `links` more links of this provider have been made."""
        return await self._budget.eta(provider, cost=LINK_CALLS * links)

    async def busy(self, provider: str) -> bool:
        """Whether a new link of this provider should wait in line rather than start now."""
        waiting = await self._store.links.count_queued(provider)
        return await self.wait_seconds(provider, links=waiting + 1) > INLINE_SECONDS

    async def hold(self, link_id: int) -> None:
        """This replica works on the claimed link (made now, or waiting in its line): nobody takes it over."""
        await self._store.links.claim(link_id, owner=self._owner, seconds=CLAIM_SECONDS, state=LinkState.LINKING)

    async def put(self, link: Link, *, provider: Provider) -> str:
        """The claimed link waits in line; say how long it should take."""
        await self.hold(link.id)
        ahead = await self._store.links.count_queued(provider.name, up_to=link.id)
        seconds = await self.wait_seconds(provider.name, links=max(1, ahead))
        log.info("link queued", extra={"link_id": link.id, "provider": provider.name, "ahead": ahead,
                                       "estimate_seconds": round(seconds)})
        return queued_reply(request_id=link.request_id, provider_name=provider.display_name, seconds=seconds)

    async def tick(self) -> None:
        """The scheduler's clock: make queued links, oldest first, each provider as its budget allows. A long
        queue takes many seconds: the ticks meanwhile return at once."""
        if self._busy.locked():
            return
        async with self._busy:
            by_provider: dict[str, list[Link]] = {}
            for link in await self._store.links.queued():
                if link.provider in self._providers and link.id not in self._working:
                    by_provider.setdefault(link.provider, []).append(link)
            await asyncio.gather(*(self._drain(self._providers[name], links) for name, links in by_provider.items()))

    async def wait_idle(self) -> None:
        """Return once no tick is running (on shutdown, before the store closes)."""
        async with self._busy:
            return

    async def _drain(self, provider: Provider, links: list[Link]) -> None:
        for link in links:
            # What waits here stays held while the line moves (one UPDATE per link made).
            await self._store.links.renew_claims(owner=self._owner, seconds=CLAIM_SECONDS)
            if link.id in self._working or not await self._store.links.claim(
                    link.id, owner=self._owner, seconds=CLAIM_SECONDS, state=LinkState.LINKING):
                continue
            with self.working(link.id):
                if not await self._one(link, provider):
                    return  # the budget (or the provider) wants a pause: the next tick goes on

    async def _one(self, link: Link, provider: Provider) -> bool:
        """Make one queued link and tell its linker; False when it must wait for a later tick."""
        doing = f"Linking {provider.display_name} request `{link.request_id}`"
        try:
            info: RequestInfo = await provider.get_request(link.request_id)
        except RateLimited:
            return False
        except ProviderError as exc:
            if exc.transient:
                log.warning("queued link waits: provider unavailable", extra={"link_id": link.id, "error": str(exc)})
                return False
            await self._refuse(link, error_reply(exc, doing=doing))
            return True
        except BridgeError as exc:
            await self._refuse(link, error_reply(exc, doing=doing))
            return True
        await self._store.links.set_request_details(link.id, title=info.title, request_status=info.status)
        text = await self._make(link, provider, info, thread_ts=link.thread_ts)  # a shortcut's claimed thread
        await self._slack.ephemeral(channel=link.channel_id, user=link.created_by, text=text)
        return True

    async def _refuse(self, link: Link, text: str) -> None:
        await self._store.links.unlink(link.id)
        await self._slack.ephemeral(channel=link.channel_id, user=link.created_by, text=text)
