"""Huawei Cloud service tickets (OSM v2): a case's messages ("留言") as a request conversation.

Operations used (huaweicloud-sdk-osm v2): ShowCaseDetail GET /v2/servicerequest/cases/{case_id},
ListMessages GET .../cases/{case_id}/messages (offset/limit, limit <= 100, `count` = total),
CreateMessages POST .../cases/{case_id}/message, RevokeMessage POST
.../cases/{case_id}/instant-messages/{message_id}/withdraw (a message deleted in Slack is withdrawn) and
ListNewInstantMessages GET .../cases/instant-messages (which of many cases have new messages, one call).
The API cannot edit a message, and neither the lists nor the create answer carry a message id: ids are
derived from what every read shows alike (messages.py); the real id, in the case detail, is used to withdraw.

Quirks, from Huawei's docs and error-code table:
- Errors are `{error_code, error_msg}`, and business errors come with HTTP 200: a 200 whose
  error_code is non-empty is an error. The success answer of a write carries the same two fields, empty.
  IAM (the token check in front of OSM) answers `{"error": {"code", "message"}}` instead.
- ListMessages has no time filter, so `after` is applied here, after reading every page.
- Times are rendered in the zone of the X-Time-Zone header (default GMT+8 on Huawei's side; the bridge
  sends HUAWEI_TIME_ZONE); a time without an offset is read in that zone (times.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ValidationError

from bot.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    ProviderError,
    Rejected,
    Unavailable,
)
from bot.http import RetryPolicy, send
from bot.providers.base import Finding, ProviderMessage, RequestInfo, SlackContext
from bot.providers.errors import error_for_status, garbled
from bot.providers.huawei import assumptions
from bot.providers.huawei.messages import chronological, full_text, may_be_cut, message_ids
from bot.providers.huawei.models import (
    CreateMessageDoV2,
    CreateMessageV2Req,
    IncidentDetailInfoV2,
    ListMessagesQuery,
    ListMessagesResponse,
    ListNewInstantMessagesResponse,
    QueryMessageInfoV2,
    ShowCaseDetailResponse,
)
from bot.providers.huawei.times import format_time, parse_time
from bot.text.formats import TextFormat

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=BaseModel)

API = "/v2/servicerequest/cases"
# case_id: String 0..64 in the spec; it goes into a URL path, so only a conservative charset passes
# (httpx resolves `../`, which could point the bot's credentials at another endpoint).
_CASE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MESSAGE_ID = _CASE_ID  # IncidentMessageV2.message_id goes into the withdraw path: the same care
BATCH_CASES = 100  # ListNewInstantMessages: `imstatus` holds at most 100 cases
PAGE_LIMIT = 100  # ListMessages: limit 0..100
MAX_OFFSET = 65535  # ListMessages: offset 0..65535
LIST_ATTEMPTS = 3  # re-reads when the total changes while the pages are read
CURSOR_OVERLAP = timedelta(seconds=5)
TITLE_MAX = 150
MAX_CONTENT = 2000  # CreateMessageDoV2.content, per the doc

# IncidentDetailInfoV2.status (ListCases adds 5 "suspended" as a filter value).
STATUS_NAMES = {
    0: "pending acceptance", 1: "in progress", 2: "awaiting result confirmation", 3: "completed",
    4: "cancelled", 5: "suspended", 12: "invalid", 17: "awaiting feedback",
}
# QueryMessageInfoV2.replier_type: 0 customer, 1 Huawei engineer, 2 third party. `type` (0 customer
# message, 1 Huawei engineer message) is the fallback when replier_type is absent.
ROLE_BY_REPLIER_TYPE = {0: "customer", 1: "Huawei engineer", 2: "third party"}
ROLE_BY_TYPE = {0: "customer", 1: "Huawei engineer"}

# Error codes (Huawei's error-code table). HTTP-mapped: OSM.0001 400 parameter check, OSM.0002 401
# token expired/invalid, OSM.0003 403, OSM.0004 500. Business errors arrive with HTTP 200.
AUTH_CODES = ("OSM.0002", "OSM.0003")
SERVER_ERROR_CODE = "OSM.0004"
# "No operation permission." is what a case id unknown to (or hidden from) this account gets.
NO_PERMISSION_CODE = "OSM.01010002"

def role_of(item: QueryMessageInfoV2) -> str | None:
    if item.replier_type is not None:
        return ROLE_BY_REPLIER_TYPE.get(item.replier_type)
    return ROLE_BY_TYPE.get(item.type) if item.type is not None else None


def error_fields(body: dict[str, Any]) -> tuple[str, str]:
    """(code, message) of an OSM error `{error_code, error_msg}` or of IAM's `{"error": {code, message}}`."""
    nested = body.get("error")
    if isinstance(nested, dict):
        return str(nested.get("code") or "").strip(), str(nested.get("message") or "").strip()
    return str(body.get("error_code") or "").strip(), str(body.get("error_msg") or "").strip()


