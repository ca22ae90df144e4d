"""Every answer the Cloudforce One simulator gave, checked against the official `cloudflare` SDK's response
types with its strict validation (`cloudflare._models.validate_type`, what `_strict_response_validation`
runs). The conftest `cf` fixture applies it to every call of every test that uses the simulator.

The one known departure: the request item's `priority`, which the SDK types as a date-time (following
the spec's item schema) while the spec's examples, its list item and its create body use routine / high /
urgent. The simulator sends the word; it is checked here with the date-time put in its place."""

from __future__ import annotations

from typing import Any

from cloudflare._models import validate_type
from cloudflare.types.cloudforce_one import Item, ListItem, RequestConstants
from cloudflare.types.cloudforce_one.requests import Message, MessageDeleteResponse
from cloudflare.types.shared import ResponseInfo
from pydantic import ValidationError

RESULTS: dict[str, Any] = {
    "list_messages": list[Message], "create_message": Message, "update_message": Message,
    "get_request": Item, "create_request": Item, "list_requests": list[ListItem],
    "request_types": list[str], "request_constants": RequestConstants,
}


def problems(call: dict[str, Any]) -> list[str]:
    """Why the call's answer is not one the SDK's types allow (empty: it is)."""
    answer, op = call.get("answer"), call.get("op")
    if answer is None or op is None or call.get("injected"):
        return []  # no JSON answer, no route, or a fault a test injected on purpose
    where = f"{call['method']} {call['path']}"
    try:
        if not answer.get("success"):
            validate_type(type_=list[ResponseInfo], value=answer.get("errors"))
        elif op == "delete_message":
            validate_type(type_=MessageDeleteResponse, value=answer)
        else:
            result = answer.get("result")
            if RESULTS[op] is Item and isinstance(result, dict) and "priority" in result:
                result = {**result, "priority": result.get("created")}  # the known departure (docstring)
            validate_type(type_=RESULTS[op], value=result)
    except ValidationError as exc:
        return [f"{where}: {error['loc']} {error['msg']}" for error in exc.errors()]
    return []
