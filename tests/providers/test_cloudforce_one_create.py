"""CloudforceOne as SupportsCreateRequest against the loopback fake: the lists, the create body, and what
each failure becomes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bot.errors import AmbiguousWrite, PermissionDenied, Rejected, Unavailable
from bot.http import RetryPolicy, build_client
from bot.providers.base import NewRequest, RequestOptions, SupportsCreateRequest
from bot.providers.cloudforce_one.client import CloudforceOne
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import serving


@pytest.fixture
def cf() -> Iterator[FakeCloudforceOne]:
    with serving(FakeCloudforceOne()) as fake:
        yield fake


def call(cf: FakeCloudforceOne, method: str, *args: Any) -> Any:
    """Run one provider call on a fresh client (each test's loop is its own)."""
    async def run() -> Any:
        client = build_client(base_url=cf.base_url, headers={"Authorization": "Bearer cf-test-token"}, timeout=2)
        provider = CloudforceOne(client, account_id=cf.account_id, policy=RetryPolicy(attempts=2, base_delay=0.01))
        try:
            return await getattr(provider, method)(*args)
        finally:
            await provider.aclose()
    return asyncio.run(run())


def test_it_is_a_provider_that_creates_requests(cf: FakeCloudforceOne) -> None:
    client = build_client(base_url=cf.base_url, headers={}, timeout=1)
    assert isinstance(CloudforceOne(client, account_id=cf.account_id), SupportsCreateRequest)
    asyncio.run(client.aclose())


def test_options_are_the_listed_types_and_constants(cf: FakeCloudforceOne) -> None:
    cf.request_types = ["Malware analysis", "Victomology"]
    assert call(cf, "request_options") == RequestOptions(
        request_types=("Malware analysis", "Victomology"), priorities=("routine", "high", "urgent"),
        tlps=("clear", "green", "amber", "amber-strict", "red"))


def test_a_garbled_list_is_unavailable(cf: FakeCloudforceOne) -> None:
    cf.fail_next("request_types", "garbage", count=2)
    with pytest.raises(Unavailable):
        call(cf, "request_options")


def test_create_sends_only_what_was_chosen_and_returns_the_request(cf: FakeCloudforceOne) -> None:
    info = call(cf, "create_request", NewRequest(summary="DoS", content="Which regions?", tlp="green"))
    [sent] = cf.calls_matching("POST", "/cloudforce-one/requests/new")
    assert sent["json"] == {"summary": "DoS", "content": "Which regions?", "tlp": "green"}
    stored = cf.request(info.id)
    assert (info.title, info.status, info.readable_id) == ("DoS", "open", stored["readable_id"])
    assert stored["tlp"] == "green" and stored["priority"] == "routine"


@pytest.mark.parametrize(("setup", "error"), [
    (lambda cf: None, Rejected),  # an unknown priority: 400
    (lambda cf: setattr(cf, "api_token", "rotated"), PermissionDenied),
    (lambda cf: cf.fail_next("create_request", "garbage"), AmbiguousWrite),
    (lambda cf: cf.fail_next("create_request", "apply_then_500"), AmbiguousWrite),
])
def test_create_failures(cf: FakeCloudforceOne, setup: Any, error: type[Exception]) -> None:
    setup(cf)
    with pytest.raises(error):
        call(cf, "create_request", NewRequest(summary="DoS", content="x", priority="whenever"
                                              if error is Rejected else None))
    # Whatever happened, the create was sent once: an unconfirmed create is never repeated blindly.
    assert len(cf.calls_matching("POST", "/cloudforce-one/requests/new")) == 1
