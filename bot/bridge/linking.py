"""`/request link | unlink | list`: what each does, returning the text the person sees."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.bridge.access import Access
from bot.bridge.leases import Leases
from bot.bridge.link_queue import LinkQueue
from bot.bridge.locks import LinkLocks
from bot.bridge.notifications import announcement_blocks
from bot.bridge.poller import Poller
from bot.errors import AlreadyLinked, BridgeError, InvalidInput, RateLimited, Rejected
from bot.models import Link, LinkState
from bot.providers.base import Provider, RequestInfo
from bot.slack.gateway import SlackGateway
from bot.slack.post_texts import link_metadata, root_text
from bot.slack.replies import error_reply
from bot.store.database import Store
from bot.text.markup import escape_for_slack

log = logging.getLogger(__name__)


def already_linked_text(taken: AlreadyLinked, *, channel: str, request_id: str, permalink: str | None) -> str:
    """What someone refused by "one request, one thread" is told: where it is linked (pure).

    `<#C…>` shows a channel's name only to its members, so a private channel stays private."""
    existing = taken.existing
    if existing is None:  # it was being linked, and that failed since: nothing holds it now
        return f":warning: Request `{request_id}` was being linked by someone else at the same moment; try again."
    thread = f" (<{permalink}|its thread>)" if permalink else ""
    here = "in this channel" if existing.channel_id == channel else f"in <#{existing.channel_id}>"
    if taken.thread:
        return (f":no_entry: This thread is already linked to request `{existing.request_id}`{thread}: "
                "one thread, one request.")
    if existing.state != LinkState.ACTIVE:
        return (f":no_entry: Request `{request_id}` is being linked {here} by <@{existing.created_by}> right now; "
                "its thread appears there in a moment. One request, one thread.")
    unlink = "" if existing.channel_id == channel else " Unlink it there first to link it here."
    return f":no_entry: Request `{request_id}` is already linked {here}{thread}: one request, one thread.{unlink}"


