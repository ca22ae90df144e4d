""""Send to request": one channel message sent to a linked request, through the durable inbox.

The message becomes an inbox event of the chosen link, stored before Slack gets the modal's answer and
keyed by link, channel and ts, so a repeated submission is a no-op. Outbound then creates it like a thread
reply: a pending row first, confirmed after, attributed to the message's author, never doubled or lost
across crashes and provider outages. Once stored, a note in the request's thread says what was sent and by
whom, and the person who sent it is told how it went.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bot.bridge.access import Access
from bot.bridge.inbox import Inbox
from bot.bridge.relay_rule import FORWARD_PREFIX
from bot.errors import BridgeError
from bot.models import EventKind, Link, LinkState, MappedMessage, MessageState, parse_link_id
from bot.providers.base import Provider
from bot.slack.events import text_with_files
from bot.slack.gateway import SlackGateway
from bot.slack.shortcut_modals import ForwardContext
from bot.store.database import Store
from bot.text.markup import escape_for_slack, slack_to_text, user_ids_in

log = logging.getLogger(__name__)
NOTE_PREVIEW = 300


@dataclass(frozen=True)
class Forwarded:
    link: Link
    context: ForwardContext
    text: str
    new: bool  # False: the same message was sent to this request before (a repeated submission)


def forward_key(*, link_id: int, channel: str, ts: str) -> str:
    return f"{FORWARD_PREFIX}{link_id}:{channel}:{ts}"


def forward_note(*, sender: str, author: str, text: str, permalink: str | None) -> str:
    """The thread note: what was sent, by whom (display names, so nobody is pinged) (pure)."""
    what = "their own message" if sender == author else f"a message by {escape_for_slack(author)}"
    whose = f"<{permalink}|{what}>" if permalink else what
    preview = text if len(text) <= NOTE_PREVIEW else text[:NOTE_PREVIEW] + "…"
    quoted = "\n".join(f">{escape_for_slack(line)}" for line in preview.splitlines() or [""])
    return f":outbox_tray: {escape_for_slack(sender)} sent {whose} to this request:\n{quoted}"


def outcome_reply(row: MappedMessage | None, *, provider: Provider, request_id: str) -> str:
    """What the sender is told once the create is confirmed, refused, or still waiting (pure)."""
    if row is not None and row.state == MessageState.SENT:
        return f"Sent to {provider.display_name} request `{request_id}`."
    if row is not None and row.state == MessageState.FAILED:
        return (f":warning: {provider.display_name} refused the message for request `{request_id}` "
                f"({escape_for_slack(row.error or 'no reason given')}).")
    return (f"{provider.display_name} has not confirmed the message yet: it is queued for request `{request_id}` "
            f"and will be sent as soon as {provider.display_name} answers.")


class Forwarder:
    def __init__(self, *, store: Store, providers: Mapping[str, Provider], slack: SlackGateway, inbox: Inbox,
                 access: Access, wait_seconds: float = 8.0) -> None:
        self._store = store
        self._providers = providers
        self._slack = slack
        self._inbox = inbox
        self._access = access
        self.wait_seconds = wait_seconds  # how long the sender waits for the outcome before hearing it is queued

    def provider_name(self, link: Link) -> str:
        provider = self._providers.get(link.provider)
        return provider.display_name if provider else link.provider

    async def choices(self, *, channel: str, thread_ts: str | None) -> list[Link]:
        """Where a message can go: its own thread's request, else every request linked in the channel."""
        if thread_ts:
            own = await self._store.links.for_thread(channel, thread_ts)
            if own is not None:
                return [own]
        return await self._store.links.in_channel(channel)

    async def accept(self, *, context: ForwardContext, link_id: str | None, user: str) -> Forwarded | str:
        """Store the message durably for the chosen link; or why not, for the modal to show."""
        number = parse_link_id(link_id)
        link = await self._store.links.get(number) if number is not None else None
        if link is None or link.state != LinkState.ACTIVE or link.channel_id != context.channel:
            return "That request is no longer linked in this channel."
        if link.provider not in self._providers:
            return f"{link.provider} is not configured on this bridge any more."
        denied = await self._access.may_relay(user=user)  # the sender speaks for the message, whoever wrote it
        if denied:
            return denied
        if await self._store.messages.by_slack_ts(link.id, context.ts) is not None:
            return f"This message is already on request {link.request_id}."
        text = context.text
        if text is None:  # too long to ride in the modal: read it back
            try:
                message = await self._slack.message(channel=context.channel, ts=context.ts,
                                                    thread_ts=context.thread_ts)
            except BridgeError as exc:
                return f"Slack could not give the message back ({exc}); try again shortly."
            if message is None:
                return "The message is gone from Slack."
            text = text_with_files(message)
        new = await self._store.events.enqueue(
            dedup_key=forward_key(link_id=link.id, channel=context.channel, ts=context.ts), event_id=None,
            link_id=link.id, kind=EventKind.REPLY, slack_ts=context.ts, user_id=context.author, text=text)
        if new:
            self._inbox.kick()
            log.info("message sent to a request", extra={"link_id": link.id, "channel": context.channel})
        return Forwarded(link=link, context=context, text=text, new=new)

    async def report(self, forwarded: Forwarded, *, user: str) -> None:
        """After the ack: the note in the request's thread, then the outcome for the sender."""
        link, context = forwarded.link, forwarded.context
        provider = self._providers[link.provider]
        if forwarded.new and link.thread_ts:
            try:
                names = await self._slack.display_names(list({user, context.author, *user_ids_in(forwarded.text)}))
            except BridgeError:  # Slack is struggling: the note names people by id rather than not at all
                names = {}
            names = {user: user, context.author: context.author, **names}
            permalink = await self._slack.permalink(channel=context.channel, ts=context.ts)
            note = forward_note(sender=names[user], author=names[context.author], permalink=permalink,
                                text=slack_to_text(forwarded.text, users=names))
            try:
                await self._slack.post(channel=link.channel_id, thread_ts=link.thread_ts, text=note)
            except BridgeError as exc:
                log.warning("could not post the forward note", extra={"link_id": link.id, "error": str(exc)})
        row = await self._outcome(link, context.ts)
        await self._slack.tell(channel=context.channel, user=user, thread_ts=context.thread_ts,
                               response_url=context.response_url,
                               text=outcome_reply(row, provider=provider, request_id=link.request_id))

    async def _outcome(self, link: Link, ts: str) -> MappedMessage | None:
        """The message's row once the create is confirmed or refused, or as it stands at the deadline."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            row = await self._store.messages.by_slack_ts(link.id, ts)
            if (row is not None and row.state != MessageState.PENDING) or time.monotonic() > deadline:
                return row
            await asyncio.sleep(0.1)
