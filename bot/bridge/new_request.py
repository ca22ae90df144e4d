"""`/request new`: open the modal with the choices the provider lists, create the request it describes, and
link it in the channel through Linker (the same root message and back-fill as `/request link`).

A submission is claimed in the store by its view id before anything is created, so Slack delivering it twice
creates one request. The outcome reaches the person through the command's response_url (an ephemeral reply
that works even where the bot is not a member), or an ephemeral message when that has expired.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.bridge.access import Access
from bot.bridge.background import Background
from bot.bridge.linking import Linker
from bot.errors import AmbiguousWrite, BridgeError, InvalidInput, Rejected
from bot.models import LinkState
from bot.providers.base import NewRequest, Provider, RequestOptions, SupportsCreateRequest
from bot.slack.gateway import SlackGateway
from bot.slack.new_request_modal import Field, NewRequestContext, context_of, new_request_modal, read_submission
from bot.slack.replies import error_reply
from bot.store.database import Store
from bot.text.markup import escape_for_slack

log = logging.getLogger(__name__)
# Request types and constants change rarely; caching them keeps the modal inside Slack's 3-second trigger.
OPTIONS_CACHE_SECONDS = 600.0
# What is left of the trigger's 3 s for the provider to list its choices, leaving time for views.open.
OPTIONS_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Submission:
    """A checked `/request new` modal, ready to create."""

    view_id: str
    user: str
    context: NewRequestContext
    new: NewRequest


class RequestCreator:
    def __init__(self, *, store: Store, providers: Mapping[str, Provider], slack: SlackGateway, linker: Linker,
                 access: Access, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._providers = providers
        self._slack = slack
        self._linker = linker
        self._access = access
        self._clock = clock
        self._options: dict[str, tuple[float, RequestOptions]] = {}
        self._fetching: dict[str, asyncio.Task[RequestOptions]] = {}
        self.background = Background()

    def creator_for(self, name: str | None) -> Provider:
        """The provider `/request new [provider]` creates on: named, or the only one that can."""
        if name is not None:
            provider = self._linker.provider_for(name)
            if not isinstance(provider, SupportsCreateRequest):
                raise InvalidInput(f"Requests cannot be created on {provider.display_name} from Slack; "
                                   f"create it there and link it with `/request link {provider.name} <id>`.")
            return provider
        able = [p for p in self._providers.values() if isinstance(p, SupportsCreateRequest)]
        if not able:
            raise InvalidInput("None of the configured providers can create requests from Slack; "
                               "create the request there and link it with `/request link`.")
        if len(able) > 1:
            raise InvalidInput("Name the provider: " + ", ".join(f"`/request new {p.name}`" for p in able))
        return able[0]

    async def open_modal(self, *, trigger_id: str, channel: str, user: str, provider_name: str | None,
                         response_url: str | None) -> str | None:
        """Open the modal for the person who typed the command; or the reason not to, for an ephemeral reply."""
        try:
            provider = self.creator_for(provider_name)
        except InvalidInput as exc:
            return error_reply(exc, doing="")
        denied = await self._access.may_link(user=user, channel=channel) or await self._access.may_relay(user=user)
        if denied:
            return f":no_entry: {denied}"
        doing = f"Loading {provider.display_name}'s request types"
        try:
            options = await asyncio.wait_for(self._options_of(provider), OPTIONS_TIMEOUT_SECONDS)
        except TimeoutError:
            return (f":hourglass: {provider.display_name} took too long to list its request types, and Slack "
                    "allows only 3 seconds to open the form. Try `/request new` again in a moment.")
        except BridgeError as exc:
            return error_reply(exc, doing=doing)
        context = NewRequestContext(channel=channel, provider=provider.name, response_url=response_url)
        view = new_request_modal(provider_label=provider.display_name, options=options, context=context)
        try:
            await self._slack.open_view(trigger_id=trigger_id, view=view)
        except BridgeError as exc:
            log.warning("could not open the new-request modal", extra={"error": str(exc)})
            return f":warning: Slack did not let the bot open its form ({exc}). Try `/request new` again."
        return None

    async def _options_of(self, provider: Provider) -> RequestOptions:
        """The provider's choices, cached. One fetch per provider at a time, shielded: when Slack's 3 s run
        out first, the fetch still completes and fills the cache, so trying again a moment later works."""
        assert isinstance(provider, SupportsCreateRequest)
        cached = self._options.get(provider.name)
        if cached is not None and self._clock() - cached[0] <= OPTIONS_CACHE_SECONDS:
            return cached[1]
        fetch = self._fetching.get(provider.name)
        if fetch is None:
            fetch = asyncio.get_running_loop().create_task(provider.request_options())
            self._fetching[provider.name] = fetch
            fetch.add_done_callback(functools.partial(self._fetched, provider.name))
        return await asyncio.shield(fetch)

    def _fetched(self, name: str, fetch: asyncio.Task[RequestOptions]) -> None:
        self._fetching.pop(name, None)
        # Reading the exception also marks it retrieved when nobody awaits the fetch any more.
        if not fetch.cancelled() and fetch.exception() is None:
            self._options[name] = (self._clock(), fetch.result())

    async def accept(self, *, view: dict[str, Any], user: str) -> Submission | dict[str, str] | None:
        """Before Slack gets its answer: errors for the modal's fields; None for a repeated delivery or a view
        that is not ours (close the modal, do nothing); else the claimed submission to create."""
        context = context_of(view)
        if context is None:
            log.warning("a new-request submission without our metadata", extra={"view_id": view.get("id")})
            return None
        checked = read_submission(view)
        if isinstance(checked, dict):
            return checked
        # Checked again: an allowlist may have changed while the form was open, and nothing is created for
        # someone who could not link it.
        denied = (await self._access.may_link(user=user, channel=context.channel)
                  or await self._access.may_relay(user=user))
        if denied:
            return {Field.SUMMARY: denied}
        claimed = await self._store.creations.claim(view_id=str(view.get("id")), user_id=user,
                                                   channel_id=context.channel, provider=context.provider)
        if not claimed:
            log.info("repeated new-request submission ignored", extra={"view_id": view.get("id")})
            return None
        return Submission(view_id=str(view.get("id")), user=user, context=context, new=checked)

    async def create(self, submission: Submission) -> None:
        """After the ack: create the request, link it where the command was typed, tell the person."""
        context = submission.context
        try:
            text = await self._create_and_link(submission)
        except Exception:
            log.exception("creating a request failed", extra={"view_id": submission.view_id})
            await self._store.creations.finish(submission.view_id, state="failed")
            text = ":warning: Something went wrong on our side; the error is in the bot's log."
        await self._tell(context, user=submission.user, text=text)

    async def _create_and_link(self, submission: Submission) -> str:
        context, new = submission.context, submission.new
        try:
            provider = self.creator_for(context.provider)
        except InvalidInput as exc:  # the provider was turned off since the modal opened
            await self._store.creations.finish(submission.view_id, state="failed")
            return error_reply(exc, doing="")
        assert isinstance(provider, SupportsCreateRequest)
        doing = f"Creating the {provider.display_name} request"
        try:
            info = await provider.create_request(new)
        except AmbiguousWrite as exc:
            await self._store.creations.finish(submission.view_id, state="unknown")
            return (f":warning: {provider.display_name} did not confirm the request *{escape_for_slack(new.summary)}* "
                    f"({escape_for_slack(str(exc))}): it may or may not exist. Look for it in {provider.display_name} "
                    "before creating it again, and link it with `/request link`.")
        except BridgeError as exc:
            await self._store.creations.finish(submission.view_id, state="failed")
            text = error_reply(exc, doing=doing)
            if isinstance(exc, Rejected):
                text += " Nothing was created; fix the form and use `/request new` again."
            return text
        await self._store.creations.finish(submission.view_id, state="created", request_id=info.id)
        log.info("request created", extra={"provider": provider.name, "request_id": info.id})
        name = escape_for_slack(info.readable_id or info.id)
        linked = await self._linker.link(channel=context.channel, user=submission.user, raw_id=info.id,
                                         provider_name=provider.name)
        await self._show_question(submission, provider=provider.name, request_id=info.id)
        return f":white_check_mark: Created {provider.display_name} request *{name}* (`{info.id}`). {linked}"

    async def _show_question(self, submission: Submission, *, provider: str, request_id: str) -> None:
        """Open the thread with what was asked: the request's content is not one of its messages, so it would
        otherwise be seen only on the provider's side."""
        channel = submission.context.channel
        link = await self._store.links.find(channel_id=channel, provider=provider, request_id=request_id)
        if link is None or link.state != LinkState.ACTIVE or not link.thread_ts:
            return  # not linked (the bot is not in the channel, say): the person was told
        quoted = "\n".join(f">{line}" for line in escape_for_slack(submission.new.content).splitlines())
        try:
            await self._slack.post(channel=channel, thread_ts=link.thread_ts,
                                   text=f"<@{submission.user}> asked:\n{quoted}")
        except BridgeError as exc:
            log.warning("could not show the request's content", extra={"link_id": link.id, "error": str(exc)})

    async def _tell(self, context: NewRequestContext, *, user: str, text: str) -> None:
        if context.response_url and await self._slack.respond(response_url=context.response_url, text=text):
            return
        await self._slack.ephemeral(channel=context.channel, user=user, text=text)  # expired or unreachable
