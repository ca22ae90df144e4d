"""Mentions of the person who linked a request when the other side answers, and the switch for them.

A mention in a message's text is what makes Slack notify someone; an edit of that message does not notify
again, and the bridge's edits re-render the text without it. Messages copied in when a request is linked
(its earlier conversation) mention nobody: they are history, not answers.

The switch is `/request notify on|off`, the box in the "Link thread to request" modal, and a button under
the link's announcement (the root message, or the announcement reply in a thread linked by the shortcut);
the button's label follows the setting however it was changed.
"""

from __future__ import annotations

import copy
import logging
from enum import StrEnum
from typing import Any, Protocol

from bot.errors import BridgeError
from bot.models import Link, LinkState, parse_link_id
from bot.providers.base import Provider
from bot.slack.gateway import SlackGateway
from bot.slack.posts import SECTION_TEXT_LIMIT
from bot.store.database import Store

log = logging.getLogger(__name__)


class NotifyAction(StrEnum):
    TOGGLE = "notify_toggle"


NOTIFY_BLOCK_ID = "notify"


def mention_for(link: Link) -> str | None:
    """The mention a new answer from the other side carries in this link's thread, if any (pure).

    `polls == 0` until the first poll of the link has finished: that poll is the back-fill of history.
    """
    if link.notify_linker and link.polls > 0 and link.created_by:
        return f"<@{link.created_by}>"
    return None


def _button_text(on: bool) -> str:
    return "🔕 Stop mentioning the linker" if on else "🔔 Mention the linker on answers"


def announcement_blocks(text: str, *, link_id: int, on: bool) -> list[dict[str, Any]]:
    """The link's announcement: its text, and the switch for the linker's mentions (pure)."""
    shown = text if len(text) <= SECTION_TEXT_LIMIT else text[: SECTION_TEXT_LIMIT - 1] + "…"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": shown}},
        {"type": "actions", "block_id": NOTIFY_BLOCK_ID, "elements": [{
            "type": "button", "action_id": NotifyAction.TOGGLE, "value": str(link_id),
            "text": {"type": "plain_text", "text": _button_text(on), "emoji": True}}]},
    ]


def with_switch_state(blocks: list[dict[str, Any]], *, on: bool) -> list[dict[str, Any]] | None:
    """The announcement's blocks with the button showing `on`; None if they hold no switch (pure)."""
    updated = copy.deepcopy(blocks)
    for block in updated:
        if isinstance(block, dict) and block.get("block_id") == NOTIFY_BLOCK_ID:
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("action_id") == NotifyAction.TOGGLE:
                    element["text"] = {"type": "plain_text", "text": _button_text(on), "emoji": True}
                    return updated
    return None


def switch_reply(*, on: bool, request_id: str) -> str:
    if on:
        return (f":bell: You will be mentioned in the thread of request `{request_id}` when the other side "
                f"answers. `/request notify off {request_id}` stops it.")
    return f":no_bell: You will no longer be mentioned when request `{request_id}` gets an answer."


class ProviderLookup(Protocol):
    """Finds the provider a command names (bot.bridge.linking.Linker is one)."""

    def provider_for(self, name: str | None) -> Provider: ...


class Notifications:
    def __init__(self, *, store: Store, linker: ProviderLookup, slack: SlackGateway) -> None:
        self._store = store
        self._linker = linker
        self._slack = slack

    async def switch(self, *, channel: str, user: str, raw_id: str, on: bool, provider_name: str | None = None) -> str:
        """`/request notify on|off`: only the person who linked the request chooses for themselves."""
        provider = self._linker.provider_for(provider_name)
        request_id = provider.validate_request_id(raw_id)
        link = await self._store.links.find(channel_id=channel, provider=provider.name, request_id=request_id)
        if link is None or link.state != LinkState.ACTIVE:
            return f"Request `{request_id}` is not linked in this channel."
        return await self._set(link, user=user, on=on)

    async def toggle(self, *, user: str, link_id: str, message: dict[str, Any] | None) -> str:
        """The announcement's button: switch the linker's mentions; `message` is the announcement pressed."""
        number = parse_link_id(link_id)
        link = await self._store.links.get(number) if number is not None else None
        if link is None or link.state != LinkState.ACTIVE:
            return "This request is no longer linked here."
        return await self._set(link, user=user, on=not link.notify_linker, message=message)

    async def _set(self, link: Link, *, user: str, on: bool, message: dict[str, Any] | None = None) -> str:
        if user != link.created_by:
            return (f":no_entry: Only <@{link.created_by}>, who linked request `{link.request_id}`, chooses whether "
                    "they are mentioned when it gets an answer.")
        await self._store.links.set_notify_linker(link.id, on)
        await self._show(link, on=on, message=message)
        return switch_reply(on=on, request_id=link.request_id)

    async def _show(self, link: Link, *, on: bool, message: dict[str, Any] | None) -> None:
        """Bring the announcement's button in line with the setting (best effort: the setting is what counts)."""
        ts = link.linked_ts or link.thread_ts
        if ts is None:
            return
        try:
            if message is None or message.get("ts") != ts:
                message = await self._slack.message(channel=link.channel_id, ts=ts, thread_ts=link.thread_ts)
            blocks = with_switch_state((message or {}).get("blocks") or [], on=on)
            if message is not None and blocks is not None:
                await self._slack.update(channel=link.channel_id, ts=ts, text=str(message.get("text") or ""),
                                         blocks=blocks)
        except BridgeError as exc:
            log.warning("could not update the notify button", extra={"link_id": link.id, "error": str(exc)})
