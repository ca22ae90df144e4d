"""The Cloudforce One fake's wire: paths, error codes, the v4 envelope, times, and how records are shown.

Follows the 2026-07-27 OpenAPI extract and the standard v4 envelope from Cloudflare's common.yaml:
errors are an array of {code, message} even though the per-API failure schema declares an object (a
known spec quirk). Error codes 1001-1500 are this fake's own choice (named constants below); the spec
fixes only ``minimum: 1000``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.faults import Fault, reset_connection

API_PREFIX = "/client/v4"
REQUESTS_PATH = API_PREFIX + "/accounts/{account_id}/cloudforce-one/requests"

# Cloudflare's own codes.
CODE_RATE_LIMITED = 971  # real 429 body; below the spec's minimum of 1000, as Cloudflare really sends it
CODE_NO_ROUTE = 7003  # common.yaml example: "No route for the URI"
CODE_METHOD_NOT_ALLOWED = 7001
CODE_MISSING_AUTH = 9106
CODE_AUTH_ERROR = 10000
# This fake's choices (>= 1000, as the spec requires).
CODE_INVALID_ACCOUNT_ID = 1001
CODE_INVALID_REQUEST_ID = 1002
CODE_INVALID_MESSAGE_ID = 1003
CODE_INVALID_JSON = 1004
CODE_INVALID_FIELD = 1005
CODE_REQUEST_NOT_FOUND = 1100
CODE_MESSAGE_NOT_FOUND = 1101
CODE_INTERNAL_ERROR = 1500

ACCOUNT_ID_MAX = 32  # common.yaml identifier maxLength
REQUEST_ID_MAX = 36  # common.yaml uuid maxLength
PRIORITIES = ("routine", "high", "urgent")
TLPS = ("clear", "amber", "amber-strict", "green", "red")
STATUSES = ("open", "accepted", "reported", "approved", "completed", "declined")
MESSAGE_SORT_FIELDS = ("created", "updated", "id")  # the Message fields that order meaningfully
REQUEST_SORT_FIELDS = (
    "created",
    "updated",
    "completed",
    "id",
    "readable_id",
    "priority",
    "status",
    "summary",
    "tlp",
)
OPS = (
    "get_request",
    "list_requests",
    "create_request",
    "request_types",
    "request_constants",
    "list_messages",
    "create_message",
    "update_message",
    "delete_message",
)
FAULT_KINDS = ("429", "500", "502", "503", "garbage", "reset", "slow", "apply_then_500")


class ApiError(Exception):
    """Becomes a v4 failure envelope."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def format_time(value: datetime) -> str:
    """RFC 3339, UTC, microseconds, trailing Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})")


def parse_time(value: str) -> datetime:
    """Parse a strict RFC 3339 date-time (offset required).

    datetime.fromisoformat alone is too lenient: it takes the spec's own malformed example
    "2022-01-01T00:00:Z", which a real server would reject.
    """
    match = RFC3339.fullmatch(value)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    base, fraction, offset = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]  # finer than microseconds is truncated
    return datetime.fromisoformat(f"{base}.{micros}{'+00:00' if offset in 'Zz' else offset}")


def envelope(result: Any = None, *, with_result: bool = True) -> dict[str, Any]:
    """Success envelope; Delete has no ``result`` member."""
    body: dict[str, Any] = {"errors": [], "messages": [], "success": True}
    if with_result:
        body["result"] = result
    return body


def failure(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """Standard v4 failure envelope (errors as an array)."""
    body = {"errors": [{"code": code, "message": message}], "messages": [], "success": False, "result": None}
    return web.json_response(body, status=status, headers=headers)


def fault_response(request: web.Request, fault: Fault) -> web.Response:
    if fault.kind == "429":
        return failure(
            429,
            CODE_RATE_LIMITED,
            "Please wait and consider throttling your request speed",
            headers={"Retry-After": str(fault.retry_after)},
        )
    if fault.kind == "500":
        return failure(500, CODE_INTERNAL_ERROR, "Internal server error")
    if fault.kind in ("502", "503"):
        # Gateway errors come from Cloudflare's edge as an HTML page, not the API envelope.
        title = "502 Bad Gateway" if fault.kind == "502" else "503 Service Temporarily Unavailable"
        html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return web.Response(status=int(fault.kind), text=html, content_type="text/html")
    if fault.kind == "garbage":
        return web.Response(
            status=200,
            text='{"errors": [], "messages": [], "success": true, "result": {"id": 1',
            content_type="application/json",
        )
    reset_connection(request)  # "reset"


def as_time(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    return utc(value) if isinstance(value, datetime) else parse_time(value)


def utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def wire_message(message: dict[str, Any]) -> dict[str, Any]:
    return {**message, "created": format_time(message["created"]), "updated": format_time(message["updated"])}


def request_item(found: dict[str, Any]) -> dict[str, Any]:
    """Request Item; optional members only when set."""
    item = {k: v for k, v in found.items() if v is not None}
    for key in ("created", "updated", "completed"):
        if key in item:
            item[key] = format_time(item[key])
    return item


def request_list_item(found: dict[str, Any]) -> dict[str, Any]:
    """Request List Item: as the item, without content."""
    item = request_item(found)
    item.pop("content", None)
    return item
