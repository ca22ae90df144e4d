"""Who may link and unlink, and whose messages go to requests: channel, user and user-group allowlists, admins,
RELAY_FROM (decisions, plus one cached Slack lookup for user-group membership)."""

from __future__ import annotations

import time

from bot.models import Link
from bot.settings import Settings
from bot.slack.gateway import SlackGateway

GROUP_CACHE_SECONDS = 300.0


class Access:
    def __init__(self, *, settings: Settings, slack: SlackGateway) -> None:
        self._channels = settings.id_list(settings.allowed_channel_ids)
        self._users = settings.id_list(settings.allowed_user_ids)
        self._groups = settings.id_list(settings.allowed_usergroup_ids)
        self._admins = settings.id_list(settings.admin_user_ids)
        self._relay_from = settings.relay_from
        self._slack = slack
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    async def may_link(self, *, user: str, channel: str) -> str | None:
        """None if allowed, else the reason shown to the person."""
        if self._channels and channel not in self._channels:
            return "Requests cannot be linked in this channel (it is not on the bridge's channel allowlist)."
        if await self._on_allowlist(user):
            return None
        return "You are not allowed to link requests: ask whoever runs Request Bridge to add you to its allowlist."

    async def may_relay(self, *, user: str | None) -> str | None:
        """Whether what this person writes goes to requests (RELAY_FROM): None if so, else why not.

        One rule for every path that sends content: a reply or an edit in a linked thread, "Send to request"
        (its sender), `/request new`."""
        if self._relay_from == "everyone" or (user is not None and await self._on_allowlist(user)):
            return None
        return ("Only people on Request Bridge's allowlist speak for the company on requests here "
                "(RELAY_FROM=allowed): ask whoever runs it to add you.")

    async def _on_allowlist(self, user: str) -> bool:
        """On ALLOWED_USER_IDS, in one of ALLOWED_USERGROUP_IDS, or an admin; everyone while both lists are empty."""
        if not self._users and not self._groups:
            return True
        if user in self._users or user in self._admins:
            return True
        for group in self._groups:
            if user in await self._group_members(group):
                return True
        return False

    def may_unlink(self, *, user: str, link: Link) -> str | None:
        if user == link.created_by or user in self._admins:
            return None
        return f"Only <@{link.created_by}>, who linked this request, or an admin can unlink it."

    async def _group_members(self, group: str) -> frozenset[str]:
        cached = self._members.get(group)
        if cached is None or time.monotonic() - cached[0] > GROUP_CACHE_SECONDS:
            cached = (time.monotonic(), frozenset(await self._slack.usergroup_members(group)))
            self._members[group] = cached
        return cached[1]
