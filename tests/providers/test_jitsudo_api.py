"""JITSudo against what a real server may do that the first fake never did: no GET /v1/requests/{id}
(learned once, then never asked again), pages shorter than `limit` while `has_more`, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.providers.jitsudo.client import JITSudo
from tests.fakes.jitsudo import FakeJITSudo
from tests.providers.test_jitsudo import _serve, api_calls, run

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def jit() -> Iterator[FakeJITSudo]:
    yield from _serve(FakeJITSudo())


def test_a_missing_single_request_get_is_learned_once(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()

    async def polls(p: JITSudo) -> bool | None:
        for _ in range(5):
            await p.get_request(request_id)
        return p.has_request_route

    assert run(jit, polls) is False
    probes = [c for c in api_calls(jit) if c["path"] == f"/v1/requests/{request_id}"]
    assert len(probes) == 1  # the first full poll asked; the next four did not


@pytest.fixture
def jit_details() -> Iterator[FakeJITSudo]:
    yield from _serve(FakeJITSudo(request_details=True))


def test_a_served_single_request_get_keeps_being_used(jit_details: FakeJITSudo) -> None:
    request_id = jit_details.add_request()

    async def polls(p: JITSudo) -> bool | None:
        await p.get_request(request_id)
        await p.get_request(request_id)
        return p.has_request_route

    assert run(jit_details, polls) is True
    assert len([c for c in api_calls(jit_details) if c["path"] == f"/v1/requests/{request_id}"]) == 2


@pytest.mark.parametrize("newest_first", [False, True])
def test_short_pages_with_has_more_and_either_order_miss_nothing(jit: FakeJITSudo, newest_first: bool) -> None:
    request_id = jit.add_request()
    for n in range(30):  # pairs share an instant
        jit.add_message(request_id, content=f"m{n}", created=T0 + timedelta(seconds=n // 2))
    jit.page_cap, jit.newest_first = 7, newest_first
    messages = run(jit, lambda p: p.list_messages(request_id))
    assert sorted(m.content for m in messages) == sorted(f"m{n}" for n in range(30))
    assert [m.created for m in messages] == sorted(m.created or "" for m in messages)
    assert len(api_calls(jit)) == 5  # ceil(30 / 7): has_more was followed past every short page
