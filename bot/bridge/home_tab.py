"""Publishes a person's App Home tab when they open it: their links from the store, each thread's permalink
from Slack (cached: a message's permalink never changes), then views.publish."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.models import Link
from bot.providers.base import Provider, SupportsCreateRequest
from bot.slack.gateway import SlackGateway
from bot.slack.home_view import HomeEntry, home_view, last_activity, listed_count, most_recent_first
from bot.store.database import Store

log = logging.getLogger(__name__)


class HomeTab:
    def __init__(self, *, store: Store, providers: Mapping[str, Provider], slack: SlackGateway) -> None:
        self._store = store
        self._providers = providers
        self._slack = slack
        self._permalinks: dict[tuple[str, str], str] = {}

    async def publish(self, user: str) -> None:
        """Build and publish `user`'s Home tab (raises a BridgeError when Slack refuses it)."""
        links = most_recent_first(await self._store.links.linked_by(user))
        entries = [await self._entry(link) for link in links[: listed_count(len(links))]]
        creators = [p.display_name for p in self._providers.values() if isinstance(p, SupportsCreateRequest)]
        view = home_view(entries, total=len(links), creates_on=creators[0] if len(creators) == 1 else None)
        await self._slack.publish_home(user=user, view=view)

    async def _entry(self, link: Link) -> HomeEntry:
        provider = self._providers.get(link.provider)
        return HomeEntry(
            link_id=link.id, provider=provider.display_name if provider else link.provider,
            request_id=link.request_id, title=link.title, status=link.request_status, channel=link.channel_id,
            last_activity=last_activity(link), thread_url=await self._permalink(link))

    async def _permalink(self, link: Link) -> str | None:
        if not link.thread_ts:
            return None
        key = (link.channel_id, link.thread_ts)
        if key not in self._permalinks:
            found = await self._slack.permalink(channel=link.channel_id, ts=link.thread_ts)
            if found is None:
                return None  # not cached: Slack may answer next time
            self._permalinks[key] = found
        return self._permalinks[key]
