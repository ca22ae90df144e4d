"""The JITSudo provider against the loopback fake: ids, auth, tenant, paging, roles, policy, faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from bot.errors import (
    AmbiguousWrite,
    ConfigError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unavailable,
)
from bot.providers import jitsudo
from bot.providers.base import Provider, SlackContext, SupportsDelete, SupportsUpdate
from bot.providers.jitsudo.client import JITSudo
from bot.providers.jitsudo.settings import JITSudoSettings
from bot.providers.plugin import BuildContext
from sandbox.server import ServerThread
from tests.fakes.jitsudo import TENANT_ID, FakeJITSudo


def build_jitsudo(settings: JITSudoSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> JITSudo | None:
    """The plug-in's build, as the service calls it."""
    return jitsudo.build(settings, BuildContext(timeout=10.0, transport=transport))  # type: ignore[return-value]

T = TypeVar("T")
OTHER_TENANT = "0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e"


@pytest.fixture(autouse=True)
def _no_jitsudo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JITSUDO_BASE_URL", "JITSUDO_API_KEY", "JITSUDO_BEARER_TOKEN", "JITSUDO_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)


def _serve(fake: FakeJITSudo) -> Iterator[FakeJITSudo]:
    with ServerThread(fake.app) as server:
        fake.bind(server.url)
        yield fake


@pytest.fixture
def jit() -> Iterator[FakeJITSudo]:
    yield from _serve(FakeJITSudo())


@pytest.fixture
def jit_details() -> Iterator[FakeJITSudo]:
    """A server that also answers the (undocumented) GET /v1/requests/{id}."""
    yield from _serve(FakeJITSudo(request_details=True))


def settings(**overrides: Any) -> JITSudoSettings:
    return JITSudoSettings(_env_file=None, **overrides)  # type: ignore[call-arg]


def run(fake: FakeJITSudo, use: Callable[[JITSudo], Awaitable[T]], **overrides: Any) -> T:
    """Build the provider from settings pointing at the fake, run `use` with it, close it."""
    values: dict[str, Any] = {"jitsudo_base_url": fake.base_url, "jitsudo_api_key": fake.api_key,
                              "jitsudo_tenant_id": fake.tenant_id, **overrides}

    async def main() -> T:
        provider = build_jitsudo(settings(**values))
        assert provider is not None
        try:
            return await use(provider)
        finally:
            await provider.aclose()

    return asyncio.run(main())


def api_calls(fake: FakeJITSudo) -> list[dict[str, Any]]:
    return [c for c in fake.calls if c["path"].startswith("/v1/")]


# ------------------------------------------------------------------ interface and ids


def test_implements_provider_without_edit_or_delete(jit: FakeJITSudo) -> None:
    async def check(provider: JITSudo) -> None:
        assert isinstance(provider, Provider)
        assert not isinstance(provider, SupportsUpdate) and not isinstance(provider, SupportsDelete)
        assert (provider.name, provider.display_name, provider.max_content_length) == ("jitsudo", "JITSudo", None)

    run(jit, check)


@pytest.mark.parametrize("raw", ["", "123", "../../v1/requests", "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0/../x",
                                 "{2489e9ad-2ee2-8e00-8ec9-32d5f69181c0}", "2489e9ad2ee28e008ec932d5f69181c0",
                                 "2489e9ad-2ee2-8e00-8ec9-32d5f69181cg"])
def test_bad_id_is_refused_before_any_call(jit: FakeJITSudo, raw: str) -> None:
    async def use(provider: JITSudo) -> None:
        with pytest.raises(InvalidInput, match="not a JITSudo request id"):
            provider.validate_request_id(raw)
        for call in (provider.get_request(raw), provider.list_messages(raw), provider.create_message(raw, "hi")):
            with pytest.raises(InvalidInput):
                await call

    run(jit, use)
    assert api_calls(jit) == []


