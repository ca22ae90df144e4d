"""HuaweiOSM against the loopback FakeHuawei (real HTTP, real AK/SK signatures), plus its signer
checked against the official SDK core on the same inputs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

from bot.errors import AmbiguousWrite, ConfigError, InvalidInput, NotFound, PermissionDenied, Rejected, Unavailable
from bot.providers import huawei
from bot.providers.base import Provider, SupportsDelete, SupportsUpdate
from bot.providers.huawei.client import HuaweiOSM, parse_time
from bot.providers.huawei.settings import HuaweiSettings
from bot.providers.huawei.signing import HuaweiAkSkAuth, sign_request
from bot.providers.plugin import BuildContext
from sandbox.server import ServerThread
from tests.fakes.huawei import FakeHuawei
from tests.oracles.huawei_types import answer_problems


def build_huawei(settings: HuaweiSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> HuaweiOSM | None:
    """The plug-in's build, as the service calls it."""
    return huawei.build(settings, BuildContext(timeout=10.0, transport=transport))  # type: ignore[return-value]

T = TypeVar("T")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def hw() -> Iterator[FakeHuawei]:
    fake = FakeHuawei()
    with ServerThread(fake.app) as server:
        fake.bind(server.url)
        yield fake
        assert not answer_problems(fake.calls), answer_problems(fake.calls)  # the SDK's models


def settings_for(fake: FakeHuawei | None = None, **overrides: Any) -> HuaweiSettings:
    values: dict[str, Any] = {
        "huawei_endpoint": fake.base_url if fake else "https://osm.myhuaweicloud.com",
        "huawei_ak": "test-ak", "huawei_sk": "test-sk", "huawei_domain_id": "test-domain",
        "huawei_auth_token": None, "huawei_group_id": None, "huawei_site": 1,
        "huawei_language": "en-us", "huawei_time_zone": "GMT+0",
    }
    values.update(overrides)
    return HuaweiSettings(_env_file=None, **values)  # type: ignore[call-arg]


def run(settings: HuaweiSettings, body: Callable[[HuaweiOSM], Awaitable[T]], *,
        transport: httpx.AsyncBaseTransport | None = None) -> T:
    """Build the provider from settings and run `body` with it on a fresh loop."""
    async def main() -> T:
        provider = build_huawei(settings, transport=transport)
        assert provider is not None
        try:
            return await body(provider)
        finally:
            await provider.aclose()

    return asyncio.run(main())


# ------------------------------------------------------------------ ids and requests


def test_case_ids_are_validated_before_any_call(hw: FakeHuawei) -> None:
    provider = build_huawei(settings_for(hw))
    assert provider is not None
    assert provider.validate_request_id(" CS2026_abc-01 ") == "CS2026_abc-01"
    for raw in ["../../v3/auth/tokens", "CS1/../x", "CS 1", "x%2F..", "", "a" * 65, "ticket?x=1"]:
        with pytest.raises(InvalidInput, match="not a Huawei Cloud service ticket id"):
            provider.validate_request_id(raw)
    with pytest.raises(InvalidInput):
        run(settings_for(hw), lambda p: p.get_request("../../v3/auth/tokens"))
    with pytest.raises(InvalidInput):
        run(settings_for(hw), lambda p: p.create_message("CS1/../x", "hi"))
    assert hw.calls == []


def test_get_request_shows_description_and_status_with_common_headers(hw: FakeHuawei) -> None:
    case_id = hw.add_request(title="Disk full on ecs-01\nDetails follow", status=1)
    info = run(settings_for(hw), lambda p: p.get_request(case_id))
    assert (info.id, info.title, info.status, info.readable_id) == (case_id, "Disk full on ecs-01", "in progress",
                                                                    case_id)
    headers = hw.calls[0]["headers"]
    assert (headers["X-Language"], headers["X-Time-Zone"], headers["X-Site"]) == ("en-us", "GMT+0", "1")
    assert headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=test-ak, SignedHeaders=")
    assert headers["X-Domain-Id"] == "test-domain" and "X-Sdk-Date" in headers


def test_unknown_case_is_an_http_200_with_error_code(hw: FakeHuawei) -> None:
    with pytest.raises(NotFound, match="OSM.01010002") as caught:
        run(settings_for(hw), lambda p: p.get_request("CS404"))
    assert caught.value.status == 200


