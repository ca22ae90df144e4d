"""The message shortcuts: "Link thread to request" and "Send to request".

Each opens a modal with the shortcut's trigger (Slack honours it once, within 3 s), checks the submission
before answering Slack (refusals appear on the modal's fields), and does the slow part afterwards, telling
the person the outcome in an ephemeral message. Linking goes through Linker (the same checks as
`/request link`), sending through Forwarder (the durable inbox).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.bridge.background import Background
from bot.bridge.forwarding import Forwarded, Forwarder
from bot.bridge.linking import Linker
from bot.errors import BridgeError, InvalidInput
from bot.providers.base import Provider
from bot.slack.events import text_with_files
from bot.slack.gateway import SlackGateway
from bot.slack.replies import error_reply
from bot.slack.shortcut_modals import (
    ActionId,
    BlockId,
    ForwardContext,
    LinkThreadContext,
    as_modal_error,
    checked,
    decode,
    link_label,
    link_thread_modal,
    selected,
    send_to_request_modal,
    text_input,
)

log = logging.getLogger(__name__)
SOMETHING_WENT_WRONG = ":warning: Something went wrong on our side; the error is in the bot's log."


@dataclass(frozen=True)
class ShortcutTarget:
    """The message a shortcut was used on, from a `message_action` payload."""

    user: str  # who used the shortcut
    trigger_id: str
    channel: str
    ts: str
    thread_ts: str | None  # the thread it is in; a thread's root carries its own ts here
    message: dict[str, Any]
    response_url: str | None = None


def shortcut_target(payload: dict[str, Any]) -> ShortcutTarget | None:
    """The shortcut's message, or None for a payload without one (pure)."""
    message = payload.get("message")
    channel = (payload.get("channel") or {}).get("id") if isinstance(payload.get("channel"), dict) else None
    user = (payload.get("user") or {}).get("id") if isinstance(payload.get("user"), dict) else None
    if not isinstance(message, dict) or not channel or not user or not payload.get("trigger_id"):
        return None
    ts = message.get("ts") or payload.get("message_ts")
    if not isinstance(ts, str) or not ts:
        return None
    thread_ts, response_url = message.get("thread_ts"), payload.get("response_url")
    return ShortcutTarget(user=str(user), trigger_id=str(payload["trigger_id"]), channel=str(channel), ts=ts,
                          thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts else None, message=message,
                          response_url=response_url if isinstance(response_url, str) and response_url else None)


def is_from_an_app(message: dict[str, Any]) -> bool:
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message" or not message.get("user")


@dataclass(frozen=True)
class LinkThreadRequest:
    context: LinkThreadContext
    provider: str
    request_id: str
    notify: bool


