"""The bot reads every answer the `cloudflare` SDK's types allow: optional members null or absent,
`result_info` present, `result: null`, failures whose errors carry no code. Each answer here is first
checked to be valid for the SDK, then given to the bot through httpx's MockTransport."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from cloudflare.types.cloudforce_one import RequestConstants
from cloudflare.types.cloudforce_one.requests import Message
from pydantic import TypeAdapter

from bot.errors import NotFound, Rejected
from bot.http import RetryPolicy, build_client
from bot.providers.base import RequestOptions
from bot.providers.cloudforce_one.client import CloudforceOne

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
REQUEST = "f174e90a-fafe-4643-bbbc-4a0ed4fc8415"
RESULT_INFO = {"count": 1, "page": 1, "per_page": 50, "total_count": 1}


def ok(result: Any, **extra: Any) -> dict[str, Any]:
    return {"errors": [], "messages": [], "success": True, "result": result, **extra}


def run(answer: dict[str, Any], use: Any, *, status: int = 200, by_path: dict[str, Any] | None = None) -> Any:
    def reply(request: httpx.Request) -> httpx.Response:
        body = (by_path or {}).get(request.url.path.rsplit("/", 1)[-1], answer)
        return httpx.Response(status, content=json.dumps(body).encode())

    async def go() -> Any:
        client = build_client(base_url="https://api.example/client/v4", headers={"Authorization": "Bearer t"},
                              timeout=1, transport=httpx.MockTransport(reply))
        provider = CloudforceOne(client, account_id=ACCOUNT, policy=RetryPolicy(attempts=1))
        try:
            return await use(provider)
        finally:
            await provider.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("constants", [
    {"status": None, "tlp": None},
    {},
    {"priority": None, "status": None, "tlp": ["clear"]},
])
def test_request_options_read_constants_with_null_or_absent_lists(constants: dict[str, Any]) -> None:
    RequestConstants.model_validate(constants)  # valid for the SDK
    options = run({}, lambda p: p.request_options(),
                  by_path={"types": ok(["Victomology"]), "constants": ok(constants)})
    assert options == RequestOptions(request_types=("Victomology",), priorities=(),
                                     tlps=tuple(constants.get("tlp") or ()))


MINIMAL = {"id": 7, "author": "a@example.com", "content": "hi", "is_follow_on_request": False,
           "updated": "2026-03-01T00:00:00Z"}


@pytest.mark.parametrize("answer", [
    ok([MINIMAL]),  # `created` absent
    ok([{**MINIMAL, "created": None}]),
    ok([MINIMAL], result_info=RESULT_INFO),
    ok([{**MINIMAL, "created": "2026-03-01T00:00:00Z", "surprise": {"new": "field"}}]),
])
def test_a_message_list_the_sdk_allows_is_read(answer: dict[str, Any]) -> None:
    TypeAdapter(list[Message]).validate_python(answer["result"])
    [message] = run(answer, lambda p: p.list_messages(REQUEST))
    assert (message.id, message.content, message.created or message.updated) == ("7", "hi", "2026-03-01T00:00:00Z")


def test_a_null_result_is_an_empty_list() -> None:
    assert run(ok(None), lambda p: p.list_messages(REQUEST)) == []


@pytest.mark.parametrize(("status", "errors", "error", "text"), [
    (404, [{"message": "Request not found"}], NotFound, "Request not found"),
    (400, [{"code": 1005, "message": "sort_by: unknown"}], Rejected, "sort_by: unknown"),
    (400, [{"code": 1005}], Rejected, "1005"),
])
def test_failures_reach_the_person_with_what_they_say(status: int, errors: list[dict[str, Any]],
                                                     error: type[Exception], text: str) -> None:
    body = {"errors": errors, "messages": [], "success": False, "result": None}
    with pytest.raises(error) as caught:
        run(body, lambda p: p.get_request(REQUEST), status=status)
    assert text in str(caught.value)