def test_business_error_code_on_200_is_rejected() -> None:
    body = {"error_code": "OSM.01010001", "error_msg": "Param validation failed."}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    with pytest.raises(Rejected, match="Param validation failed"):
        run(settings_for(), lambda p: p.create_message("CS1", "hello"), transport=transport)


def test_provider_creates_lists_and_withdraws_but_cannot_edit() -> None:
    provider = build_huawei(settings_for())
    assert isinstance(provider, Provider)
    assert not isinstance(provider, SupportsUpdate) and isinstance(provider, SupportsDelete)
    assert (provider.name, provider.display_name, provider.max_content_length) == ("huawei", "Huawei Cloud", 2000)


# ------------------------------------------------------------------ messages


def test_create_then_list_finds_it_as_the_customer(hw: FakeHuawei) -> None:
    case_id = hw.add_request()

    async def body(p: HuaweiOSM) -> list[Any]:
        assert await p.create_message(case_id, "Alice: the disk is full again") is None
        return await p.list_messages(case_id)

    [message] = run(settings_for(hw), body)
    assert (message.content, message.role, message.author) == ("Alice: the disk is full again", "customer",
                                                               hw.customer_name)
    create = next(c for c in hw.calls if c["method"] == "POST")
    assert create["path"] == f"/v2/servicerequest/cases/{case_id}/message"
    assert create["json"] == {"message": {"content": "Alice: the disk is full again"}}
    assert hw.messages(case_id)[0]["replier_type"] == 0


def test_group_id_goes_with_every_call(hw: FakeHuawei) -> None:
    case_id = hw.add_request()

    async def body(p: HuaweiOSM) -> None:
        await p.get_request(case_id)
        await p.create_message(case_id, "hi")
        await p.list_messages(case_id)

    run(settings_for(hw, huawei_group_id="grp-7"), body)
    get, create, listing = hw.calls
    assert get["query"] == {"group_id": "grp-7"} and listing["query"]["group_id"] == "grp-7"
    assert create["json"] == {"message": {"content": "hi"}, "group_id": "grp-7"}


