"""The Cloudforce One fake's checks of request bodies: JSON objects, paging, sorting, times, enums."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sandbox.cloudforce_one_wire import CODE_INVALID_FIELD, CODE_INVALID_JSON, ApiError, parse_time


def json_object(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        raise ApiError(400, CODE_INVALID_JSON, "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, CODE_INVALID_JSON, "Request body must be a JSON object")
    return body


def int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(400, CODE_INVALID_FIELD, f"{name}: required integer")
    return value


def paging(body: dict[str, Any]) -> tuple[int, int]:
    page, per_page = int_field(body, "page"), int_field(body, "per_page")
    if page < 0 or per_page < 1:
        raise ApiError(400, CODE_INVALID_FIELD, "page must be >= 0 and per_page >= 1")
    # Decision: pages are 1-based and page 0 means page 1. The spec does not define the base; this
    # is the Cloudflare v4 convention, and the seed's own example sends page 0.
    return max(page, 1), per_page


def sort_order(body: dict[str, Any]) -> bool:
    """True for descending."""
    order = body.get("sort_order", "asc")
    if order not in ("asc", "desc"):
        raise ApiError(400, CODE_INVALID_FIELD, "sort_order: must be asc or desc")
    return order == "desc"


def time_field(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(name)
        return parse_time(value)
    except ValueError:
        raise ApiError(400, CODE_INVALID_FIELD, f"{name}: must be an RFC 3339 date-time") from None


def check_enum(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    if name in body and body[name] not in allowed:
        raise ApiError(400, CODE_INVALID_FIELD, f"{name}: must be one of {', '.join(allowed)}")


def content_field(body: dict[str, Any]) -> str | None:
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise ApiError(400, CODE_INVALID_FIELD, "content: must be a string")
    return content
