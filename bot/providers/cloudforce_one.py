"""Cloudflare Cloudforce One: request messages over the v4 API.

Seed docs: list (POST .../message), create (POST .../message/new), update (PUT .../message/{id}),
delete (DELETE .../message/{id}); GET .../requests/{id} for the request itself.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError

from bot.errors import (
    AmbiguousWrite,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unavailable,
)
from bot.http import RetryPolicy, send
from bot.providers.base import ProviderMessage, RequestInfo, SlackContext
from bot.providers.cloudforce_one_models import Envelope, MessageItem, MessageListParams, RequestItem

log = logging.getLogger(__name__)

# A UUID in its canonical 36-character form. The id goes into a URL path and httpx resolves `../`,
# so anything else could point the bot's credentials at another endpoint.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PER_PAGE = 50
MAX_PAGES = 200
# `after` is a strict "created after"; re-reading a few seconds back covers clock ties, and known ids
# are skipped by the caller.
CURSOR_OVERLAP = timedelta(seconds=5)


def auth_headers(*, api_token: str | None, email: str | None, api_key: str | None) -> dict[str, str]:
    """Bearer token when given (Cloudforce One token groups), else the email + Global API key pair."""
    if api_token:
        return {"Authorization": f"Bearer {api_token}"}
    if email and api_key:
        return {"X-Auth-Email": email, "X-Auth-Key": api_key}
    raise ValueError("Cloudforce One needs an API token or an email + API key")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _format_time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


class CloudforceOne:
    """The Cloudforce One provider. Supports update and delete."""

    name = "cloudforce-one"
    display_name = "Cloudforce One"
    max_content_length: int | None = None  # the spec sets no limit
    keeps_slack_context = False

    def __init__(self, client: httpx.AsyncClient, *, account_id: str, policy: RetryPolicy | None = None) -> None:
        self._client = client
        self._account = account_id
        self._policy = policy or RetryPolicy()

    def validate_request_id(self, raw: str) -> str:
        candidate = raw.strip().lower()
        if len(candidate) > 36 or not _UUID.match(candidate):
            shown = raw if len(raw) <= 40 else raw[:40] + "…"
            raise InvalidInput(
                f"`{shown}` is not a Cloudforce One request id. Use the request's UUID, "
                "e.g. `f174e90a-fafe-4643-bbbc-4a0ed4fc8415` (36 characters)."
            )
        return candidate

    def _path(self, request_id: str, *rest: str) -> str:
        # Re-validated here so no caller can put an unchecked id into a path.
        request_id = self.validate_request_id(request_id)
        return "/".join([f"/accounts/{self._account}/cloudforce-one/requests/{request_id}", *rest])

    async def _call(self, method: str, path: str, *, json: Any = None, idempotent: bool = True) -> Any:
        response = await send(self._client, method, path, json=json, idempotent=idempotent,
                              provider=self.display_name, policy=self._policy)
        try:
            envelope = Envelope.model_validate_json(response.content)
        except ValidationError:
            if response.is_success and not idempotent:
                raise AmbiguousWrite("garbled answer to a write", provider=self.display_name,
                                     status=response.status_code) from None
            raise Unavailable(f"garbled answer (HTTP {response.status_code})", provider=self.display_name,
                              status=response.status_code) from None
        if response.is_success and envelope.success:
            return envelope.result
        raise self._error(response, envelope)

    def _error(self, response: httpx.Response, envelope: Envelope) -> Exception:
        detail = "; ".join(f"{e.message} (code {e.code})" for e in envelope.errors) or f"HTTP {response.status_code}"
        status = response.status_code
        kwargs: dict[str, Any] = {"provider": self.display_name, "status": status}
        if status == 404:
            return NotFound(detail, **kwargs)
        if status in (401, 403):
            return PermissionDenied(f"access denied: {detail}", **kwargs)
        if status == 429:
            return RateLimited(detail, retry_after=60.0, **kwargs)
        if status >= 500:
            return Unavailable(detail, **kwargs)
        return Rejected(detail, **kwargs)

    async def get_request(self, request_id: str) -> RequestInfo:
        result = await self._call("GET", self._path(request_id))
        try:
            item = RequestItem.model_validate(result)
        except ValidationError:
            raise Unavailable("garbled request record", provider=self.display_name) from None
        return RequestInfo(id=item.id, title=item.summary, status=item.status, readable_id=item.readable_id,
                           raw=item.model_dump())

    async def create_message(self, request_id: str, content: str, *,
                             context: SlackContext | None = None) -> ProviderMessage:
        result = await self._call("POST", self._path(request_id, "message", "new"), json={"content": content},
                                  idempotent=False)
        return self._message(result)

    async def update_message(self, request_id: str, message_id: str, content: str) -> ProviderMessage:
        result = await self._call("PUT", self._path(request_id, "message", _message_id(message_id)),
                                  json={"content": content})
        return self._message(result)

    async def delete_message(self, request_id: str, message_id: str) -> None:
        await self._call("DELETE", self._path(request_id, "message", _message_id(message_id)))

    async def list_messages(self, request_id: str, *, after: str | None = None) -> list[ProviderMessage]:
        since = _format_time(_parse_time(after) - CURSOR_OVERLAP) if after else None
        seen: dict[str, ProviderMessage] = {}
        for page in range(1, MAX_PAGES + 1):
            params = MessageListParams(page=page, per_page=PER_PAGE, after=since, sort_by="created", sort_order="asc")
            result = await self._call("POST", self._path(request_id, "message"),
                                      json=params.model_dump(exclude_none=True))
            items = result or []
            if not isinstance(items, list):
                raise Unavailable("garbled message list", provider=self.display_name)
            for raw in items:
                message = self._message(raw)
                seen[message.id] = message  # a message may shift pages while we read
            if len(items) < PER_PAGE:
                break
        else:
            log.warning("message list truncated", extra={"request_id": request_id, "pages": MAX_PAGES})
        return sorted(seen.values(), key=lambda m: (m.created or m.updated or "", int(m.id)))

    def cursor_of(self, message: ProviderMessage) -> str | None:
        return message.created or message.updated

    async def probe(self) -> str:
        # The request list (one item) needs the same account and permission as everything the bridge does.
        await self._call("POST", f"/accounts/{self._account}/cloudforce-one/requests", json={"page": 1, "per_page": 1})
        return f"account {self._account}"

    def _message(self, raw: Any) -> ProviderMessage:
        try:
            item = MessageItem.model_validate(raw)
        except ValidationError:
            raise Unavailable("garbled message record", provider=self.display_name) from None
        return ProviderMessage(id=str(item.id), author=item.author, content=item.content, created=item.created,
                               updated=item.updated, raw=item.model_dump())

    async def aclose(self) -> None:
        await self._client.aclose()


def _message_id(message_id: str) -> str:
    if not message_id.isdigit():
        raise InvalidInput(f"`{message_id}` is not a Cloudforce One message id")
    return message_id