def test_id_is_normalised_to_lower_case(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    info = run(jit, lambda p: p.get_request(f"  {request_id.upper()} "))
    assert info.id == request_id
    assert all(request_id in c["path"] for c in api_calls(jit))


# ------------------------------------------------------------------ the request


def test_get_request_reads_status_and_titles_from_grants(jit: FakeJITSudo) -> None:
    pending = jit.add_request()
    approved = jit.add_request(status="approved", action="AdministratorAccess")
    infos = run(jit, lambda p: asyncio.gather(p.get_request(pending), p.get_request(approved)))
    assert (infos[0].status, infos[0].title) == ("pending", None)
    assert (infos[1].status, infos[1].title) == ("approved", "AdministratorAccess")
    assert api_calls(jit)[0]["path"] == f"/v1/access/requests/{pending}"


def test_get_request_titles_from_resource_action_reason_when_served(jit_details: FakeJITSudo) -> None:
    request_id = jit_details.add_request(resource={"type": "aws_account", "id": "210987654321"},
                                         action="ReadOnlyAccess", reason="INC-42 debugging")
    jit_details.set_status(request_id, "denied")
    info = run(jit_details, lambda p: p.get_request(request_id))
    assert info.title == "ReadOnlyAccess on aws_account 210987654321: INC-42 debugging"
    assert info.status == "denied"


def test_unknown_request_is_not_found(jit: FakeJITSudo) -> None:
    with pytest.raises(NotFound):
        run(jit, lambda p: p.get_request("2489e9ad-2ee2-8e00-8ec9-32d5f69181c0"))
    with pytest.raises(NotFound):
        run(jit, lambda p: p.list_messages("2489e9ad-2ee2-8e00-8ec9-32d5f69181c0"))


# ------------------------------------------------------------------ messages


def test_create_sends_content_and_slack_metadata(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    context = SlackContext(channel="C111", user="U111", permalink="https://example.slack.com/archives/C111/p1")
    created = run(jit, lambda p: p.create_message(request_id, "Alice: ok to approve?", context=context))
    stored = jit.messages(request_id)
    assert [m["content"] for m in stored] == ["Alice: ok to approve?"]
    assert stored[0]["metadata"] == {"slack_channel": "C111", "slack_user": "U111",
                                     "slack_permalink": "https://example.slack.com/archives/C111/p1"}
    assert (created.id, created.author, created.role) == (stored[0]["id"], jit.service_identity, None)
    assert created.created == stored[0]["created_at"]
    headers = api_calls(jit)[0]["headers"]
    assert headers["X-API-Key"] == jit.api_key and headers["X-Tenant-ID"] == TENANT_ID
    assert "Authorization" not in headers


def test_create_is_never_repeated_when_its_outcome_is_unknown(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    jit.fail_next("create_message", "apply_then_500")
    with pytest.raises(AmbiguousWrite):
        run(jit, lambda p: p.create_message(request_id, "once"))
    jit.fail_next("create_message", "garbage")
    with pytest.raises(AmbiguousWrite):
        run(jit, lambda p: p.create_message(request_id, "twice"))
    assert len([c for c in api_calls(jit) if c["method"] == "POST"]) == 2
    assert [m["content"] for m in jit.messages(request_id)] == ["once"]


def test_list_follows_cursors_across_pages_oldest_first(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(300):
        jit.add_message(request_id, content=f"m{n}", created=start + timedelta(seconds=n))
    messages = run(jit, lambda p: p.list_messages(request_id))
    assert [m.content for m in messages] == [f"m{n}" for n in range(300)]
    calls = api_calls(jit)
    assert [c["query"].get("limit") for c in calls] == ["250", "250"]
    assert "cursor" not in calls[0]["query"] and calls[1]["query"]["cursor"]


def test_list_after_keeps_only_recent_messages_with_overlap(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(10):
        jit.add_message(request_id, content=f"m{n}", created=start + timedelta(seconds=10 * n))
    after = (start + timedelta(seconds=52)).isoformat().replace("+00:00", "Z")
    messages = run(jit, lambda p: p.list_messages(request_id, after=after))
    assert [m.content for m in messages] == ["m5", "m6", "m7", "m8", "m9"]  # 5 s overlap takes in m5 (50 s)


def test_roles_of_approver_ai_system_and_user(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    jit.add_message(request_id, author="bob@example.com", role="approver", content="why?")
    jit.add_message(request_id, author="jitsudo-ai", role="ai", content="low risk")
    jit.add_message(request_id, author="jitsudo", role="system", content="request approved")
    jit.add_message(request_id, author="alice@example.com", role="user", content="thanks")

    async def use(provider: JITSudo) -> list[tuple[str, str | None, str | None]]:
        messages = await provider.list_messages(request_id)
        assert all(provider.cursor_of(m) == m.created for m in messages)
        return [(m.author, m.role, m.content) for m in messages]

    assert run(jit, use) == [("bob@example.com", "approver", "why?"), ("jitsudo-ai", "AI", "low risk"),
                             ("jitsudo", "system", "request approved"), ("alice@example.com", None, "thanks")]


# ------------------------------------------------------------------ auth, tenant, policy


def test_bearer_token_is_sent_when_no_api_key(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    run(jit, lambda p: p.list_messages(request_id), jitsudo_api_key=None, jitsudo_bearer_token=jit.bearer_token)
    headers = api_calls(jit)[0]["headers"]
    assert headers["Authorization"] == f"Bearer {jit.bearer_token}" and "X-API-Key" not in headers


def test_tenant_mismatch_names_the_setting(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    with pytest.raises(PermissionDenied, match="JITSUDO_TENANT_ID does not match the credential's tenant"):
        run(jit, lambda p: p.get_request(request_id), jitsudo_tenant_id=OTHER_TENANT)


def test_wrong_credential_is_permission_denied(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    with pytest.raises(PermissionDenied, match="access denied") as caught:
        run(jit, lambda p: p.list_messages(request_id), jitsudo_api_key="stale-key")
    assert caught.value.status == 401


def test_policy_notices_reach_the_person_verbatim(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    notices = ["Messages on denied requests are closed.", "Contact #sec-ops <ops@example.com> for help"]
    jit.policy_refuse_next(notices)
    with pytest.raises(Rejected) as caught:
        run(jit, lambda p: p.create_message(request_id, "hello"))
    assert str(caught.value) == "refused by policy: " + "; ".join(notices)
    assert caught.value.user_message().endswith("; ".join(notices))
    assert jit.messages(request_id) == []


# ------------------------------------------------------------------ faults


def test_429_waits_out_retry_after(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    jit.add_message(request_id, content="hi")
    jit.fail_next("list_messages", "429", retry_after=1)
    started = time.monotonic()
    messages = run(jit, lambda p: p.list_messages(request_id))
    assert time.monotonic() - started >= 1.0
    assert [m.content for m in messages] == ["hi"]
    assert [c["injected"] for c in api_calls(jit)] == ["429", None]


def test_429_that_persists_reports_retry_after(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    jit.fail_next("get_request", "429", count=3, retry_after=1)
    with pytest.raises(RateLimited) as caught:
        run(jit, lambda p: p.get_request(request_id))
    assert caught.value.retry_after == 1.0


def test_5xx_reset_and_garbage(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    jit.add_message(request_id, content="hi")
    jit.fail_next("list_messages", "503")
    jit.fail_next("get_request", "reset")
    assert [m.content for m in run(jit, lambda p: p.list_messages(request_id))] == ["hi"]
    assert run(jit, lambda p: p.get_request(request_id)).status == "pending"
    jit.fail_next("list_messages", "garbage")
    with pytest.raises(Unavailable, match="garbled"):
        run(jit, lambda p: p.list_messages(request_id))


# ------------------------------------------------------------------ the fake keeps to the spec


def test_fake_auth_and_query_rules(jit: FakeJITSudo) -> None:
    request_id = jit.add_request()
    url = f"{jit.base_url}/v1/requests/{request_id}/messages"
    good = {"X-API-Key": jit.api_key, "X-Tenant-ID": TENANT_ID}
    with httpx.Client() as client:
        assert client.get(url, headers={"X-Tenant-ID": TENANT_ID}).status_code == 401
        assert client.get(url, headers={"X-API-Key": jit.api_key}).json()["code"] == "invalid_tenant_id"
        mismatch = client.get(url, headers={**good, "X-Tenant-ID": OTHER_TENANT})
        assert (mismatch.status_code, mismatch.json()["code"]) == (403, "tenant_mismatch")
        assert client.get(url, headers=good, params={"limit": 251}).status_code == 400
        assert client.get(url, headers=good).json() == {"data": [], "next_cursor": None, "has_more": False}
        created = client.post(url, headers=good, json={"content": "x"})
        assert created.status_code == 201 and created.json()["author_type"] == "user"
        assert client.get(f"{jit.base_url}/healthz").status_code == 200


# ------------------------------------------------------------------ configuration


def test_not_configured_without_base_url() -> None:
    assert build_jitsudo(settings(jitsudo_api_key="k", jitsudo_tenant_id=TENANT_ID)) is None


@pytest.mark.parametrize(("overrides", "named"), [
    ({"jitsudo_api_key": "k"}, "JITSUDO_TENANT_ID"),
    ({"jitsudo_api_key": "k", "jitsudo_tenant_id": "acme"}, "JITSUDO_TENANT_ID"),
    ({"jitsudo_tenant_id": TENANT_ID}, "JITSUDO_API_KEY or JITSUDO_BEARER_TOKEN"),
    ({"jitsudo_api_key": "", "jitsudo_bearer_token": "", "jitsudo_tenant_id": TENANT_ID}, "JITSUDO_API_KEY"),
    ({"jitsudo_base_url": "jitsudo.example.com", "jitsudo_api_key": "k", "jitsudo_tenant_id": TENANT_ID},
     "JITSUDO_BASE_URL"),
])
def test_config_errors_name_the_setting(overrides: dict[str, Any], named: str) -> None:
    values = {"jitsudo_base_url": "https://jitsudo.example.com", **overrides}
    with pytest.raises(ConfigError) as caught:
        build_jitsudo(settings(**values))
    assert str(caught.value).startswith(named) and "\n" not in str(caught.value)
