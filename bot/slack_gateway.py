"""The bot's calls to the Slack Web API, with Slack's failures mapped onto the bridge's error tree."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BridgeError, RateLimited, Rejected, Unavailable
from bot.pacing import Pacer
from bot.slack_messages import MESSAGE_EVENT_TYPE

log = logging.getLogger(__name__)
SLACK = "Slack"
# Errors that will not go away by retrying.
_PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text",
              "invalid_auth", "not_authed", "account_inactive", "missing_scope", "thread_not_found",
              "message_not_found", "cant_update_message", "cant_delete_message", "user_not_found",
              "invalid_metadata_format", "invalid_blocks", "restricted_action", "no_such_subteam"}


def build_web_client(*, token: str, base_url: str, timeout: float) -> AsyncWebClient:
    """The one Slack Web API client: base URL from settings, retries on 429 (Retry-After) and 5xx."""
    client = AsyncWebClient(token=token, base_url=base_url, timeout=int(max(1, timeout)))
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=2))
    return client


class SlackGateway:
    """Posting, updating and reading back thread messages; users' display names, cached."""

    def __init__(self, client: AsyncWebClient, *, replies_per_minute: float = 40.0) -> None:
        self.client = client
        self._names: dict[str, str] = {}
        # conversations.replies is Tier 3 for internal apps, 1/min for non-Marketplace distributed ones.
        self._replies_pacer = Pacer(replies_per_minute)

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        # The typed client methods know each method's wire format (JSON, form or query string).
        call = getattr(self.client, method.replace(".", "_"))
        try:
            response = await call(**kwargs)
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
        return data

    async def auth_test(self) -> dict[str, Any]:
        return await self._call("auth.test")

    async def post(self, *, channel: str, text: str, thread_ts: str | None = None,
                   metadata: dict[str, Any] | None = None) -> str:
        """Post a message; return its ts."""
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if metadata:
            kwargs["metadata"] = metadata
        data = await self._call("chat.postMessage", **kwargs)
        return str(data["ts"])

    async def update(self, *, channel: str, ts: str, text: str, metadata: dict[str, Any] | None = None) -> None:
        kwargs: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if metadata:
            kwargs["metadata"] = metadata
        await self._call("chat.update", **kwargs)

    async def ephemeral(self, *, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        """Tell one person something; never raises, since it is itself the error path."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        try:
            await self._call("chat.postEphemeral", **kwargs)
        except BridgeError as exc:
            log.warning("could not send an ephemeral message", extra={"channel": channel, "error": str(exc)})

    async def permalink(self, *, channel: str, ts: str) -> str | None:
        try:
            data = await self._call("chat.getPermalink", channel=channel, message_ts=ts)
        except BridgeError:
            return None
        return data.get("permalink")

    async def thread_messages(self, *, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Every message of a thread (root first), with metadata; paced to the method's rate limit."""
        messages: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            kwargs: dict[str, Any] = {"channel": channel, "ts": thread_ts, "include_all_metadata": True,
                                      "limit": 200}
            if cursor:
                kwargs["cursor"] = cursor
            await self._replies_pacer.wait()
            data = await self._call("conversations.replies", **kwargs)
            messages.extend(data.get("messages", []))
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not data.get("has_more") or not cursor:
                return messages

    async def find_bridged_post(self, *, channel: str, thread_ts: str, message_id: str) -> str | None:
        """The ts of our post mirroring a provider message, if one is in the thread already."""
        for message in await self.thread_messages(channel=channel, thread_ts=thread_ts):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == MESSAGE_EVENT_TYPE and \
                    str((meta.get("event_payload") or {}).get("message_id")) == message_id:
                return str(message["ts"])
        return None

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
