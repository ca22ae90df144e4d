"""Huawei Cloud service tickets (OSM v2): a case's messages ("留言") as a request conversation.

Operations used (huaweicloud-sdk-osm v2): ShowCaseDetail GET /v2/servicerequest/cases/{case_id},
ListMessages GET .../cases/{case_id}/messages (offset/limit, limit <= 100, `count` = total) and
CreateMessages POST .../cases/{case_id}/message. The API can neither edit nor delete a message, and
neither the list nor the create answer carries a message id: ids are synthesised (see `message_ids`).

Quirks, from Huawei's docs and error-code table:
- Errors are `{error_code, error_msg}`, and business errors come with HTTP 200: a 200 whose
  error_code is non-empty is an error. The success answer of a write carries the same two fields, empty.
- ListMessages has no time filter, so `after` is applied here, after reading every page.
- Times are rendered in the zone of the X-Time-Zone header (default GMT+8 on Huawei's side; the bridge
  sends HUAWEI_TIME_ZONE); a time without an offset is read in that zone.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
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
from bot.providers.base import ProviderMessage, RequestInfo, SlackContext
from bot.providers.errors import error_for_status, garbled
from bot.providers.huawei.models import (
    CreateMessageDoV2,
    CreateMessageV2Req,
    ListMessagesQuery,
    ListMessagesResponse,
    QueryMessageInfoV2,
    ShowCaseDetailResponse,
)
from bot.text.formats import TextFormat

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=BaseModel)

API = "/v2/servicerequest/cases"
# case_id: String 0..64 in the spec; it goes into a URL path, so only a conservative charset passes
# (httpx resolves `../`, which could point the bot's credentials at another endpoint).
_CASE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
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

_ZONE = re.compile(r"^(?:GMT|UTC)?\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$", re.IGNORECASE)
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$")


def parse_zone(value: str) -> timezone:
    """`GMT+8`, `GMT-03:30`, `GMT+0`, `UTC` -> a fixed offset. Raises ValueError."""
    match = _ZONE.match(value.strip())
    if match is None:
        raise ValueError(value)
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        raise ValueError(value)
    return timezone(-offset if sign == "-" else offset)


def parse_time(value: str | int | None, zone: timezone) -> datetime | None:
    """A Huawei date-time (RFC 3339, `...Z`, naive `YYYY-MM-DD[T ]HH:MM:SS` in `zone`, or epoch
    seconds/milliseconds) as an aware UTC datetime; None when it cannot be read."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text.isdigit():
        number = int(text)
        return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if not _NAIVE.match(text):
            return None
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds: sorts as text and reads back with fromisoformat."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def message_ids(case_id: str, items: Sequence[QueryMessageInfoV2], zone: timezone) -> list[str]:
    """A stable id per message: a hash of (case, creation instant, replier, content), plus `-N` for
    the Nth exact repeat. Same message, same id on every read; the instant is normalised to UTC so
    changing HUAWEI_TIME_ZONE changes no id."""
    seen: Counter[str] = Counter()
    ids = []
    for item in items:
        created = parse_time(item.create_time, zone)
        when = format_time(created) if created else str(item.create_time or "")
        who = item.replier or item.replier_name or ""
        key = "\x1f".join([case_id, when, who, item.content or ""])
        digest = hashlib.sha256(key.encode()).hexdigest()[:20]
        seen[digest] += 1
        ids.append(digest if seen[digest] == 1 else f"{digest}-{seen[digest]}")
    return ids


def role_of(item: QueryMessageInfoV2) -> str | None:
    if item.replier_type is not None:
        return ROLE_BY_REPLIER_TYPE.get(item.replier_type)
    return ROLE_BY_TYPE.get(item.type) if item.type is not None else None


class HuaweiOSM:
    """The Huawei Cloud service ticket provider. Create and list only: the API has no edit or delete."""

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
        url = f"{path}?{urlencode(params)}" if params else path
        response = await send(self._client, method, url, json=json, idempotent=idempotent,
                              provider=self.display_name, policy=self._policy)
        body = self._body(response, idempotent=idempotent)
        code, message = (str(body.get(key) or "").strip() for key in ("error_code", "error_msg"))
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
        body = await self._call("GET", self._path(request_id), params=self._query())
        detail = self._parse(ShowCaseDetailResponse, body, "case detail").incident_detail_info
        if detail is None:
            raise Unavailable("case detail without incident_detail_info", provider=self.display_name)
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

    async def list_messages(self, request_id: str, *, after: str | None = None) -> list[ProviderMessage]:
        case_id = self.validate_request_id(request_id)
        items = await self._read_all(case_id)
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
                return self._chronological(items)
        raise Unavailable("the message list kept changing while it was read", provider=self.display_name)

    def _chronological(self, items: list[QueryMessageInfoV2]) -> list[QueryMessageInfoV2]:
        # The doc does not say in which order ListMessages answers: newest-first lists are turned
        # round, then a stable sort by creation time keeps the server's order between equal times.
        times = [parse_time(item.create_time, self._zone) for item in items]
        known = [t for t in times if t is not None]
        if len(known) >= 2 and known[0] > known[-1]:
            items, times = items[::-1], times[::-1]
        floor = datetime.min.replace(tzinfo=UTC)
        order = sorted(range(len(items)), key=lambda i: times[i] or floor)
        return [items[i] for i in order]

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
