"""Slack -> provider: a reply in a linked thread is created on the request, edited, or deleted.

Every create is written as a pending row first and confirmed after, so a create whose outcome is
unknown (crash, timeout, 5xx after the write) is looked up on the provider before it is tried again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from bot import metrics
from bot.bridge.relay_rule import RelayRule
from bot.errors import NotFound, ProviderError
from bot.models import EventKind, Link, MappedMessage, MessageState, SlackEvent
from bot.providers.base import Provider, ProviderMessage, SlackContext, SupportsDelete, SupportsUpdate
from bot.slack.gateway import SlackGateway
from bot.slack.post_texts import reply_content, split_content
from bot.slack.replies import error_reply
from bot.store.database import Store
from bot.text.formats import TextFormat, slack_to_provider
from bot.text.markup import user_ids_in

log = logging.getLogger(__name__)
# How far back to look for a create whose answer was lost (covers clock skew between us and them).
RECONCILE_WINDOW_SECONDS = 600


def _same_text(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def _part_key(slack_ts: str, n: int) -> str:
    return slack_ts if n == 1 else f"{slack_ts}#{n}"


def _is_older(edited_ts: str | None, applied_ts: str | None) -> bool:
    """Whether an edit is older than the newest edit already applied (Slack ts compare as decimals)."""
    if edited_ts is None or applied_ts is None:
        return False
    return Decimal(edited_ts) < Decimal(applied_ts)


class Outbound:
    def __init__(self, *, store: Store, providers: Mapping[str, Provider], slack: SlackGateway, relay: RelayRule,
                 edit_follow_up: bool = False) -> None:
        self._relay = relay
        self._store = store
        self._providers = providers
        self._slack = slack
        self._edit_follow_up = edit_follow_up

    async def process(self, event: SlackEvent, link: Link) -> None:
        """Apply one Slack event to the provider. Raises transient errors; handles permanent ones."""
        if await self._relay.refused(event, link):  # RELAY_FROM: not everyone speaks for the company
            return
        provider = self._providers[link.provider]
        if event.kind == EventKind.REPLY:
            await self._reply(event, link, provider)
        elif event.kind == EventKind.EDIT:
            await self._edit(event, link, provider)
        elif event.kind == EventKind.DELETE:
            await self._delete(event, link, provider)

    async def render(self, user_id: str | None, text: str, *, fmt: TextFormat = TextFormat.PLAIN) -> str:
        """The provider-side text of a Slack message: author name, then readable text."""
        names = await self._slack.display_names(user_ids_in(text))
        author = await self._slack.display_name(user_id) if user_id else "Someone"
        return reply_content(display_name=author, text=slack_to_provider(text, users=names, fmt=fmt))

    async def _reply(self, event: SlackEvent, link: Link, provider: Provider) -> None:
        rows = await self._parts(link, event.slack_ts)
        if not rows:
            content = await self.render(event.user_id, event.text, fmt=provider.text_format)
            parts = split_content(content, provider.max_content_length) if provider.max_content_length else [content]
            # Part k > 1 of a long reply is keyed `ts#k`: each part is its own message on the provider.
            for n, part in enumerate(parts, 1):
                rows.append(await self._store.messages.insert_slack(
                    link_id=link.id, slack_ts=_part_key(event.slack_ts, n), slack_user=event.user_id, content=part))
            if len(parts) > 1:
                await self._tell(link, event.user_id, f"Your reply is longer than {provider.display_name} accepts "
                                                      f"({provider.max_content_length} characters), so it was sent "
                                                      f"as {len(parts)} numbered parts.")
        for row in rows:
            if row.state == MessageState.PENDING:
                await self.create(row, link, provider)

    async def _parts(self, link: Link, slack_ts: str) -> list[MappedMessage]:
        """The rows of a Slack message: one, or one per part of a split reply, in order."""
        return await self._store.messages.parts(link.id, slack_ts)

    async def create(self, row: MappedMessage, link: Link, provider: Provider) -> None:
        """Create a pending row's message on the provider, exactly once."""
        if row.attempts > 0:
            twin = await self._find_created(row, link, provider)
            if twin is not None:
                log.info("adopted a create whose answer was lost", extra={"link_id": link.id, "message_id": twin.id})
                await self._store.messages.mark_sent(row.id, twin.id)
                return
        await self._store.messages.begin_attempt(row)
        permalink = None
        if provider.keeps_slack_context:
            slack_ts = (row.slack_ts or "").split("#")[0].split("~")[0]
            permalink = await self._slack.permalink(channel=link.channel_id, ts=slack_ts)
        context = SlackContext(channel=link.channel_id, user=row.slack_user, permalink=permalink)
        try:
            created = await provider.create_message(link.request_id, row.content, context=context)
        except ProviderError as exc:
            if exc.transient:
                raise
            await self._store.messages.mark_failed(row.id, str(exc))
            metrics.failed("to_provider", link.provider, exc)
            doing = f"Sending your reply to {provider.display_name}"
            await self._tell(link, row.slack_user, error_reply(exc, doing=doing))
            return
        # No id in the answer (some APIs): the next poll recognises the message by its content.
        await self._store.messages.mark_sent(row.id, created.id if created else None)
        await self._store.links.mark_slack_reply(link.id)  # an analyst will likely answer: the poller looks sooner
        metrics.relayed("to_provider", link.provider, "created")

    async def _with_id(self, row: MappedMessage, link: Link, provider: Provider) -> MappedMessage:
        """A sent message whose create answer named no id (Huawei's) gets it from the provider's list, so
        that it can be deleted before a poll has seen it."""
        if row.provider_message_id is not None:
            return row
        found = await self._find_created(row, link, provider)
        if found is None:
            return row
        await self._store.messages.mark_sent(row.id, found.id)
        return await self._store.messages.by_provider_id(link.id, found.id) or row

    async def _find_created(self, row: MappedMessage, link: Link, provider: Provider) -> ProviderMessage | None:
        since = datetime.fromtimestamp(row.created_at - RECONCILE_WINDOW_SECONDS, UTC)
        after = since.isoformat().replace("+00:00", "Z")
        mapped = {m.provider_message_id for m in await self._store.messages.of_link(link.id)}
        for message in await provider.list_messages(link.request_id, after=after):
            if message.id not in mapped and _same_text(message.content, row.content):
                return message
        return None

    async def _edit(self, event: SlackEvent, link: Link, provider: Provider) -> None:
        row = await self._store.messages.by_slack_ts(link.id, event.slack_ts)
        if row is None:
            # The edit overtook its reply (a lost or late delivery): the edit carries the latest text,
            # so it creates the message; the reply, when it comes, finds the row and is skipped.
            await self._reply(event, link, provider)
            row = await self._store.messages.by_slack_ts(link.id, event.slack_ts)
            if row is not None:
                await self._store.messages.mark_edit_seen(row.id, event.edited_ts)
            return
        if row.state not in (MessageState.SENT, MessageState.PENDING):
            return  # refused earlier, or deleted
        if _is_older(event.edited_ts, row.slack_edited_ts):
            return  # a newer edit was applied already; this one arrived late
        content = await self.render(row.slack_user or event.user_id, event.text, fmt=provider.text_format)
        if _same_text(content, row.content):
            await self._store.messages.mark_edit_seen(row.id, event.edited_ts or row.slack_edited_ts)
            return
        if row.state == MessageState.PENDING:
            await self._store.messages.mark_edited(row.id, content=content, edited_ts=event.edited_ts)
            return
        if not isinstance(provider, SupportsUpdate) or row.provider_message_id is None \
                or len(await self._parts(link, event.slack_ts)) > 1:
            await self._edit_unsupported(event, row, content, link, provider)
            return
        try:
            await provider.update_message(link.request_id, row.provider_message_id, content)
        except ProviderError as exc:
            if exc.transient:
                raise
            metrics.failed("to_provider", link.provider, exc)
            doing = f"Updating your reply on {provider.display_name}"
            await self._tell(link, row.slack_user, error_reply(exc, doing=doing))
            return
        await self._store.messages.mark_edited(row.id, content=content, edited_ts=event.edited_ts)
        metrics.relayed("to_provider", link.provider, "edited")

    async def _edit_unsupported(self, event: SlackEvent, row: MappedMessage, content: str, link: Link,
                                provider: Provider) -> None:
        """Say so; with EDIT_FOLLOW_UP on, also send the new text as an "(edited)" message."""
        await self._store.messages.mark_edited(row.id, content=content, edited_ts=event.edited_ts)
        if not self._edit_follow_up:
            await self._tell(link, row.slack_user, f"{provider.display_name} cannot edit messages: "
                                                   "your edit stays in Slack only.")
            return
        await self._tell(link, row.slack_user, f"{provider.display_name} cannot edit messages: your edit was "
                                               "sent as a new message marked (edited).")
        key = f"{event.slack_ts}~{event.edited_ts or event.seq}"
        follow_up = await self._store.messages.insert_slack(link_id=link.id, slack_ts=key, slack_user=row.slack_user,
                                                           content=f"(edited) {content}")
        if follow_up.state == MessageState.PENDING:
            await self.create(follow_up, link, provider)

    async def _delete(self, event: SlackEvent, link: Link, provider: Provider) -> None:
        row = await self._store.messages.by_slack_ts(link.id, event.slack_ts)
        if row is None:
            await self._store.messages.insert_tombstone(link_id=link.id, slack_ts=event.slack_ts,
                                                        slack_user=event.user_id)
            return
        if row.state == MessageState.DELETED:
            return
        parts = await self._parts(link, event.slack_ts)
        sent = [p for p in parts if p.state == MessageState.SENT]
        if isinstance(provider, SupportsDelete):
            sent = [await self._with_id(p, link, provider) for p in sent]
        if sent and (not isinstance(provider, SupportsDelete) or any(p.provider_message_id is None for p in sent)):
            await self._tell(link, row.slack_user, f"{provider.display_name} cannot delete messages: "
                                                   "your reply stays on the request.")
        elif sent and isinstance(provider, SupportsDelete):
            for part in sent:
                assert part.provider_message_id is not None  # checked above
                try:
                    await provider.delete_message(link.request_id, part.provider_message_id)
                    metrics.relayed("to_provider", link.provider, "deleted")
                except NotFound:
                    pass  # already gone there: the goal is reached
                except ProviderError as exc:
                    if exc.transient:
                        raise
                    metrics.failed("to_provider", link.provider, exc)
                    await self._tell(link, row.slack_user, error_reply(exc, doing="Deleting your reply"))
                    return
        for part in parts:
            await self._store.messages.mark_deleted(part.id)

    async def give_up(self, event: SlackEvent, link: Link, error: str) -> None:
        """After the last attempt: mark the message failed and tell its author once."""
        row = await self._store.messages.by_slack_ts(link.id, event.slack_ts)
        if row is not None and row.state == MessageState.PENDING:
            await self._store.messages.mark_failed(row.id, error)
        hours = (time.time() - event.received_at) / 3600
        action = {EventKind.REPLY: "Your reply", EventKind.EDIT: "Your edit", EventKind.DELETE: "Your deletion"}
        await self._tell(link, event.user_id or (row.slack_user if row else None),
                         f":warning: {action[EventKind(event.kind)]} could not be delivered to request "
                         f"`{link.request_id}` after {event.attempts + 1} attempts over {hours:.1f} h: {error}. "
                         "The bridge has stopped trying.")

    async def _tell(self, link: Link, user: str | None, text: str) -> None:
        if user:
            await self._slack.ephemeral(channel=link.channel_id, user=user, text=text, thread_ts=link.thread_ts)
        log.warning("told a person about a failure", extra={"link_id": link.id, "user": user, "text": text})
