"""JITSudo access requests: the request's message conversation over the v1 REST API.

Operations used (https://jitsudo-docs.pages.dev/api): create (POST /v1/requests/{id}/messages, 201),
list (GET /v1/requests/{id}/messages, `limit` <= 250 and an opaque `cursor`), and the request's status
(GET /v1/access/requests/{id}). The docs show no single-request GET, so the request's resource, action
and reason are read from GET /v1/requests/{id} only if the server has it: the first 404/405 on a request
the status call just found is taken as the route missing, and it is not asked again. No message update or delete
is documented, so this provider supports neither. Every call carries the credential (X-API-Key or a
bearer JWT) and X-Tenant-ID, which must name the credential's tenant (else 403 tenant_mismatch).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import ValidationError

from bot.errors import (
    AmbiguousWrite,
    InvalidInput,
    PermissionDenied,
    ProviderError,
    Rejected,
    Unavailable,
)
from bot.http import RetryPolicy, retry_after_seconds, send
from bot.providers.base import Finding, ProviderMessage, RequestInfo, SlackContext
from bot.providers.errors import DEFAULT_RETRY_AFTER, error_for_status, garbled
from bot.providers.ids import canonical_uuid
from bot.providers.jitsudo import assumptions
from bot.providers.jitsudo.models import (
    AccessRequest,
    AccessRequestStatus,
    CreateRequestMessageBody,
    ErrorBody,
    ListRequestMessagesParams,
    RequestMessage,
    RequestMessageList,
    parse_time,
)
from bot.providers.ordering import ListOrder
from bot.text.formats import TextFormat

log = logging.getLogger(__name__)

PAGE_LIMIT = 250  # the spec's maximum for `limit`
MAX_PAGES = 200
# The list call has no "created after" filter: every poll reads the whole conversation and keeps what is
# at most this much older than the cursor (clock ties); the caller skips ids it already knows.
CURSOR_OVERLAP = timedelta(seconds=5)
# How `author_type` is shown in Slack beside the author; a plain user gets no label.
ROLES: dict[str, str | None] = {"user": None, "approver": "approver", "ai": "AI", "system": "system"}
TENANT_MISMATCH = "tenant_mismatch"


def auth_headers(*, api_key: str | None, bearer_token: str | None, tenant_id: str) -> dict[str, str]:
    """The credential (the API key wins when both are set) and the tenant header for every call."""
    if api_key:
        return {"X-API-Key": api_key, "X-Tenant-ID": tenant_id}
    if bearer_token:
        return {"Authorization": f"Bearer {bearer_token}", "X-Tenant-ID": tenant_id}
    raise ValueError("JITSudo needs an API key or a bearer token")


class JITSudo:
    """The JITSudo provider: create and list messages of an access request (no update, no delete)."""

    name = "jitsudo"
    display_name = "JITSudo"
    max_content_length: int | None = None  # the spec sets no limit on `content`
    keeps_slack_context = True
    # RequestMessage.content is `{"type": "string"}` in the spec, no markup named.
    text_format = TextFormat.PLAIN

    def __init__(self, client: httpx.AsyncClient, *, policy: RetryPolicy | None = None) -> None:
        self._client = client
        self._policy = policy or RetryPolicy()
        self._order = ListOrder()  # the docs do not say which way the message list runs
        # Whether GET /v1/requests/{id} exists (not in the spec): None until the first answer says.
        self.has_request_route: bool | None = None

    def validate_request_id(self, raw: str) -> str:
        canonical = canonical_uuid(raw)
        if canonical is None:
            shown = raw if len(raw) <= 40 else raw[:40] + "…"
            raise InvalidInput(
                f"`{shown}` is not a JITSudo request id. Use the access request's UUID, "
                "e.g. `2489e9ad-2ee2-8e00-8ec9-32d5f69181c0` (36 characters)."
            )
        return canonical

    def _path(self, request_id: str, *rest: str, prefix: str = "/v1/requests") -> str:
        # Re-validated here so no caller can put an unchecked id into a path.
        return "/".join([f"{prefix}/{self.validate_request_id(request_id)}", *rest])

    async def _send(self, method: str, path: str, *, json: Any = None, idempotent: bool = True) -> httpx.Response:
        return await send(self._client, method, path, json=json, idempotent=idempotent,
                          provider=self.display_name, policy=self._policy)

    async def _call(self, method: str, path: str, *, json: Any = None, idempotent: bool = True) -> Any:
        response = await self._send(method, path, json=json, idempotent=idempotent)
        if not response.is_success:
            raise self._error(response)
        try:
            return response.json()
        except ValueError:
            raise garbled(response, provider=self.display_name, idempotent=idempotent) from None

    def _error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        try:
            body: ErrorBody | None = ErrorBody.model_validate_json(response.content)
        except ValidationError:
            body = None
        detail = f"{body.message} ({body.code})" if body else f"HTTP {status}"
        # Cedar policy notices are written for the person refused: they are passed on verbatim.
        notices = "refused by policy: " + "; ".join(body.notices) if body and body.notices else ""
        kwargs: dict[str, Any] = {"provider": self.display_name, "status": status}
        if status == 403 and body and body.code == TENANT_MISMATCH:
            tenant = f"JITSUDO_TENANT_ID does not match the credential's tenant ({detail})"
            return PermissionDenied(f"{tenant}; {notices}" if notices else tenant, **kwargs)
        if status == 403 and notices:
            # A policy refusal is about this message, not the bot's credentials.
            return Rejected(notices, **kwargs)
        if notices:
            detail = f"{detail}; {notices}"
        if status < 400:
            return Unavailable(f"unexpected answer: {detail}", **kwargs)
        return error_for_status(status, detail, provider=self.display_name, server="unexpected answer: ",
                                retry_after=retry_after_seconds(response, DEFAULT_RETRY_AFTER))

    async def probe(self) -> str:
        # listRequests with one item checks the credential and X-Tenant-ID without naming a request.
        await self._call("GET", "/v1/requests?limit=1")
        return "request list readable"

    async def get_request(self, request_id: str) -> RequestInfo:
        result = await self._call("GET", self._path(request_id, prefix="/v1/access/requests"))
        try:
            state = AccessRequestStatus.model_validate(result)
        except ValidationError:
            raise Unavailable("garbled request status", provider=self.display_name) from None
        details = await self._request_details(request_id)
        if details is not None:
            title: str | None = _title(details)
        else:
            title = ", ".join(g.name for g in state.grants if g.name) or None
        raw = {"status": state.model_dump(), "request": details.model_dump() if details else None}
        return RequestInfo(id=self.validate_request_id(request_id), title=title, status=state.status, raw=raw)

    async def _request_details(self, request_id: str) -> AccessRequest | None:
        """The AccessRequest from GET /v1/requests/{id}, or None where the server has no such route."""
        if self.has_request_route is False:
            return None
        response = await self._send("GET", self._path(request_id))
        if response.status_code in (404, 405):
            # The status call just found the request, so this is the route missing (it is not documented).
            log.info("no GET /v1/requests/{id} on this server: requests are shown without a title from now on",
                     extra={"status": response.status_code})
            self.has_request_route = False
            return None
        self.has_request_route = True
        if not response.is_success:
            raise self._error(response)
        try:
            return AccessRequest.model_validate_json(response.content)
        except ValidationError:
            log.warning("unreadable answer from GET /v1/requests/{id}; request shown without a title")
            return None

    async def create_message(self, request_id: str, content: str, *,
                             context: SlackContext | None = None) -> ProviderMessage:
        body = CreateRequestMessageBody(content=content, metadata=_slack_metadata(context))
        result = await self._call("POST", self._path(request_id, "messages"),
                                  json=body.model_dump(exclude_none=True), idempotent=False)
        try:
            return self._message(result)
        except Unavailable:
            raise AmbiguousWrite("garbled answer to a create", provider=self.display_name) from None

    async def list_messages(self, request_id: str, *, after: str | None = None) -> list[ProviderMessage]:
        since = parse_time(after) - CURSOR_OVERLAP if after else None
        seen: dict[str, ProviderMessage] = {}  # in the server's order
        cursors: set[str] = set()
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await self.message_page(request_id, limit=PAGE_LIMIT, cursor=cursor)
            for item in page.data:
                seen.setdefault(item.id, self._from_item(item))
            if not page.has_more:
                break
            if not page.next_cursor or page.next_cursor in cursors:
                raise Unavailable("message list says has_more but gives no new next_cursor",
                                  provider=self.display_name)
            cursors.add(page.next_cursor)
            cursor = page.next_cursor
        else:
            log.warning("message list truncated", extra={"request_id": request_id, "pages": MAX_PAGES})
        # The docs do not say which way the list runs; equal times keep the server's order (ordering.py).
        listed = list(seen.values())
        times = [parse_time(m.created) if m.created else None for m in listed]
        return [m for m in self._order.oldest_first(listed, times)
                if since is None or m.created is None or parse_time(m.created) >= since]

    async def message_page(self, request_id: str, *, limit: int, cursor: str | None = None) -> RequestMessageList:
        """One call of the message list, as the server answers it."""
        query = ListRequestMessagesParams(limit=limit, cursor=cursor).model_dump(exclude_none=True)
        result = await self._call("GET", f"{self._path(request_id, 'messages')}?{urlencode(query)}")
        try:
            return RequestMessageList.model_validate(result)
        except ValidationError:
            raise Unavailable("garbled message list", provider=self.display_name) from None

    async def check_assumptions(self, request_id: str, *, write_test: bool) -> list[Finding]:
        """`request-bridge doctor --live`: assumptions.py."""
        return await assumptions.check(self, self.validate_request_id(request_id), write_test=write_test)

    def learned(self) -> dict[str, str]:
        """Whether GET /v1/requests/{id} exists, once an answer said (kept in the store)."""
        if self.has_request_route is None:
            return {}
        return {"request_route": "present" if self.has_request_route else "absent"}

    def recall(self, facts: Mapping[str, str]) -> None:
        route = facts.get("request_route")
        self.has_request_route = {"present": True, "absent": False}.get(route or "")

    def cursor_of(self, message: ProviderMessage) -> str | None:
        return message.created

    def _message(self, raw: Any) -> ProviderMessage:
        try:
            item = RequestMessage.model_validate(raw)
        except ValidationError:
            raise Unavailable("garbled message record", provider=self.display_name) from None
        return self._from_item(item)

    @staticmethod
    def _from_item(item: RequestMessage) -> ProviderMessage:
        role = ROLES.get(item.author_type, item.author_type)  # an unknown type is shown as it is
        return ProviderMessage(id=item.id, author=item.author_id, content=item.content, created=item.created_at,
                               updated=None, role=role, raw=item.model_dump())

    async def aclose(self) -> None:
        await self._client.aclose()


def _title(request: AccessRequest) -> str:
    title = f"{request.action} on {request.resource.type} {request.resource.id}"
    return f"{title}: {request.reason}" if request.reason else title


def _slack_metadata(context: SlackContext | None) -> dict[str, Any] | None:
    """Where the message came from in Slack, stored with it on JITSudo."""
    if context is None:
        return None
    fields = {"slack_channel": context.channel, "slack_user": context.user, "slack_permalink": context.permalink}
    return {key: value for key, value in fields.items() if value}
