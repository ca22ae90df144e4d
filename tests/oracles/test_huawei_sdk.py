"""The official `huaweicloudsdkosm` (3.1.219) as an oracle for the Huawei OSM fake and client.

- Every answer the fake gives for an operation the bridge uses passes the SDK model's attribute map and
  types strictly (tests/oracles/huawei_types.py), errors included.
- For each operation, the request the bot sends equals the SDK's for the same call (method, path, query,
  body, auth header names), both captured on loopback. The AK/SK signatures themselves are checked
  byte for byte in tests/providers/test_huawei.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import pytest
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkosm.v2 import (
    CreateMessageDoV2,
    CreateMessagesRequest,
    CreateMessageV2Req,
    ListCasesRequest,
    ListMessagesRequest,
    ListNewInstantMessagesRequest,
    OsmClient,
    RevokeMessageRequest,
    ShowCaseDetailRequest,
)

from bot.providers.huawei.client import HuaweiOSM
from sandbox.server import serving
from tests.fakes.huawei import FakeHuawei
from tests.oracles.huawei_types import answer_problems, model_of, problems, sdk_reads_time
from tests.providers.test_huawei import run, settings_for

T = TypeVar("T")
AUTH_HEADERS = {"authorization", "x-sdk-date", "x-domain-id", "x-auth-token"}


@pytest.fixture
def hw() -> Iterator[FakeHuawei]:
    with serving(FakeHuawei()) as fake:
        yield fake
        assert not answer_problems(fake.calls), answer_problems(fake.calls)  # the SDK's models


def bot(hw: FakeHuawei, use: Callable[[HuaweiOSM], Awaitable[T]], **overrides: Any) -> T:
    return run(settings_for(hw, **overrides), use)


def sdk(hw: FakeHuawei) -> OsmClient:
    return (OsmClient.new_builder().with_credentials(GlobalCredentials(hw.ak, hw.sk, hw.domain_id))
            .with_endpoints([hw.base_url]).build())


def shape(call: dict[str, Any]) -> tuple[Any, ...]:
    auth = sorted(name.lower() for name in call["headers"] if name.lower() in AUTH_HEADERS)
    return call["method"], call["path"], sorted(parse_qsl(call["raw_query"])), call["json"], auth


def taken(hw: FakeHuawei) -> list[tuple[Any, ...]]:
    calls = [shape(c) for c in hw.calls]
    hw.clear_calls()
    return calls


# ------------------------------------------------------------------ answers, strictly validated


@pytest.mark.parametrize("time_style", ["naive", "utc"])
def test_every_answer_the_fake_gives_passes_the_sdk_models(hw: FakeHuawei, time_style: str) -> None:
    """The JSON on the wire, member by member (the SDK's own reader would drop what it does not know)."""
    hw.time_style = time_style
    case_id = hw.add_request()
    hw.add_message(case_id, content="a")
    hw.add_message(case_id, content="b" * 500, role="customer")
    hw.list_content_limit = 400

    async def read(provider: HuaweiOSM) -> None:
        await provider.get_request(case_id)
        await provider.changed_requests([case_id])
        await provider.create_message(case_id, "c")
        messages = await provider.list_messages(case_id)
        await provider.changed_requests([case_id])
        await provider.delete_message(case_id, messages[-1].id)
        await provider.probe()

    bot(hw, read)
    answered = [(model_of(c), c["answer"]) for c in hw.calls]
    assert {model for model, _ in answered} == {
        "ShowCaseDetailResponse", "ListNewInstantMessagesResponse", "CreateMessagesResponse",
        "ListMessagesResponse", "RevokeMessageResponse", "ListCasesResponse"}
    for model, answer in answered:
        assert problems(model, answer) == [], model


@pytest.mark.parametrize(("setup", "status"), [
    (lambda hw: setattr(hw, "sk", "rotated"), 401),
    (lambda hw: None, 400),
])
def test_error_answers_are_the_sdks_error_shape(hw: FakeHuawei, setup: Any, status: int) -> None:
    case_id = hw.add_request()
    client = sdk(hw)
    setup(hw)
    with pytest.raises(ClientRequestException) as caught:
        client.list_messages(ListMessagesRequest(case_id=case_id, offset=0 if status == 401 else 70000, limit=10))
    assert caught.value.status_code == status and caught.value.error_code.startswith("OSM.")
    assert problems("CreateMessagesResponse", hw.calls[-1]["answer"]) == []  # {error_code, error_msg}


def test_an_offset_time_is_one_the_sdk_cannot_read() -> None:
    """Why the fake renders times without an offset by default: the SDK appends `Z` to any time without
    one, so `...+08:00` becomes unreadable to it; a naive time or `...Z` reads."""
    assert not sdk_reads_time("2026-03-01T17:00:00.000+08:00")
    assert sdk_reads_time("2026-03-01 17:00:00") and sdk_reads_time("2026-03-01T09:00:00Z")


# ------------------------------------------------------------------ requests: the bot's equal the SDK's


def test_each_request_the_bot_sends_equals_the_sdks(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    hw.add_message(case_id, content="engineer")
    client = sdk(hw)
    hw.clear_calls()

    bot(hw, lambda p: p.get_request(case_id))
    mine = taken(hw)
    client.show_case_detail(ShowCaseDetailRequest(case_id=case_id))
    assert mine == taken(hw)

    bot(hw, lambda p: p.list_messages(case_id))
    mine = taken(hw)
    client.list_messages(ListMessagesRequest(case_id=case_id, offset=0, limit=100))
    assert mine == taken(hw)

    bot(hw, lambda p: p.create_message(case_id, "from slack"))
    mine = taken(hw)
    client.create_messages(CreateMessagesRequest(case_id=case_id, body=CreateMessageV2Req(
        message=CreateMessageDoV2(content="from slack"))))
    assert mine == taken(hw)

    bot(hw, lambda p: p.changed_requests([case_id, "CS2"]))
    mine = taken(hw)
    client.list_new_instant_messages(ListNewInstantMessagesRequest(case_ids=["CS2", case_id]))
    assert mine == taken(hw)

    bot(hw, lambda p: p.probe())
    mine = taken(hw)
    client.list_cases(ListCasesRequest(offset=0, limit=1))
    assert mine == taken(hw)

    messages = bot(hw, lambda p: p.list_messages(case_id))
    hw.clear_calls()
    bot(hw, lambda p: p.delete_message(case_id, messages[-1].id))
    detail, withdraw = taken(hw)
    client.create_messages(CreateMessagesRequest(case_id=case_id, body=CreateMessageV2Req(
        message=CreateMessageDoV2(content="again"))))
    detail_info = client.show_case_detail(ShowCaseDetailRequest(case_id=case_id)).incident_detail_info
    hw.clear_calls()
    client.revoke_message(RevokeMessageRequest(case_id=case_id, message_id=detail_info.message_list[-1].message_id))
    [theirs] = taken(hw)
    assert withdraw[0] == theirs[0] and withdraw[2:] == theirs[2:]
    assert withdraw[1].rsplit("/", 2)[0] == theirs[1].rsplit("/", 2)[0]
    assert withdraw[1].endswith("/withdraw") and detail[1].endswith(case_id)


def test_with_a_group_id_the_query_and_body_match_the_sdks(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    client = sdk(hw)
    bot(hw, lambda p: p.list_messages(case_id), huawei_group_id="g-1")
    bot(hw, lambda p: p.create_message(case_id, "x"), huawei_group_id="g-1")
    list_call, create_call = taken(hw)
    client.list_messages(ListMessagesRequest(case_id=case_id, offset=0, limit=100, group_id="g-1"))
    client.create_messages(CreateMessagesRequest(case_id=case_id, body=CreateMessageV2Req(
        message=CreateMessageDoV2(content="x"), group_id="g-1")))
    assert [list_call, create_call] == taken(hw)
