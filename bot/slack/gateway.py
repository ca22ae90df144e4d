"""The bot's calls to the Slack Web API, with Slack's failures mapped onto the bridge's error tree."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.errors import BridgeError, RateLimited, Rejected, Unavailable
from bot.logs import Redactor
from bot.slack.pacing import Pacer
from bot.slack.posts import MESSAGE_EVENT_TYPE

log = logging.getLogger(__name__)
SLACK = "Slack"
# Errors that will not go away by retrying.
_PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text",
              "invalid_auth", "not_authed", "account_inactive", "missing_scope", "thread_not_found",
              "message_not_found", "cant_update_message", "cant_delete_message", "user_not_found",
              "invalid_metadata_format", "invalid_blocks", "restricted_action", "no_such_subteam",
              "expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id", "invalid_arguments", "not_enabled",
              "view_too_large"}


CUSTOMIZE_SCOPE = "chat:write.customize"


class CustomizeRefused(Rejected):
    """chat.postMessage refused a custom author (username/icon) for lack of chat:write.customize."""


class CustomizeIgnored(BridgeError):
    """A post was made, but under the app's name: the token lacks chat:write.customize, so Slack dropped
    the custom author. `ts` is the post's; its body should name the author after all."""

    def __init__(self, ts: str) -> None:
        super().__init__("chat.postMessage: custom author ignored (no chat:write.customize)")
        self.ts = ts


def build_web_client(*, token: str, base_url: str, timeout: float) -> AsyncWebClient:
    """The one Slack Web API client: base URL from settings, retries on 429 (Retry-After) and 5xx."""
    client = AsyncWebClient(token=token, base_url=base_url, timeout=int(max(1, timeout)))
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=2))
    return client


