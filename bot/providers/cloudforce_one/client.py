"""Cloudflare Cloudforce One: request messages over the v4 API.

Seed docs: list (POST .../message), create (POST .../message/new), update (PUT .../message/{id}),
delete (DELETE .../message/{id}); GET .../requests/{id} for the request itself. `/request new` uses
POST .../requests/new, GET .../requests/types and GET .../requests/constants (2026-07-27 spec extract).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from bot.errors import (
    AmbiguousWrite,
    InvalidInput,
    Unavailable,
)
from bot.http import RetryPolicy, send
from bot.providers.base import (
    Finding,
    NewRequest,
    ProviderMessage,
    RequestChange,
    RequestInfo,
    RequestOptions,
    SlackContext,
)
from bot.providers.cloudforce_one import assumptions, paging
from bot.providers.cloudforce_one.models import (
    Envelope,
    MessageItem,
    MessageListParams,
    RequestConstants,
    RequestEdit,
    RequestItem,
)
from bot.providers.errors import error_for_status, garbled
from bot.providers.ids import canonical_uuid
from bot.text.formats import TextFormat

log = logging.getLogger(__name__)

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
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # the spec's times are UTC


def _format_time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


class CloudforceOne:
    """The Cloudforce One provider. Supports update and delete."""

    name = "cloudforce-one"
    display_name = "Cloudforce One"
    max_content_length: int | None = None  # the spec sets no limit
    keeps_slack_context = False
    # The spec's message `content` is a bare string ("Content of message"), no markup named.
    text_format = TextFormat.PLAIN

    def __init__(self, client: httpx.AsyncClient, *, account_id: str, policy: RetryPolicy | None = None) -> None:
        self._client = client
        self._account = account_id
        self._policy = policy or RetryPolicy()
        # What this account's message list does (page base, ignored parameters), learned from answers.
        self.paging = paging.Paging()

    def validate_request_id(self, raw: str) -> str:
        candidate = canonical_uuid(raw)
        if candidate is None:
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
            raise garbled(response, provider=self.display_name, idempotent=idempotent) from None
        if response.is_success and envelope.success:
            return envelope.result
        raise self._error(response, envelope)

    def _error(self, response: httpx.Response, envelope: Envelope) -> Exception:
        detail = "; ".join(e.message + (f" (code {e.code})" if e.code is not None else "")
                           for e in envelope.errors) or f"HTTP {response.status_code}"
        return error_for_status(response.status_code, detail, provider=self.display_name)

    async def get_request(self, request_id: str) -> RequestInfo:
        result = await self._call("GET", self._path(request_id))
        return self._request_info(result, garbled=Unavailable("garbled request record", provider=self.display_name))

    @staticmethod
    def _request_info(result: Any, *, garbled: Exception) -> RequestInfo:
        try:
            item = RequestItem.model_validate(result)
        except ValidationError:
            raise garbled from None
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
        """Oldest first. The walk over pages (paging.py) learns this account's page base and what the server
        ignores; a full read (no `after`) that cannot see every message is Unavailable, so that no message
        is taken as deleted for being out of reach."""
        since = _parse_time(after) - CURSOR_OVERLAP if after else None
        read: dict[str, ProviderMessage] = {}

        async def fetch(page: int, after_time: datetime | None, order: paging.Order) -> list[paging.Item]:
            listed = await self.list_page(request_id, page=page, per_page=PER_PAGE, order=order,
                                          after=_format_time(after_time) if after_time else None)
            read.update((m.id, m) for m in listed)  # a message may shift pages while we read: the last copy wins
            return [paging.Item(m.id, _parse_time(m.created or m.updated or "")) for m in listed]

        walked = await paging.walk(fetch, self.paging, since=since, per_page=PER_PAGE, max_calls=MAX_PAGES)
        if not walked.complete:
            log.warning("message list read in part", extra={"request_id": request_id, "calls": walked.calls})
            if since is None:
                raise Unavailable("the message list could not be read whole (the server ignores `page`, or "
                                  "more messages share one instant than a page holds)", provider=self.display_name)
        found = [read[item_id] for item_id in walked.items]
        return sorted(found, key=lambda m: (m.created or m.updated or "", int(m.id)))

    async def list_page(self, request_id: str, *, page: int, per_page: int, order: paging.Order = "asc",
                        after: str | None = None) -> list[ProviderMessage]:
        """One call of the message list, as the server answers it."""
        params = MessageListParams(page=page, per_page=per_page, sort_by="created", sort_order=order, after=after)
        result = await self._call("POST", self._path(request_id, "message"), json=params.model_dump(exclude_none=True))
        if not isinstance(result or [], list):
            raise Unavailable("garbled message list", provider=self.display_name)
        return [self._message(raw) for raw in result or []]

    change_page_size = PER_PAGE

    async def recently_changed(self, *, page: int) -> list[RequestChange]:
        """List Requests sorted by `updated`, newest first: one call for the 50 requests that moved last.

        `page` counts from 1; the page sent follows the base the message lists learned (paging.py). Until it
        is known only the first page is read (page 0, which a 1-based server reads as 1)."""
        if self.paging.base is None and page > 1:
            return []
        number = (self.paging.base or 0) + page - 1
        result = await self._call("POST", f"/accounts/{self._account}/cloudforce-one/requests",
                                  json={"page": number, "per_page": PER_PAGE, "sort_by": "updated",
                                        "sort_order": "desc"})
        try:
            items = TypeAdapter(list[RequestItem]).validate_python(result or [])
        except ValidationError:
            raise Unavailable("garbled request list", provider=self.display_name) from None
        return [RequestChange(request_id=item.id, updated=item.updated) for item in items if item.updated]

    def cursor_of(self, message: ProviderMessage) -> str | None:
        return message.created or message.updated

    def learned(self) -> dict[str, str]:
        """The message list's page base and ignored parameters, as learned (kept in the store)."""
        return paging.as_facts(self.paging)

    def recall(self, facts: Mapping[str, str]) -> None:
        self.paging = paging.from_facts(facts)

    async def check_assumptions(self, request_id: str, *, write_test: bool) -> list[Finding]:
        """`request-bridge doctor --live`: assumptions.py."""
        return await assumptions.check(self, self.validate_request_id(request_id), write_test=write_test)

    async def request_options(self) -> RequestOptions:
        """Request types (GET .../requests/types) and the priority and TLP constants (.../constants)."""
        base = f"/accounts/{self._account}/cloudforce-one/requests"
        types, constants = await self._call("GET", base + "/types"), await self._call("GET", base + "/constants")
        try:
            listed = TypeAdapter(list[str]).validate_python(types or [])
            known = RequestConstants.model_validate(constants or {})
        except ValidationError:
            raise Unavailable("garbled request types or constants", provider=self.display_name) from None
        return RequestOptions(request_types=tuple(listed), priorities=tuple(known.priority or ()),
                              tlps=tuple(known.tlp or ()))

    async def create_request(self, new: NewRequest) -> RequestInfo:
        """POST .../requests/new. The API takes no idempotency key: an unanswered create is AmbiguousWrite."""
        body = RequestEdit(summary=new.summary, content=new.content, priority=new.priority,
                           request_type=new.request_type, tlp=new.tlp)
        result = await self._call("POST", f"/accounts/{self._account}/cloudforce-one/requests/new",
                                  json=body.model_dump(exclude_none=True), idempotent=False)
        # Created, but the answer does not say which request: the outcome is unknown to the person.
        return self._request_info(result, garbled=AmbiguousWrite("garbled answer to a create",
                                                                 provider=self.display_name))

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