def test_engineer_message_is_listed_with_its_role_oldest_first(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    hw.add_message(case_id, author="Li Wei", role="engineer", content="Please send the logs.", created=T0)
    hw.add_message(case_id, author="Ops team", role="customer", content="Attached.", created=T0 + timedelta(1))
    first, second = run(settings_for(hw), lambda p: p.list_messages(case_id))
    assert (first.author, first.role, first.content) == ("Li Wei", "Huawei engineer", "Please send the logs.")
    assert (second.author, second.role) == ("Ops team", "customer")
    assert first.created == "2026-03-01T09:00:00.000000Z" and first.updated is None


def test_ids_are_stable_across_listings_and_exact_repeats(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    for _ in range(2):  # the same engineer sends the same text at the same instant twice
        hw.add_message(case_id, author="Li Wei", content="Any update?", created=T0)
    hw.add_message(case_id, author="Li Wei", content="Any update?", created=T0 + timedelta(minutes=1))

    async def body(p: HuaweiOSM) -> tuple[list[str], list[str], list[str]]:
        first = [m.id for m in await p.list_messages(case_id)]
        second = [m.id for m in await p.list_messages(case_id)]
        hw.add_message(case_id, author="Li Wei", content="Closing soon.", created=T0 + timedelta(minutes=2))
        third = [m.id for m in await p.list_messages(case_id)]
        return first, second, third

    first, second, third = run(settings_for(hw), body)
    assert first == second and len(set(first)) == 3
    assert third[:3] == first and len(set(third)) == 4


def test_ids_survive_a_change_of_time_zone(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    hw.add_message(case_id, content="hello", created=T0)
    hw.time_style = "naive"  # local time without an offset, read in the zone of X-Time-Zone
    [utc] = run(settings_for(hw), lambda p: p.list_messages(case_id))
    [local] = run(settings_for(hw, huawei_time_zone="GMT+8"), lambda p: p.list_messages(case_id))
    assert hw.calls[-1]["headers"]["X-Time-Zone"] == "GMT+8"
    assert local.id == utc.id and local.created == utc.created == "2026-03-01T09:00:00.000000Z"


def test_all_pages_are_read_100_at_a_time(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    for n in range(250):
        hw.add_message(case_id, content=f"message {n}", created=T0 + timedelta(seconds=n))
    messages = run(settings_for(hw), lambda p: p.list_messages(case_id))
    assert [m.content for m in messages] == [f"message {n}" for n in range(250)]
    pages = [c["query"] for c in hw.calls]
    assert pages == [{"offset": str(o), "limit": "100"} for o in (0, 100, 200)]


def test_fake_refuses_a_limit_over_100(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    url = f"{hw.base_url}/v2/servicerequest/cases/{case_id}/messages"
    response = httpx.get(url, params={"limit": 101}, headers={"X-Auth-Token": hw.token})
    assert response.status_code == 400 and response.json()["error_code"] == "OSM.0001"


def test_after_filters_client_side_with_overlap(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    for n in range(3):
        hw.add_message(case_id, content=f"m{n}", created=T0 + timedelta(minutes=n))

    async def body(p: HuaweiOSM) -> list[str]:
        everything = await p.list_messages(case_id)
        cursor = p.cursor_of(everything[1])
        assert cursor is not None
        return [m.content for m in await p.list_messages(case_id, after=cursor)]

    assert run(settings_for(hw), body) == ["m1", "m2"]  # m1 is within the 5 s overlap


def test_newest_first_answers_are_turned_round() -> None:
    items = [{"content": c, "create_time": t, "replier_type": 1, "replier_name": "Li"}
             for c, t in [("b", "2026-03-01T09:01:00Z"), ("a", "2026-03-01T09:00:00Z")]]
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"count": 2, "message_list": items}))
    messages = run(settings_for(), lambda p: p.list_messages("CS1"), transport=transport)
    assert [m.content for m in messages] == ["a", "b"]


def test_parse_time_reads_huawei_shapes() -> None:
    gmt8 = timezone(timedelta(hours=8))
    expected = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for raw in ["2026-03-01T09:00:00Z", "2026-03-01T17:00:00+08:00", "2026-03-01 17:00:00",
                "2026-03-01T17:00:00.000", 1772355600000, "1772355600"]:
        assert parse_time(raw, gmt8) == expected, raw
    assert parse_time("yesterday", gmt8) is None and parse_time(None, gmt8) is None


# ------------------------------------------------------------------ errors and faults


def test_auth_failure_names_the_settings(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    with pytest.raises(PermissionDenied, match="HUAWEI_AK, HUAWEI_SK and HUAWEI_DOMAIN_ID") as caught:
        run(settings_for(hw, huawei_sk="wrong-sk"), lambda p: p.get_request(case_id))
    assert caught.value.status == 401 and "OSM.0002" in str(caught.value)
    with pytest.raises(PermissionDenied, match="HUAWEI_AK"):
        run(settings_for(hw, huawei_domain_id="other-domain"), lambda p: p.get_request(case_id))
    token_only = {"huawei_ak": None, "huawei_sk": None, "huawei_domain_id": None}
    with pytest.raises(PermissionDenied, match="HUAWEI_AUTH_TOKEN"):
        run(settings_for(hw, huawei_auth_token="expired", **token_only), lambda p: p.get_request(case_id))
    info = run(settings_for(hw, huawei_auth_token=hw.token, **token_only), lambda p: p.get_request(case_id))
    assert info.id == case_id
    assert hw.calls[-1]["headers"]["X-Auth-Token"] == hw.token and "Authorization" not in hw.calls[-1]["headers"]


def test_fake_checks_the_signed_body_and_date(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    run(settings_for(hw), lambda p: p.create_message(case_id, "original"))
    signed = hw.calls[-1]["headers"]
    replay = {k: v for k, v in signed.items() if k.lower() not in ("content-length", "host")}
    url = f"{hw.base_url}/v2/servicerequest/cases/{case_id}/message"
    tampered = httpx.post(url, content=json.dumps({"message": {"content": "forged"}}), headers=replay)
    assert tampered.status_code == 401 and tampered.json()["error_code"] == "OSM.0002"

    stale = HuaweiAkSkAuth(ak=hw.ak, sk=hw.sk, domain_id=hw.domain_id,
                           clock=lambda: datetime.now(UTC) - timedelta(minutes=20))
    response = httpx.get(f"{hw.base_url}/v2/servicerequest/cases/{case_id}", auth=stale)
    assert response.status_code == 401
    fresh = HuaweiAkSkAuth(ak=hw.ak, sk=hw.sk, domain_id=hw.domain_id)
    assert httpx.get(f"{hw.base_url}/v2/servicerequest/cases/{case_id}", auth=fresh).status_code == 200
    assert len(hw.messages(case_id)) == 1


def test_429_honours_retry_after(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    hw.add_message(case_id, content="hello")
    hw.fail_next("list_messages", "429", retry_after=1)
    started = time.monotonic()
    messages = run(settings_for(hw), lambda p: p.list_messages(case_id))
    assert time.monotonic() - started >= 1.0
    assert [m.content for m in messages] == ["hello"]
    assert [c["injected"] for c in hw.calls] == ["429", None]


def test_garbled_and_failed_answers(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    hw.fail_next("get_request", "garbage", count=3)
    with pytest.raises(Unavailable, match="garbled"):
        run(settings_for(hw), lambda p: p.get_request(case_id))
    hw.fail_next("create_message", "garbage")
    with pytest.raises(AmbiguousWrite):
        run(settings_for(hw), lambda p: p.create_message(case_id, "one"))
    hw.fail_next("create_message", "apply_then_500")
    with pytest.raises(AmbiguousWrite):
        run(settings_for(hw), lambda p: p.create_message(case_id, "two"))
    assert [m["content"] for m in hw.messages(case_id)] == ["two"]  # applied; the bridge reads back
    hw.fail_next("list_messages", "500")
    hw.fail_next("list_messages", "reset")
    assert [m.content for m in run(settings_for(hw), lambda p: p.list_messages(case_id))] == ["two"]


def test_too_long_content_is_refused_before_any_call(hw: FakeHuawei) -> None:
    case_id = hw.add_request()
    with pytest.raises(Rejected, match="2000"):
        run(settings_for(hw), lambda p: p.create_message(case_id, "x" * 2001))
    assert hw.calls == []


# ------------------------------------------------------------------ signer and settings


@pytest.mark.parametrize(("method", "url", "payload"), [
    ("GET", "https://osm.myhuaweicloud.com/v2/servicerequest/cases/CS1/messages?offset=100&limit=100", None),
    ("GET", "https://osm.myhuaweicloud.com/v2/servicerequest/cases/CS1?group_id=g%201%2B2", None),
    ("POST", "http://127.0.0.1:8080/v2/servicerequest/cases/CS-1_a/message",
     {"message": {"content": "Li Wei: 留言 \"quoted\" & <b>"}, "group_id": "grp"}),
])
def test_signer_matches_the_official_sdk(method: str, url: str, payload: Any) -> None:
    headers = {"X-Language": "en-us", "X-Time-Zone": "GMT+8", "X-Site": "1", "User-Agent": "request-bridge/1"}
    request = httpx.Request(method, url, headers=headers, json=payload)
    sign_request(request, ak="AKEXAMPLE", sk="SKEXAMPLE", domain_id="dom-1", now=T0)

    sdk = SdkRequest(method=method, schema=request.url.scheme, host=request.headers["Host"],
                     resource_path=request.url.path,
                     query_params=list(request.url.params.multi_items()),
                     header_params={name: request.headers[name] for name in
                                    ("Host", "X-Language", "X-Time-Zone", "X-Site", "X-Sdk-Date")},
                     body=request.content)
    if payload is not None:
        sdk.header_params["Content-Type"] = request.headers["Content-Type"]
    GlobalCredentials("AKEXAMPLE", "SKEXAMPLE", "dom-1").sign_request(sdk)
    assert request.headers["X-Sdk-Date"] == "20260301T090000Z"
    assert request.headers["Authorization"] == sdk.header_params["Authorization"]


def test_build_huawei_none_without_credentials() -> None:
    none = {"huawei_ak": None, "huawei_sk": None, "huawei_domain_id": None, "huawei_auth_token": None}
    assert build_huawei(settings_for(**none)) is None
    assert build_huawei(settings_for(**{**none, "huawei_ak": ""})) is None


@pytest.mark.parametrize(("overrides", "names"), [
    ({"huawei_sk": None}, "HUAWEI_SK"),
    ({"huawei_ak": None}, "HUAWEI_AK"),
    ({"huawei_sk": None, "huawei_auth_token": "tok"}, "HUAWEI_SK"),
    ({"huawei_domain_id": None}, "HUAWEI_DOMAIN_ID"),
    ({"huawei_time_zone": "Europe/Berlin"}, "HUAWEI_TIME_ZONE"),
])
def test_build_huawei_refuses_half_configurations(overrides: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigError, match=names) as caught:
        build_huawei(settings_for(**overrides))
    assert "\n" not in str(caught.value)