class SlackGateway:
    """Posting, updating and reading back thread messages; users' display names, cached.

    Every text the bot sends to Slack leaves through here (`_call` for the Web API, `respond` for
    response_url answers), so here it is masked like the logs: a provider's error echoing its API token, or
    Slack's echoing the bot token, never reaches a person. (Acknowledgements are masked in
    request_bridge/server.py, with the same Redactor.)"""

    def __init__(self, client: AsyncWebClient, *, replies_per_minute: float = 40.0,
                 redactor: Redactor | None = None) -> None:
        self.client = client
        self.redactor = redactor or Redactor([])
        self._names: dict[str, str] = {}
        # Whether posts may carry a custom author; learnt from the token's scopes, or from a refusal.
        self._customize: bool | None = None
        # conversations.replies is Tier 3 for internal apps, 1/min for non-Marketplace distributed ones.
        self._replies_pacer = Pacer(replies_per_minute)

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        # The typed client methods know each method's wire format (JSON, form or query string).
        call = getattr(self.client, method.replace(".", "_"))
        try:
            response = await call(**{key: self.redactor.mask_value(value) for key, value in kwargs.items()})
        except SlackApiError as exc:
            # With an unparsable body slack_sdk hands over the raw HTTP response instead of a SlackResponse.
            data = getattr(exc.response, "data", None)
            error = str(data.get("error", "unknown_error")) if isinstance(data, dict) else "garbled answer"
            status = getattr(exc.response, "status_code", None) or getattr(exc.response, "status", None)
            headers = getattr(exc.response, "headers", None) or {}
            if status == 429 or error == "ratelimited":
                retry_after = float(headers.get("Retry-After", 30) or 30)
                raise RateLimited(f"{method}: rate limited", retry_after=retry_after, provider=SLACK) from None
            if error in _PERMANENT:
                raise Rejected(f"{method}: {error}", provider=SLACK) from None
            raise Unavailable(f"{method}: {error} (HTTP {status})", provider=SLACK) from None
        except BridgeError:
            raise
        except Exception as exc:  # connection errors, timeouts, garbled JSON from Slack
            raise Unavailable(f"{method}: {type(exc).__name__}", provider=SLACK) from None
        data = response.data
        if not isinstance(data, dict):
            raise Unavailable(f"{method}: garbled answer", provider=SLACK)
        self._note_scopes(getattr(response, "headers", None))
        return data

    def _note_scopes(self, headers: Any) -> None:
        # Slack names the token's scopes in `x-oauth-scopes` on its answers: a scope granted or taken away
        # by a reinstall is noticed on the next call.
        found = next((v for k, v in dict(headers or {}).items() if str(k).lower() == "x-oauth-scopes"), None)
        if found is not None:
            self._customize = CUSTOMIZE_SCOPE in [s.strip() for s in str(found).split(",")]

    async def auth_test(self) -> dict[str, Any]:
        return await self._call("auth.test")

    async def post(self, *, channel: str, text: str, thread_ts: str | None = None,
                   metadata: dict[str, Any] | None = None, blocks: list[dict[str, Any]] | None = None,
                   username: str | None = None, icon_emoji: str | None = None) -> str:
        """Post a message; return its ts. `text` is the notification fallback when `blocks` are given.

        Raises CustomizeRefused when Slack refuses `username`/`icon_emoji` for a missing scope."""
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        for key, value in (("thread_ts", thread_ts), ("metadata", metadata), ("blocks", blocks),
                           ("username", username), ("icon_emoji", icon_emoji)):
            if value:
                kwargs[key] = value
        try:
            data = await self._call("chat.postMessage", **kwargs)
        except Rejected as exc:
            if (username or icon_emoji) and str(exc).endswith(": missing_scope"):
                self._customize = False
                raise CustomizeRefused(str(exc), provider=exc.provider) from None
            raise
        if (username or icon_emoji) and self._customize is False:
            raise CustomizeIgnored(str(data["ts"]))
        return str(data["ts"])

    async def update(self, *, channel: str, ts: str, text: str, metadata: dict[str, Any] | None = None,
                     blocks: list[dict[str, Any]] | None = None) -> None:
        """Replace a message's text (and blocks: omitted blocks are kept by Slack, so pass them)."""
        kwargs: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if metadata:
            kwargs["metadata"] = metadata
        if blocks is not None:
            kwargs["blocks"] = blocks
        await self._call("chat.update", **kwargs)

    async def delete(self, *, channel: str, ts: str) -> None:
        """Delete one of the bot's own messages; one already gone counts as deleted."""
        try:
            await self._call("chat.delete", channel=channel, ts=ts)
        except Rejected as exc:
            if not str(exc).endswith(": message_not_found"):
                raise

    async def can_customize(self) -> bool:
        """Whether the token has chat:write.customize (posts under an analyst's name), asked once.

        Slack names a token's scopes in the `x-oauth-scopes` header of its answers; without it, assume
        yes and learn from the post (CustomizeRefused, CustomizeIgnored)."""
        if self._customize is None:
            with contextlib.suppress(BridgeError):  # unknown: the first post decides instead
                await self._call("auth.test")  # notes the scopes from the answer's header
        if self._customize is None:
            self._customize = True
        return self._customize

    def known_users(self) -> dict[str, str]:
        """User id -> display name of everyone this process has looked up (to turn `@name` into mentions)."""
        return dict(self._names)

    async def ephemeral(self, *, channel: str, user: str, text: str, thread_ts: str | None = None) -> bool:
        """Tell one person something; never raises, since it is itself the error path. False if it failed."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        try:
            await self._call("chat.postEphemeral", **kwargs)
        except BridgeError as exc:
            log.warning("could not send an ephemeral message", extra={"channel": channel, "error": str(exc)})
            return False
        return True

    async def respond(self, *, response_url: str, text: str) -> bool:
        """An ephemeral reply through an interaction's response_url, which works even in a channel the bot
        is not in; never raises. False if it failed (the URL lives 30 minutes and takes 5 replies)."""
        try:
            response = await AsyncWebhookClient(response_url, timeout=self.client.timeout).send(
                text=self.redactor.mask(text), response_type="ephemeral", replace_original=False)
        except Exception as exc:  # unreachable or garbled: the caller has no better way left
            log.warning("response_url unusable", extra={"error": type(exc).__name__})
            return False
        if response.status_code != 200:
            log.warning("response_url refused the reply", extra={"status": response.status_code})
        return response.status_code == 200

    async def tell(self, *, channel: str, user: str, text: str, thread_ts: str | None = None,
                   response_url: str | None = None) -> None:
        """An ephemeral message (in the thread, if any); through `response_url` when the bot cannot post
        there (it is not in the channel, say), so the person hears back either way."""
        if not await self.ephemeral(channel=channel, user=user, text=text, thread_ts=thread_ts) and response_url:
            await self.respond(response_url=response_url, text=text)

    async def open_view(self, *, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal for whoever caused `trigger_id` (Slack honours a trigger once, within 3 s)."""
        await self._call("views.open", trigger_id=trigger_id, view=view)

    async def publish_home(self, *, user: str, view: dict[str, Any]) -> None:
        """Replace one person's App Home tab (views.publish)."""
        await self._call("views.publish", user_id=user, view=view)

    async def message(self, *, channel: str, ts: str, thread_ts: str | None = None) -> dict[str, Any] | None:
        """One message as Slack holds it now, read from its thread (or as a thread of its own)."""
        await self._replies_pacer.wait()
        data = await self._call("conversations.replies", channel=channel, ts=thread_ts or ts, oldest=ts, latest=ts,
                                inclusive=True)
        return next((m for m in data.get("messages", []) if m.get("ts") == ts), None)

    async def permalink(self, *, channel: str, ts: str) -> str | None:
        try:
            data = await self._call("chat.getPermalink", channel=channel, message_ts=ts)
        except BridgeError:
            return None
        return data.get("permalink")

    async def replies_turn(self) -> None:
        """Wait for a conversations.replies call's turn: a caller that chooses what to read only once its
        turn has come (bot/bridge/catch_up.py) reads the most urgent thread then, then passes `turn_taken`."""
        await self._replies_pacer.wait()

    async def thread_messages(self, *, channel: str, thread_ts: str, turn_taken: bool = False) -> list[dict[str, Any]]:
        """Every message of a thread (root first), with metadata; paced to the method's rate limit."""
        messages: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            kwargs: dict[str, Any] = {"channel": channel, "ts": thread_ts, "include_all_metadata": True,
                                      "limit": 200}
            if cursor:
                kwargs["cursor"] = cursor
            if not turn_taken or cursor:
                await self._replies_pacer.wait()
            data = await self._call("conversations.replies", **kwargs)
            messages.extend(data.get("messages", []))
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not data.get("has_more") or not cursor:
                return messages

    async def find_bridged_parts(self, *, channel: str, thread_ts: str, message_id: str) -> dict[int, str]:
        """Part number -> ts of our posts mirroring a provider message that are in the thread already."""
        found: dict[int, str] = {}
        for message in await self.thread_messages(channel=channel, thread_ts=thread_ts):
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == MESSAGE_EVENT_TYPE and str(payload.get("message_id")) == message_id:
                part = payload.get("part", 1)
                found.setdefault(part if isinstance(part, int) else 1, str(message["ts"]))
        return found

    async def usergroup_members(self, group_id: str) -> list[str]:
        """Members of a Slack user group (scope usergroups:read); an unknown group has none."""
        try:
            data = await self._call("usergroups.users.list", usergroup=group_id)
        except Rejected:
            return []
        return [str(u) for u in data.get("users", [])]

    async def display_name(self, user_id: str) -> str:
        """A person's display name (falling back to real name, then handle), cached per process."""
        if user_id not in self._names:
            data = await self._call("users.info", user=user_id)
            user = data.get("user") or {}
            profile = user.get("profile") or {}
            self._names[user_id] = (profile.get("display_name") or profile.get("real_name")
                                    or user.get("real_name") or user.get("name") or user_id)
        return self._names[user_id]

    async def display_names(self, user_ids: list[str]) -> dict[str, str]:
        """Names for mentions; an unknown user keeps its id rather than failing the message."""
        names = {}
        for user_id in user_ids:
            try:
                names[user_id] = await self.display_name(user_id)
            except Rejected:
                names[user_id] = user_id
        return names
