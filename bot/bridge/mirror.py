"""The Slack copy of one provider message: posted (in parts when long), updated on edits, marked deleted.

Mapping: the message's row holds the ts of its first post (part 1). Part k > 1 has a row of its own,
keyed `<provider message id>#k` with that post's ts (the Slack -> provider direction keys the parts of a
long reply `ts#k` the same way), so every post of a message can be updated or removed later. Every post
carries metadata with the message id (and `part`), so posts made before a crash are found in the thread
instead of being made twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.errors import BridgeError
from bot.models import Link, MappedMessage, MessageState, Origin
from bot.providers.base import Provider, ProviderMessage
from bot.slack.gateway import CustomizeIgnored, CustomizeRefused, SlackGateway
from bot.slack.posts import MessageView, SlackPost, deleted_post, message_metadata, provider_posts
from bot.store.database import Store
from bot.text.formats import TextFormat

log = logging.getLogger(__name__)
PART_SEPARATOR = "#"


def part_key(message_id: str, part: int) -> str:
    return message_id if part == 1 else f"{message_id}{PART_SEPARATOR}{part}"


def is_part_key(message_id: str | None) -> bool:
    """Whether a provider-side key names part k > 1 of a message rather than a provider message."""
    return message_id is not None and PART_SEPARATOR in message_id


class SlackMirror:
    def __init__(self, *, store: Store, slack: SlackGateway) -> None:
        self._store = store
        self._slack = slack

    async def post(self, row: MappedMessage, link: Link, provider: Provider, *, mention: str | None = None) -> None:
        """Post a `posting` row's message in its thread, each part once, and mark it posted."""
        assert link.thread_ts is not None and row.provider_message_id is not None
        message_id = row.provider_message_id
        posted: dict[int, str] = {}
        if row.attempts > 0:
            # An earlier attempt may have posted some parts before it could record them.
            posted = await self._slack.find_bridged_parts(channel=link.channel_id, thread_ts=link.thread_ts,
                                                          message_id=message_id)
        view = await self._view(link, provider, author=row.author, content=row.content, role=row.author_role,
                          created=row.provider_created)
        await self._store.messages.begin_attempt(row)
        unnamed: set[int] = set()  # parts Slack posted under the app's name, ignoring the author
        while True:
            posts = provider_posts(view, customized=await self._slack.can_customize(), mention=mention)
            part = 0
            try:
                for part, post in enumerate(posts, 1):
                    if part in unnamed:
                        await self._update(post, link, posted[part])
                        unnamed.discard(part)
                    if part not in posted:
                        posted[part] = await self._send(post, link, message_id, part)
                        if part > 1:
                            await self._record_part(row, link, part, posted[part])
                break
            except CustomizeRefused:
                # Slack refused the author's name (nothing was posted); the gateway now knows the scope is
                # missing, so the next round puts the name in the text instead.
                log.warning("chat:write.customize is missing: authors' names go into the message text")
            except CustomizeIgnored as ignored:
                posted[part] = ignored.ts
                if part > 1:
                    await self._record_part(row, link, part, ignored.ts)
                unnamed.add(part)
                log.warning("chat:write.customize is missing: authors' names go into the message text")
        await self._store.messages.mark_posted(row.id, posted[1])

    async def edit(self, row: MappedMessage, message: ProviderMessage, link: Link, provider: Provider) -> None:
        """Show a message's new content: same posts updated, parts added or removed as its length changed."""
        assert row.slack_ts is not None and row.provider_message_id is not None
        view = await self._view(link, provider, author=message.author, content=message.content, role=message.role,
                          created=message.created or row.provider_created)
        while True:
            posts = provider_posts(view, customized=await self._slack.can_customize())
            extra = await self._part_rows(link, row.provider_message_id)
            try:
                for part, post in enumerate(posts, 1):
                    if part == 1:
                        await self._update(post, link, row.slack_ts)
                    elif part in extra:
                        await self._update(post, link, extra.pop(part).slack_ts or "")
                    else:
                        # The message grew: its new parts can only go at the end of the thread.
                        ts = await self._send(post, link, row.provider_message_id, part)
                        await self._record_part(row, link, part, ts)
                break
            except CustomizeRefused:
                continue  # as in post(): the updates are repeated, harmlessly, in the shape without the name
            except CustomizeIgnored as ignored:
                await self._record_part(row, link, part, ignored.ts)  # updated with the name next round
        await self._remove_parts(link, extra.values())
        await self._store.messages.mark_updated(row.id, content=message.content, author=message.author)

    async def delete(self, row: MappedMessage, link: Link, provider: Provider) -> None:
        """The first post says the message was deleted; its other parts go."""
        if row.state == MessageState.POSTED and row.slack_ts:
            view = await self._view(link, provider, author=row.author, content="", role=row.author_role,
                              created=row.provider_created)
            await self._update(deleted_post(view), link, row.slack_ts)
        if row.provider_message_id is not None:
            await self._remove_parts(link, (await self._part_rows(link, row.provider_message_id)).values())
        await self._store.messages.mark_deleted(row.id)

    # ------------------------------------------------------------------------------------------ helpers

    async def _view(self, link: Link, provider: Provider, *, author: str | None, content: str, role: str | None,
                    created: str | None) -> MessageView:
        return MessageView(author=author or "unknown", content=content, provider_name=provider.display_name,
                           request_id=link.request_id, role=role, created=created,
                           text_format=getattr(provider, "text_format", TextFormat.PLAIN),
                           users=await self._people(link))

    async def _people(self, link: Link) -> dict[str, str]:
        """Whom an analyst's `@name` can mention: the thread's Slack authors and its linker (after a restart
        too), and anyone else this process has looked up."""
        ids = {link.created_by} | {row.slack_user for row in
                                   await self._store.messages.of_link(link.id, origin=Origin.SLACK) if row.slack_user}
        try:
            names = await self._slack.display_names(sorted(i for i in ids if i))
        except BridgeError:
            names = {}  # Slack unreachable: fewer names are recognised, the message still goes
        return {**self._slack.known_users(), **names}

    async def _send(self, post: SlackPost, link: Link, message_id: str, part: int) -> str:
        assert link.thread_ts is not None
        return await self._slack.post(
            channel=link.channel_id, thread_ts=link.thread_ts, text=post.text, blocks=post.blocks,
            username=post.username, icon_emoji=post.icon_emoji,
            metadata=message_metadata(link_id=link.id, provider=link.provider, request_id=link.request_id,
                                      message_id=message_id, part=part))

    async def _update(self, post: SlackPost, link: Link, ts: str) -> None:
        # chat.update cannot change the author: a post keeps the name it was made under.
        await self._slack.update(channel=link.channel_id, ts=ts, text=post.text, blocks=post.blocks)

    async def _record_part(self, row: MappedMessage, link: Link, part: int, ts: str) -> None:
        assert row.provider_message_id is not None
        stored = await self._store.messages.insert_provider(
            link_id=link.id, provider_message_id=part_key(row.provider_message_id, part), content="",
            author=row.author or "", author_role=row.author_role, provider_created=row.provider_created)
        await self._store.messages.mark_posted(stored.id, ts)

    async def _part_rows(self, link: Link, message_id: str) -> dict[int, MappedMessage]:
        """Part number -> row of the posted parts k > 1 of a message."""
        found: dict[int, MappedMessage] = {}
        for part in range(2, 10_000):
            stored = await self._store.messages.by_provider_id(link.id, part_key(message_id, part))
            if stored is None:
                break
            if stored.state == MessageState.POSTED and stored.slack_ts:
                found[part] = stored
        return found

    async def _remove_parts(self, link: Link, rows: Iterable[MappedMessage]) -> None:
        for stored in list(rows):
            if stored.slack_ts:
                await self._slack.delete(channel=link.channel_id, ts=stored.slack_ts)
            await self._store.messages.mark_deleted(stored.id)