class Shortcuts:
    def __init__(self, *, providers: Mapping[str, Provider], slack: SlackGateway, linker: Linker,
                 forwarder: Forwarder) -> None:
        self._providers = providers
        self._slack = slack
        self._linker = linker
        self.forwarder = forwarder
        self.background = Background()

    async def _open(self, target: ShortcutTarget, view: dict[str, Any]) -> str | None:
        try:
            await self._slack.open_view(trigger_id=target.trigger_id, view=view)
        except BridgeError as exc:
            log.warning("could not open a modal", extra={"callback_id": view.get("callback_id"), "error": str(exc)})
            return f":warning: Slack did not let the bot open its form ({exc}). Try the shortcut again."
        return None

    # Link thread to request ---------------------------------------------------------------------------

    async def open_link_thread(self, payload: dict[str, Any]) -> str | None:
        """Open the modal; or the reason not to, for an ephemeral reply."""
        target = shortcut_target(payload)
        if target is None:
            return "This shortcut works on a message in a channel."
        providers = [(p.name, p.display_name) for p in self._providers.values()]
        context = LinkThreadContext(channel=target.channel, thread_ts=target.thread_ts or target.ts,
                                    response_url=target.response_url)
        return await self._open(target, link_thread_modal(providers=providers, context=context))

    async def check_link_thread(self, view: dict[str, Any], *, user: str) -> LinkThreadRequest | dict[str, str]:
        """What to link, or errors by block id for the modal, before any call to the provider."""
        context = decode(LinkThreadContext, view.get("private_metadata"))
        if context is None:
            return {BlockId.REQUEST_ID: "This form is out of date: use the shortcut again."}
        name = selected(view, BlockId.PROVIDER, ActionId.PROVIDER)
        try:
            provider = self._linker.provider_for(name)
        except InvalidInput as exc:
            block = BlockId.PROVIDER if len(self._providers) > 1 else BlockId.REQUEST_ID
            return {block: as_modal_error(str(exc))}
        try:
            request_id = provider.validate_request_id(text_input(view, BlockId.REQUEST_ID, ActionId.REQUEST_ID))
        except InvalidInput as exc:
            return {BlockId.REQUEST_ID: as_modal_error(str(exc))}
        refused = await self._linker.refusal(channel=context.channel, user=user, provider=provider,
                                             request_id=request_id, thread_ts=context.thread_ts)
        if refused:
            return {BlockId.REQUEST_ID: as_modal_error(refused)}
        return LinkThreadRequest(context=context, provider=provider.name, request_id=request_id,
                                 notify="on" in checked(view, BlockId.NOTIFY, ActionId.NOTIFY))

    async def link_thread(self, request: LinkThreadRequest, *, user: str) -> None:
        """After the ack: link, back-fill, and tell the person in the thread."""
        context = request.context
        try:
            text = await self._linker.link(channel=context.channel, user=user, raw_id=request.request_id,
                                           provider_name=request.provider, thread_ts=context.thread_ts,
                                           notify=request.notify)
        except BridgeError as exc:
            text = error_reply(exc, doing=f"Linking request `{request.request_id}`")
        except Exception:
            log.exception("linking a thread failed", extra={"channel": context.channel})
            text = SOMETHING_WENT_WRONG
        await self._slack.tell(channel=context.channel, user=user, text=text, thread_ts=context.thread_ts,
                               response_url=context.response_url)

    # Send to request ------------------------------------------------------------------------------------

    async def open_send_to_request(self, payload: dict[str, Any]) -> str | None:
        """Open the modal with the requests the message can go to; or the reason not to."""
        target = shortcut_target(payload)
        if target is None:
            return "This shortcut works on a message in a channel."
        if is_from_an_app(target.message):
            return "Messages from apps and bots (this bridge's own posts too) cannot be sent to a request."
        text = text_with_files(target.message)
        if not text.strip():
            return "This message has no text to send."
        links = await self.forwarder.choices(channel=target.channel, thread_ts=target.thread_ts)
        if not links:
            return ("No request is linked in this channel. Link one first: `/request link <request-id>`, or the "
                    "*Link thread to request* shortcut on a message.")
        choices = [(link.id, link_label(provider=self.forwarder.provider_name(link), request_id=link.request_id,
                                        title=link.title)) for link in links]
        context = ForwardContext(channel=target.channel, ts=target.ts, thread_ts=target.thread_ts,
                                 author=str(target.message["user"]), text=text, response_url=target.response_url)
        return await self._open(target, send_to_request_modal(choices=choices, context=context, preview=text))

    async def accept_send(self, view: dict[str, Any], *, user: str) -> Forwarded | dict[str, str]:
        """Store the message for its request before Slack gets the answer; or errors for the modal."""
        context = decode(ForwardContext, view.get("private_metadata"))
        if context is None:
            return {BlockId.LINK: "This form is out of date: use the shortcut again."}
        accepted = await self.forwarder.accept(context=context, user=user,
                                                link_id=selected(view, BlockId.LINK, ActionId.LINK))
        if isinstance(accepted, str):
            return {BlockId.LINK: as_modal_error(accepted)}
        return accepted

    async def report_send(self, forwarded: Forwarded, *, user: str) -> None:
        await self.forwarder.report(forwarded, user=user)