class Linker:
    def __init__(self, *, store: Store, providers: Mapping[str, Provider], slack: SlackGateway,
                 poller: Poller, locks: LinkLocks, access: Access, leases: Leases) -> None:
        self._access = access
        self._leases = leases
        self._store = store
        self._providers = providers
        self._slack = slack
        self._poller = poller
        self._locks = locks
        self.queue: LinkQueue | None = None  # set by the service: links the budget cannot serve now wait there

    def provider_for(self, name: str | None) -> Provider:
        if name is None:
            if len(self._providers) == 1:
                return next(iter(self._providers.values()))
            raise InvalidInput("Name the provider: " + ", ".join(f"`{n}`" for n in self._providers))
        try:
            return self._providers[name]
        except KeyError:
            raise InvalidInput(f"Unknown provider `{name[:40]}`; configured: "
                               + ", ".join(f"`{n}`" for n in self._providers)) from None

    async def refusal(self, *, channel: str, user: str, provider: Provider, request_id: str,
                      thread_ts: str | None = None) -> str | None:
        """Why linking is refused before any call to the provider, if it is (shown to the person as is).

        A early answer only: two people linking at once both pass it, and the store's claim decides."""
        denied = await self._access.may_link(user=user, channel=channel)
        if denied:
            return f":no_entry: {denied}"
        if thread_ts is not None:
            linked = await self._store.links.for_thread(channel, thread_ts)
            if linked is not None:
                return await self.taken_reply(AlreadyLinked(linked, thread=True), channel=channel,
                                              request_id=request_id)
        live = await self._store.links.live_of_request(provider=provider.name, request_id=request_id)
        if live is not None:
            return await self.taken_reply(AlreadyLinked(live), channel=channel, request_id=request_id)
        return None

    async def taken_reply(self, taken: AlreadyLinked, *, channel: str, request_id: str) -> str:
        """Where the request (or the thread) is linked already, with a link to that thread."""
        existing = taken.existing
        where = None
        if existing is not None and existing.thread_ts and existing.state == LinkState.ACTIVE:
            where = await self._slack.permalink(channel=existing.channel_id, ts=existing.thread_ts)
        return already_linked_text(taken, channel=channel, request_id=request_id, permalink=where)

    async def link(self, *, channel: str, user: str, raw_id: str, provider_name: str | None = None,
                   thread_ts: str | None = None, notify: bool = False) -> str:
        """Link the request to a new root message's thread, or to the existing thread `thread_ts` (the
        "Link thread to request" shortcut), and back-fill the conversation into it."""
        provider = self.provider_for(provider_name)
        request_id = provider.validate_request_id(raw_id)
        refused = await self.refusal(channel=channel, user=user, provider=provider, request_id=request_id,
                                     thread_ts=thread_ts)
        if refused:
            return refused
        if self.queue is not None and thread_ts is None:
            return await self._link_or_queue(self.queue, provider=provider, request_id=request_id, channel=channel,
                                             user=user, notify=notify)
        doing = f"Linking {provider.display_name} request `{request_id}`"
        try:
            info = await provider.get_request(request_id)
        except BridgeError as exc:
            return error_reply(exc, doing=doing)
        try:
            # The claim, made before anything is posted: of people linking at once, one gets past here.
            link = await self._store.links.create(
                provider=provider.name, request_id=request_id, channel_id=channel, created_by=user,
                title=info.title, request_status=info.status, thread_ts=thread_ts, notify=notify)
        except AlreadyLinked as taken:
            return await self._taken(taken, provider=provider, request_id=request_id, channel=channel)
        return await self.make(link, provider, info, thread_ts=thread_ts)

    async def _taken(self, taken: AlreadyLinked, *, provider: Provider, request_id: str, channel: str) -> str:
        log.info("link refused: already linked", extra={"provider": provider.name, "request_id": request_id,
                                                        "channel": channel})
        return await self.taken_reply(taken, channel=channel, request_id=request_id)

    async def _link_or_queue(self, queue: LinkQueue, *, provider: Provider, request_id: str, channel: str, user: str,
                             notify: bool) -> str:
        """The claim first (a durable `linking` row, which a restart resumes), then the link now if the
        provider's budget allows, else in line (bot/bridge/link_queue.py)."""
        try:
            link = await self._store.links.create(provider=provider.name, request_id=request_id, channel_id=channel,
                                                  created_by=user, title=None, request_status=None, notify=notify)
        except AlreadyLinked as taken:
            return await self._taken(taken, provider=provider, request_id=request_id, channel=channel)
        if await queue.busy(provider.name):
            return await queue.put(link, provider=provider)
        with queue.working(link.id):  # this process's worker leaves it alone while it is made here
            try:
                info = await provider.get_request(request_id)
            except RateLimited:
                info = None  # the budget filled up meanwhile: in line after all
            except BridgeError as exc:
                await self._store.links.unlink(link.id)
                return error_reply(exc, doing=f"Linking {provider.display_name} request `{request_id}`")
            if info is not None:
                await self._store.links.set_request_details(link.id, title=info.title, request_status=info.status)
                return await self.make(link, provider, info)
        return await queue.put(link, provider=provider)

    async def make(self, link: Link, provider: Provider, info: RequestInfo, *, thread_ts: str | None = None) -> str:
        """Complete a claimed link (`linking`): post its root (or announce it in `thread_ts`), activate it,
        back-fill the request's messages; the text for the person who linked it."""
        request_id, channel = link.request_id, link.channel_id
        doing = f"Linking {provider.display_name} request `{request_id}`"
        try:
            # In an existing thread the same announcement is a reply: what the thread held before it stays
            # in Slack, and its ts (linked_ts) marks where the bridged part begins.
            text = root_text(info, provider_name=provider.display_name, linked_by=link.created_by)
            ts = await self._slack.post(channel=channel, text=text, thread_ts=thread_ts,
                                        blocks=announcement_blocks(text, link_id=link.id, on=link.notify_linker),
                                        metadata=link_metadata(link_id=link.id, provider=provider.name,
                                                               request_id=request_id))
        except Rejected as exc:
            await self._store.links.unlink(link.id)
            hint = " Invite the bot to this channel first (`/invite @request-bridge`)." \
                if "not_in_channel" in str(exc) or "channel_not_found" in str(exc) else ""
            return error_reply(exc, doing=doing) + hint
        except BridgeError as exc:
            await self._store.links.unlink(link.id)
            return error_reply(exc, doing=doing)
        await self._store.links.activate(link.id, thread_ts or ts, linked_ts=ts if thread_ts else None)
        await self._leases.hold(link.id)  # this replica back-fills the new link
        self._poller.refresh()  # and its tick schedules it from now on
        log.info("linked", extra={"link_id": link.id, "provider": provider.name, "request_id": request_id,
                                  "channel": channel})
        try:
            async with self._locks(link.id):
                result = await self._poller.poll_link(link.id)
        except BridgeError as exc:
            return (f"Linked request `{request_id}`. Its earlier messages will follow shortly "
                    f"({provider.display_name}: {exc}).")
        return f"Linked request `{request_id}`; {result.posted} earlier message(s) copied into the thread."

    async def unlink(self, *, channel: str, user: str, raw_id: str, provider_name: str | None = None) -> str:
        provider = self.provider_for(provider_name)
        request_id = provider.validate_request_id(raw_id)
        link = await self._store.links.find(channel_id=channel, provider=provider.name, request_id=request_id)
        if link is None:
            return f"Request `{request_id}` is not linked in this channel."
        denied = self._access.may_unlink(user=user, link=link)
        if denied:
            return f":no_entry: {denied}"
        async with self._locks(link.id):
            await self._store.links.unlink(link.id)
        self._poller.refresh()
        if link.thread_ts:
            try:
                await self._slack.post(channel=channel, thread_ts=link.thread_ts,
                                       text=f"Unlinked by <@{user}>: this thread no longer syncs with the request.")
            except BridgeError as exc:
                log.warning("could not announce unlink", extra={"link_id": link.id, "error": str(exc)})
        log.info("unlinked", extra={"link_id": link.id, "request_id": request_id, "channel": channel})
        return f"Unlinked request `{request_id}`; its thread no longer syncs."

    async def list(self, *, channel: str) -> str:
        links = await self._store.links.in_channel(channel)
        if not links:
            return "No requests are linked in this channel. Link one with `/request link <request-id>`."
        lines = []
        for link in links:
            where = await self._slack.permalink(channel=channel, ts=link.thread_ts) if link.thread_ts else None
            title = f" {escape_for_slack(link.title)}" if link.title else ""
            status = f" · {escape_for_slack(link.request_status)}" if link.request_status else ""
            thread = f" · <{where}|thread>" if where else ""
            name = self._providers[link.provider].display_name if link.provider in self._providers else link.provider
            lines.append(f"• {name} `{link.request_id}`{title}{status}{thread}")
        return f"Requests linked in this channel ({len(links)}):\n" + "\n".join(lines)
