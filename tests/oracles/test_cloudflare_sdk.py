"""The official `cloudflare` SDK (5.9, generated from the spec Cloudflare serves) as an oracle for the
Cloudforce One simulator and client.

- Every operation the bridge uses is answered by the simulator and read by the SDK with
  `_strict_response_validation=True`: the simulator cannot be more lenient than, or shaped differently
  from, the published response types.
- For each operation, the request the bot sends equals the SDK's request for the same call (method, path,
  body, auth header names), both captured by the simulator on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from cloudflare import APIResponseValidationError, AsyncCloudflare, BadRequestError, NotFoundError
from cloudflare.types.cloudforce_one import Item
from pydantic import ValidationError

from bot.http import RetryPolicy, build_client
from bot.providers.base import NewRequest
from bot.providers.cloudforce_one.client import CloudforceOne
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import serving
from tests.oracles.cloudflare_types import problems

AUTH_HEADERS = {"authorization", "x-auth-email", "x-auth-key"}


@pytest.fixture
def cf() -> Iterator[FakeCloudforceOne]:
    with serving(FakeCloudforceOne()) as fake:
        yield fake


def sdk_call(cf: FakeCloudforceOne, use: Callable[[AsyncCloudflare], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with AsyncCloudflare(api_token=cf.api_token, base_url=cf.base_url, max_retries=0,
                                   _strict_response_validation=True) as sdk:
            return await use(sdk)
    return asyncio.run(run())


def bot_call(cf: FakeCloudforceOne, use: Callable[[CloudforceOne], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        client = build_client(base_url=cf.base_url, headers={"Authorization": f"Bearer {cf.api_token}"}, timeout=5)
        provider = CloudforceOne(client, account_id=cf.account_id, policy=RetryPolicy(attempts=1))
        try:
            return await use(provider)
        finally:
            await provider.aclose()
    return asyncio.run(run())


def shape(call: dict[str, Any]) -> tuple[Any, ...]:
    """What must be equal between the bot's request and the SDK's."""
    auth = sorted(name.lower() for name in call["headers"] if name.lower() in AUTH_HEADERS)
    return call["method"], call["path"], call.get("query") or {}, call["json"], auth


def last_call(cf: FakeCloudforceOne) -> tuple[Any, ...]:
    calls = cf.calls
    cf.clear_calls()
    return shape(calls[-1])


# ------------------------------------------------------------------ answers, strictly validated


def test_every_answer_the_simulator_gives_passes_the_sdk_strict_types(cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request(tokens=3)
    cf.add_message(request_id, content="first")
    a = cf.account_id

    async def use(sdk: AsyncCloudflare) -> None:
        requests = sdk.cloudforce_one.requests
        constants = await requests.constants(account_id=a)
        assert constants is not None and constants.priority == ["routine", "high", "urgent"]
        assert [t async for t in requests.types(account_id=a)] == cf.request_types
        listed = [r async for r in requests.list(account_id=a, page=1, per_page=5)]
        assert [r.id for r in listed] == [request_id]
        page = await requests.message.get(request_id, account_id=a, page=1, per_page=50)
        assert [m.content for m in page.result] == ["first"]
        created = await requests.message.create(request_id, account_id=a, content="second")
        assert created is not None and created.created is not None
        updated = await requests.message.update(created.id, account_id=a, request_id=request_id, content="2nd")
        assert updated is not None and updated.content == "2nd"
        deleted = await requests.message.delete(created.id, account_id=a, request_id=request_id)
        assert deleted.success is True
        # Failures: the v4 envelope, which the SDK reads into its error types.
        with pytest.raises(NotFoundError):
            await requests.message.get("f174e90a-fafe-4643-bbbc-4a0ed4fc8415", account_id=a, page=1, per_page=1)
        with pytest.raises(BadRequestError):
            await requests.message.get(request_id, account_id=a, page=1, per_page=1, sort_by="nonsense")

    sdk_call(cf, use)


def test_the_one_known_departure_is_the_request_items_priority(cf: FakeCloudforceOne) -> None:
    """The spec types request-item `priority` as a date-time (the SDK follows it), while its own example,
    the list item and the create body use routine/high/urgent. The simulator sends the word, as every other
    part of the spec does; the bot reads it as a string. Everything else in the item is as the SDK types it."""
    request_id = cf.add_request(tokens=3)
    with pytest.raises(APIResponseValidationError):
        sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.get(request_id, account_id=cf.account_id))
    item = cf.request(request_id)
    with pytest.raises(ValidationError) as caught:
        Item.model_validate(item)
    assert [e["loc"] for e in caught.value.errors()] == [("priority",)]
    Item.model_validate({**item, "priority": item["created"]})


# ------------------------------------------------------------------ requests: the bot's equal the SDK's


def test_each_request_the_bot_sends_equals_the_sdks(cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    message = cf.add_message(request_id, content="hello")
    a = cf.account_id
    cf.clear_calls()

    bot_call(cf, lambda p: p.get_request(request_id))
    mine = last_call(cf)
    with pytest.raises(APIResponseValidationError):  # the priority departure above; the request is what counts
        sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.get(request_id, account_id=a))
    assert mine == last_call(cf)

    bot_call(cf, lambda p: p.create_message(request_id, "reply"))
    mine = last_call(cf)
    sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.message.create(request_id, account_id=a, content="reply"))
    assert mine == last_call(cf)

    bot_call(cf, lambda p: p.update_message(request_id, str(message["id"]), "edited"))
    mine = last_call(cf)
    sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.message.update(
        message["id"], account_id=a, request_id=request_id, content="edited"))
    assert mine == last_call(cf)

    bot_call(cf, lambda p: p.list_messages(request_id, after=message["created"]))
    [sent] = [c for c in cf.calls if c["path"].endswith("/message")]
    cf.clear_calls()
    body = sent["json"]
    sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.message.get(request_id, account_id=a, **body))
    assert shape(sent) == last_call(cf)

    bot_call(cf, lambda p: p.request_options())
    types, constants = (shape(c) for c in cf.calls)
    cf.clear_calls()
    sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.types(account_id=a))
    assert types == last_call(cf)
    sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.constants(account_id=a))
    assert constants == last_call(cf)

    new = NewRequest(summary="DoS", content="Which regions?", priority="high", request_type="Victomology", tlp="amber")
    bot_call(cf, lambda p: p.create_request(new))
    mine = last_call(cf)
    with pytest.raises(APIResponseValidationError):  # the answer is a request item: the priority departure
        sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.create(
            account_id=a, summary="DoS", content="Which regions?", priority="high", request_type="Victomology",
            tlp="amber"))
    assert mine == last_call(cf)

    bot_call(cf, lambda p: p.probe())
    mine = last_call(cf)
    sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.list(account_id=a, page=1, per_page=1))
    assert mine == last_call(cf)

    bot_call(cf, lambda p: p.delete_message(request_id, str(message["id"])))
    mine = last_call(cf)
    cf.add_message(request_id, content="again")  # id 2
    sdk_call(cf, lambda sdk: sdk.cloudforce_one.requests.message.delete(2, account_id=a, request_id=request_id))
    theirs = last_call(cf)
    assert mine[:2] == (theirs[0], theirs[1].removesuffix("/2") + f"/{message['id']}")
    assert mine[2:] == theirs[2:]


def test_the_email_and_key_pair_is_sent_as_the_sdk_sends_it(cf: FakeCloudforceOne) -> None:
    request_id = cf.add_request()
    cf.clear_calls()

    async def bot() -> None:
        client = build_client(base_url=cf.base_url, headers={"X-Auth-Email": cf.email, "X-Auth-Key": cf.api_key},
                              timeout=5)
        await CloudforceOne(client, account_id=cf.account_id).get_request(request_id)
        await client.aclose()

    async def sdk() -> None:
        async with AsyncCloudflare(api_email=cf.email, api_key=cf.api_key, base_url=cf.base_url, max_retries=0) as c:
            await c.cloudforce_one.requests.message.get(request_id, account_id=cf.account_id, page=1, per_page=1)

    asyncio.run(bot())
    asyncio.run(sdk())
    mine, theirs = cf.calls
    assert shape(mine)[4] == shape(theirs)[4] == ["x-auth-email", "x-auth-key"]


def test_the_conftest_check_catches_an_answer_the_sdk_would_refuse() -> None:
    """What the `cf` fixture runs on every recorded call after each test (tests/oracles/cloudflare_types.py)."""
    bad_list = {"method": "POST", "path": "/m", "op": "list_messages",
                "answer": {"success": True, "errors": [], "messages": [], "result": [{"id": "x"}]}}
    assert any("'id'" in p for p in problems(bad_list))
    no_code = {"method": "GET", "path": "/r", "op": "get_request",
               "answer": {"success": False, "errors": [{"message": "gone"}], "messages": [], "result": None}}
    assert any("'code'" in p for p in problems(no_code))
    nulls = {"method": "GET", "path": "/c", "op": "request_constants",
             "answer": {"success": True, "errors": [], "messages": [], "result": {"status": None, "tlp": None}}}
    assert problems(nulls) == []
    assert problems({**bad_list, "injected": "garbage"}) == []  # a fault injected on purpose is not judged
