"""`request-bridge doctor --live` against simulators configured each way an assumption can go: what it
prints, what it says to set, and that it writes nothing unless asked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.ops.checks import Check
from bot.ops.live import live_checks, parse_requests
from bot.settings import load_settings
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import serving
from tests.fakes.huawei import FakeHuawei
from tests.fakes.jitsudo import TENANT_ID, FakeJITSudo
from tests.test_doctor import SETTING_PREFIXES, env, huawei, jitsudo, lines  # noqa: F401 (fixtures)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OFF = {"cloudflare_account_id": None, "cloudflare_api_token": None}


def checks(values: dict[str, Any], requests: dict[str, str], *, write_test: bool = False) -> dict[str, Check]:
    settings = load_settings(for_serve=False, _env_file=None, **values)
    return {c.what: c for c in asyncio.run(live_checks(settings, requests, write_test=write_test))}


def cf_settings(cf: FakeCloudforceOne) -> dict[str, Any]:
    return {"cloudflare_account_id": cf.account_id, "cloudflare_api_token": cf.api_token,
            "cloudflare_base_url": cf.base_url}


def cf_request(cf: FakeCloudforceOne, messages: int = 3) -> str:
    request_id = cf.add_request()
    for n in range(messages):
        cf.add_message(request_id, content=f"m{n}", created=T0 + timedelta(seconds=n))
    return request_id


@pytest.mark.parametrize(("config", "base", "page_ok", "after_ok"), [
    ({"page_base": 0}, "pages start at 0", True, True),
    ({"page_base": 1}, "pages start at 1", True, True),
    ({"ignore_page": True}, None, False, True),
    ({"ignore_after": True}, "pages start at 1", True, False),
])
def test_cloudforce_one_page_base_and_ignored_parameters(cf: FakeCloudforceOne, config: dict[str, Any],
                                                         base: str | None, page_ok: bool, after_ok: bool) -> None:
    for name, value in config.items():
        setattr(cf, name, value)
    request_id = cf_request(cf)
    cf.clear_calls()
    found = checks(cf_settings(cf), {"cloudforce-one": request_id})
    if base is not None:
        assert found["Cloudforce One: page base"].detail.startswith(base)
    else:
        assert not found["Cloudforce One: page honoured"].ok
        assert "pages by moving `after`" in found["Cloudforce One: page honoured"].fix
    assert found["Cloudforce One: `after` honoured"].ok is after_ok
    assert found["Cloudforce One: `sort_order` honoured"].ok
    assert found["Cloudforce One: request types and constants parse"].ok
    assert found["Cloudforce One: message times are RFC 3339"].ok
    assert all(c["method"] != "DELETE" and not c["path"].endswith("/new") for c in cf.calls)  # read-only
    assert len(cf.calls) <= 8


def test_cloudforce_one_write_test_creates_and_deletes(cf: FakeCloudforceOne) -> None:
    request_id = cf_request(cf)
    found = checks(cf_settings(cf), {"cloudforce-one": request_id}, write_test=True)
    assert found["Cloudforce One: write test"].ok
    assert [m["content"] for m in cf.messages(request_id)] == ["m0", "m1", "m2"]


def test_cloudforce_one_with_one_message_cannot_tell_a_0_based_server_yet(cf: FakeCloudforceOne) -> None:
    cf.page_base = 0  # page 1 is empty: a 0-based server, or a 1-based one with one message? (the latter
    # repeats page 0 on page 1, which tells)
    found = checks(cf_settings(cf), {"cloudforce-one": cf_request(cf, messages=1)})
    assert "cannot tell yet" in found["Cloudforce One: page base"].detail


def hw_settings(hw: FakeHuawei, **more: Any) -> dict[str, Any]:
    return {**OFF, "huawei_endpoint": hw.base_url, "huawei_auth_token": hw.token, **more}


@pytest.mark.parametrize(("style", "honour", "zone", "ok", "says"), [
    ("naive", True, "GMT+0", True, "follow X-Time-Zone"),
    ("offset", True, "GMT+8", True, "follow X-Time-Zone"),
    ("naive", False, "GMT+0", True, "UTC whatever X-Time-Zone says"),
    ("naive", False, "GMT+8", False, "UTC whatever X-Time-Zone says"),
])
def test_huawei_time_format_and_zone(huawei: FakeHuawei, style: str, honour: bool, zone: str, ok: bool,  # noqa: F811
                                     says: str) -> None:
    huawei.time_style, huawei.honour_time_zone = style, honour
    case_id = huawei.add_request()
    huawei.add_message(case_id, content="hello", created=T0)
    found = checks(hw_settings(huawei, huawei_time_zone=zone), {"huawei": case_id})
    zone_check = found["Huawei Cloud: time zone"]
    assert zone_check.ok is ok and says in zone_check.detail
    if not ok:
        assert "HUAWEI_TIME_ZONE=GMT+0" in zone_check.fix
    assert found["Huawei Cloud: many cases in one call (ListNewInstantMessages)"].ok
    assert not any(c["method"] == "POST" for c in huawei.calls)  # read-only


@pytest.mark.parametrize(("type_required", "ok"), [(False, True), (True, False)])
def test_huawei_write_test_tells_whether_the_create_body_needs_type(huawei: FakeHuawei,  # noqa: F811
                                                                    type_required: bool, ok: bool) -> None:
    huawei.type_required = type_required
    case_id = huawei.add_request()
    huawei.add_message(case_id, content="x" * 600, created=T0)
    huawei.list_content_limit = 400
    found = checks(hw_settings(huawei), {"huawei": case_id}, write_test=True)
    assert found["Huawei Cloud: create body without `type`"].ok is ok
    assert "cuts text at 400" in found["Huawei Cloud: message text length"].detail
    if ok:
        assert found["Huawei Cloud: withdraw (RevokeMessage)"].detail == "withdrawn; it leaves the list"
    assert [m["content"] for m in huawei.messages(case_id)] == ["x" * 400]


@pytest.mark.parametrize("details", [False, True])
def test_jitsudo_route_cursor_and_tenant(details: bool) -> None:
    with serving(FakeJITSudo(request_details=details)) as fake:
        request_id = fake.add_request()
        for n in range(3):
            fake.add_message(request_id, content=f"m{n}")
        values = {**OFF, "jitsudo_base_url": fake.base_url, "jitsudo_api_key": fake.api_key,
                  "jitsudo_tenant_id": TENANT_ID}
        found = checks(values, {"jitsudo": request_id}, write_test=True)
        assert ("present" if details else "absent") in found["JITSudo: GET /v1/requests/{id}"].detail
        assert found["JITSudo: message cursor"].ok and found["JITSudo: credential and tenant"].ok
        assert "skipped" in found["JITSudo: write test"].detail
        assert not any(c["method"] == "POST" for c in fake.calls)
        wrong = checks({**values, "jitsudo_tenant_id": "00000000-0000-4000-8000-000000000000"}, {"jitsudo": request_id})
        assert "JITSudo: JITSudo answered" not in found and not wrong["JITSudo: JITSudo answered"].ok


def test_request_arguments_are_checked() -> None:
    assert parse_requests(["huawei=CS1", "jitsudo = x "]) == {"huawei": "CS1", "jitsudo": "x"}
    with pytest.raises(ValueError, match="PROVIDER=REQUEST_ID"):
        parse_requests(["CS1"])


def test_the_command_prints_the_live_checklist(tmp_path: Path, env: dict[str, str],  # noqa: F811
                                               cf: FakeCloudforceOne) -> None:
    request_id = cf_request(cf)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    result = subprocess.run([sys.executable, "-m", "request_bridge", "doctor", "--live",
                             "--request", f"cloudforce-one={request_id}"], cwd=tmp_path, env={**clean, **env},
                            capture_output=True, text=True, timeout=60)
    out = lines(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ Cloudforce One: page base: pages start at 1 (page 0 is read as page 1)" in out
    assert any(line.startswith("✓ huawei (live): not checked: add --request huawei=") for line in out)
