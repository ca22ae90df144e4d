"""The Slack fake's wire: reading a Web API call's parameters, Slack's error shape, injected faults, cursors.

Slack answers errors as HTTP 200 with ``{"ok": false, "error": ...}``; only 429 and unknown methods
differ. Parameters come as JSON bodies, form bodies or query strings, and form posts carry blocks,
metadata and views as JSON strings.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from sandbox.slack_blocks import block_problems

FAULT_KINDS = ("ratelimited", "server_error", "garbage")
TRUE_VALUES = (True, 1, "true", "1")  # slack_sdk sends query booleans as "1"/"0"

Method = Callable[[dict[str, Any]], dict[str, Any]]


class SlackError(Exception):
    def __init__(self, error: str, messages: list[str] | None = None, **extra: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []  # Slack's response_metadata.messages (schema problems)
        self.extra = extra  # further top-level fields, e.g. missing_scope's `needed` and `provided`


@dataclass
class Fault:
    method: str
    kind: str
    remaining: int
    retry_after: int


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string merged with a JSON or form body; JSON-in-a-string fields decoded."""
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.text())
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackError("json_not_object")
            params.update(body)
        else:
            params.update(dict(await request.post()))
    # Form posts carry blocks/metadata as JSON strings.
    for key, error in (("blocks", "invalid_blocks_format"), ("metadata", "invalid_metadata_format"),
                       ("view", "invalid_arguments")):
        if isinstance(params.get(key), str) and params[key]:
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                raise SlackError(error) from None
    return params


def check_blocks(params: dict[str, Any]) -> None:
    # An empty list is allowed: on chat.update it removes the blocks.
    if params.get("blocks"):
        problems = block_problems(params["blocks"])
        if problems:
            raise SlackError("invalid_blocks", problems)


def fault_response(fault: Fault) -> web.Response:
    if fault.kind == "ratelimited":
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(fault.retry_after)}
        )
    if fault.kind == "server_error":
        return web.Response(status=503, text="upstream unavailable")
    return web.Response(status=200, text='{"ok": true, "channel": "C', content_type="application/json")


def bearer(header: str | None) -> str | None:
    if header and header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return None


def required(params: dict[str, Any], key: str, error: str) -> str:
    value = params.get(key)
    if not value:
        raise SlackError(error)
    return str(value)


def ts_param(params: dict[str, Any], key: str) -> Decimal | None:
    if params.get(key) in (None, ""):
        return None
    try:
        return Decimal(str(params[key]))
    except InvalidOperation:
        raise SlackError("invalid_arguments") from None


def encode_cursor(ts: str) -> str:
    # Same shape as Slack's cursors: base64 of "next_ts:<ts without dot>".
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


def decode_cursor(cursor: str) -> Decimal:
    """The ts a cursor points at (the first message at or after it comes next)."""
    try:
        prefix, _, digits = base64.b64decode(cursor, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    if prefix != "next_ts" or not digits.isdigit() or len(digits) <= 6:
        raise SlackError("invalid_cursor")
    return Decimal(f"{digits[:-6]}.{digits[-6:]}")
