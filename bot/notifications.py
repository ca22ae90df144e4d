"""Mentions of the person who linked a request when the other side answers, and the switch for them.

A mention in a message's text is what makes Slack notify someone; an edit of that message does not notify
again, and the bridge's edits re-render the text without it. Messages copied in when a request is linked
(its earlier conversation) mention nobody: they are history, not answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.models import Link, LinkState
from bot.store import Store

if TYPE_CHECKING:  # bot.linking imports the poller, which imports this module
    from bot.linking import Linker


def mention_for(link: Link) -> str | None:
    """The mention a new answer from the other side carries in this link's thread, if any (pure).

    `polls == 0` until the first poll of the link has finished: that poll is the back-fill of history.
    """
    if link.notify_linker and link.polls > 0 and link.created_by:
        return f"<@{link.created_by}>"
    return None


def switch_reply(*, on: bool, request_id: str) -> str:
    if on:
        return (f":bell: You will be mentioned in the thread of request `{request_id}` when the other side "
                f"answers. `/request notify off {request_id}` stops it.")
    return f":no_bell: You will no longer be mentioned when request `{request_id}` gets an answer."


class Notifications:
    def __init__(self, *, store: Store, linker: Linker) -> None:
        self._store = store
        self._linker = linker

    async def switch(self, *, channel: str, user: str, raw_id: str, on: bool, provider_name: str | None = None) -> str:
        """`/request notify on|off`: only the person who linked the request chooses for themselves."""
        provider = self._linker.provider_for(provider_name)
        request_id = provider.validate_request_id(raw_id)
        link = await self._store.find_link(channel_id=channel, provider=provider.name, request_id=request_id)
        if link is None or link.state != LinkState.ACTIVE:
            return f"Request `{request_id}` is not linked in this channel."
        if user != link.created_by:
            return (f":no_entry: Only <@{link.created_by}>, who linked request `{request_id}`, chooses whether "
                    "they are mentioned when it gets an answer.")
        await self._store.set_notify_linker(link.id, on)
        return switch_reply(on=on, request_id=request_id)