class HuaweiOSM:
    """The Huawei Cloud service ticket provider: create, list, withdraw; no edit (the API has none)."""

    name = "huawei"
    display_name = "Huawei Cloud"
    max_content_length: int | None = MAX_CONTENT
    keeps_slack_context = False
    # The spec's `content` is a string of at most 2000 characters, no markup named.
    text_format = TextFormat.PLAIN

    def __init__(self, client: httpx.AsyncClient, *, auth_settings: str, group_id: str | None = None,
                 zone: timezone = UTC, policy: RetryPolicy | None = None) -> None:
        self._client = client
        self._auth_settings = auth_settings  # the settings to check when Huawei refuses the credentials
        self._group_id = group_id
        self._zone = zone
        self._policy = policy or RetryPolicy()
        # ListNewInstantMessages' cursor (last_message_time_id) per set of cases asked about together.
        self._batch_cursors: dict[tuple[str, ...], str | None] = {}

    @property
    def zone(self) -> timezone:
        """The zone a time without an offset is read in (HUAWEI_TIME_ZONE, sent as X-Time-Zone)."""
        return self._zone

    def validate_request_id(self, raw: str) -> str:
        candidate = raw.strip()
        if not _CASE_ID.match(candidate):
            shown = raw if len(raw) <= 40 else raw[:40] + "…"
            raise InvalidInput(
                f"`{shown}` is not a Huawei Cloud service ticket id. Use the case id shown in the console, "
                "e.g. `CS2026010112345678` (letters, digits, `-` and `_`, at most 64 characters)."
            )
        return candidate

    def _path(self, case_id: str, *rest: str) -> str:
        # Re-validated here so no caller can put an unchecked id into a path.
        return "/".join([API, self.validate_request_id(case_id), *rest])

    async def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                    json: Any = None, idempotent: bool = True) -> dict[str, Any]:
        url = f"{path}?{urlencode(params, doseq=True)}" if params else path
        response = await send(self._client, method, url, json=json, idempotent=idempotent,
                              provider=self.display_name, policy=self._policy)
        body = self._body(response, idempotent=idempotent)
        code, message = error_fields(body)
        if code or not response.is_success:
            raise self._error(response.status_code, code, message, idempotent=idempotent)
        return body

    def _body(self, response: httpx.Response, *, idempotent: bool) -> dict[str, Any]:
        if not response.content.strip():
            return {}  # the doc shows no body for a successful create
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body
        if not response.is_success:
            return {}  # an error page from a gateway: the status says enough
        raise garbled(response, provider=self.display_name, idempotent=idempotent)

    def _error(self, status: int, code: str, message: str, *, idempotent: bool) -> ProviderError:
        detail = f"{message or 'error'} ({code})" if code else f"HTTP {status}"
        kwargs: dict[str, Any] = {"provider": self.display_name, "status": status}
        if code in AUTH_CODES or status in (401, 403):
            return PermissionDenied(f"credentials refused: {detail}; check {self._auth_settings}", **kwargs)
        if code == NO_PERMISSION_CODE:
            return NotFound(f"no such case for this account, or no permission on it: {detail}. Cases of other "
                            "IAM users need HUAWEI_GROUP_ID", **kwargs)
        # Business errors arrive with HTTP 200: by their code, a server error is a 5xx, others refusals.
        effective = 500 if code == SERVER_ERROR_CODE else status if status >= 400 else 400
        return error_for_status(effective, detail, provider=self.display_name, idempotent=idempotent,
                                server="server error: ")

    def _query(self, **params: Any) -> dict[str, Any]:
        return {k: v for k, v in {**params, "group_id": self._group_id}.items() if v is not None}

    def _parse(self, model: type[_M], body: dict[str, Any], what: str) -> _M:
        try:
            return model.model_validate(body)
        except ValidationError:
            raise Unavailable(f"garbled {what}", provider=self.display_name) from None

    async def probe(self) -> str:
        # ListCases with one item: the cheapest authenticated call that names no case.
        body = await self._call("GET", API, params=self._query(offset=0, limit=1))
        return f"{body.get('total_count', 0)} cases visible"

    async def get_request(self, request_id: str) -> RequestInfo:
        detail = await self.detail(self.validate_request_id(request_id))
        return RequestInfo(id=self.validate_request_id(request_id), title=_title(detail.simple_description),
                           status=_status(detail.status), readable_id=detail.incident_id,
                           raw=detail.model_dump())

    async def create_message(self, request_id: str, content: str, *,
                             context: SlackContext | None = None) -> ProviderMessage | None:
        """Post as the customer. The answer names no message: None, and the next poll finds it by content."""
        path = self._path(request_id, "message")
        if len(content) > MAX_CONTENT:
            raise Rejected(f"message longer than {MAX_CONTENT} characters", provider=self.display_name)
        body = CreateMessageV2Req(message=CreateMessageDoV2(content=content), group_id=self._group_id)
        await self._call("POST", path, json=body.model_dump(exclude_none=True), idempotent=False)
        return None

    async def detail(self, case_id: str) -> IncidentDetailInfoV2:
        body = await self._call("GET", self._path(case_id), params=self._query())
        detail = self._parse(ShowCaseDetailResponse, body, "case detail").incident_detail_info
        if detail is None:
            raise Unavailable("case detail without incident_detail_info", provider=self.display_name)
        return detail

    async def first_page(self, case_id: str, *, time_zone: str) -> list[QueryMessageInfoV2]:
        """ListMessages' first page with another X-Time-Zone (doctor --live compares two), without retries."""
        url = f"{self._path(case_id, 'messages')}?{urlencode(self._query(offset=0, limit=PAGE_LIMIT))}"
        response = await self._client.get(url, headers={"X-Time-Zone": time_zone})
        body = self._body(response, idempotent=True)
        code, message = error_fields(body)
        if code or not response.is_success:
            raise self._error(response.status_code, code, message, idempotent=True)
        return self._parse(ListMessagesResponse, body, "message list").message_list or []

    async def check_assumptions(self, request_id: str, *, write_test: bool) -> list[Finding]:
        """`request-bridge doctor --live`: assumptions.py."""
        return await assumptions.check(self, self.validate_request_id(request_id), write_test=write_test)

    async def delete_message(self, request_id: str, message_id: str) -> None:
        """Withdraw (RevokeMessage) one of the bridge's messages, found by its id in the case detail."""
        case_id = self.validate_request_id(request_id)
        listed = chronological((await self.detail(case_id)).message_list or [], self._zone)
        for item, derived in zip(listed, message_ids(case_id, listed, self._zone), strict=True):
            if derived == message_id and item.message_id and _MESSAGE_ID.match(item.message_id):
                await self._call("POST", self._path(case_id, "instant-messages", item.message_id, "withdraw"),
                                 idempotent=False)
                return
        raise NotFound("no such message on the case (withdrawn already?)", provider=self.display_name)

    async def changed_requests(self, request_ids: Sequence[str]) -> set[str]:
        """Which of these cases have messages since the last call (ListNewInstantMessages, 100 cases a
        call). A set of cases asked for the first time has no cursor yet: all of it counts as changed."""
        cases = sorted({self.validate_request_id(r) for r in request_ids})
        changed: set[str] = set()
        chunks = [tuple(cases[i: i + BATCH_CASES]) for i in range(0, len(cases), BATCH_CASES)]
        for chunk in chunks:
            cursor = self._batch_cursors.get(chunk)
            body = await self._call("GET", API + "/instant-messages", params=self._query(
                case_ids=list(chunk), last_message_time_id=cursor))  # repeated, as the official SDK sends it
            page = self._parse(ListNewInstantMessagesResponse, body, "new message list")
            listed = {m.incident_id for m in page.immsg or [] if m.incident_id and m.message_list}
            changed |= set(chunk) if cursor is None else listed & set(chunk)
            self._batch_cursors[chunk] = page.last_message_time_id or cursor
        self._batch_cursors = {chunk: self._batch_cursors[chunk] for chunk in chunks}
        return changed

    async def list_messages(self, request_id: str, *, after: str | None = None) -> list[ProviderMessage]:
        case_id = self.validate_request_id(request_id)
        items = await self._read_all(case_id)
        if any(may_be_cut(item) for item in items):
            # The list's model caps content at 400 characters: the case detail has the whole text.
            detail = (await self.detail(case_id)).message_list or []
            items = [item.model_copy(update={"content": full_text(item, detail, self._zone) or item.content})
                     if may_be_cut(item) else item for item in items]
        messages = [self._message(item, message_id) for item, message_id in
                    zip(items, message_ids(case_id, items, self._zone), strict=True)]
        if after:
            since = parse_time(after, UTC)
            if since is None:
                raise InvalidInput(f"`{after}` is not a poll cursor")
            cutoff = format_time(since - CURSOR_OVERLAP)
            messages = [m for m in messages if m.created is None or m.created > cutoff]
        return messages

    async def _read_all(self, case_id: str) -> list[QueryMessageInfoV2]:
        """Every message oldest first. The total (`count`) must not change while the pages are read,
        or a shifted page could skip a message that a full poll would then take as deleted."""
        path = self._path(case_id, "messages")
        for _ in range(LIST_ATTEMPTS):
            items: list[QueryMessageInfoV2] = []
            totals: set[int] = set()
            offset = 0
            while True:
                query = ListMessagesQuery(offset=offset, limit=PAGE_LIMIT)
                body = await self._call("GET", path, params=self._query(**query.model_dump(exclude_none=True)))
                page = self._parse(ListMessagesResponse, body, "message list")
                batch = page.message_list or []
                if page.count is not None:
                    totals.add(page.count)
                items.extend(batch)
                offset += len(batch)
                if len(batch) < PAGE_LIMIT or (page.count is not None and offset >= page.count):
                    break
                if offset > MAX_OFFSET:
                    log.warning("message list truncated", extra={"request_id": case_id, "messages": offset})
                    break
            if len(totals) <= 1:
                return chronological(items, self._zone)
        raise Unavailable("the message list kept changing while it was read", provider=self.display_name)

    def _message(self, item: QueryMessageInfoV2, message_id: str) -> ProviderMessage:
        created = parse_time(item.create_time, self._zone)
        role = role_of(item)
        return ProviderMessage(id=message_id, author=item.replier_name or item.replier or role or "unknown",
                               content=item.content or "", created=format_time(created) if created else None,
                               updated=None, role=role, raw=item.model_dump())

    def cursor_of(self, message: ProviderMessage) -> str | None:
        return message.created

    async def aclose(self) -> None:
        await self._client.aclose()


def _title(description: str | None) -> str | None:
    """The case's brief description, first line, shortened: the API has no separate title."""
    if not description or not description.strip():
        return None
    line = description.strip().splitlines()[0]
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1] + "…"


def _status(status: int | None) -> str | None:
    return None if status is None else STATUS_NAMES.get(status, f"status {status}")
