"""`request-bridge doctor` as an operator runs it (a process), against the simulators of Slack and the providers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.ops.doctor import Check, render, scope_checks
from bot.slack.scopes import required_bot_scopes
from bot.store.database import Store
from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import serving
from sandbox.slack import FakeSlack
from tests.databases import ADMIN_URL, postgres_database
from tests.fakes.huawei import FakeHuawei
from tests.fakes.jitsudo import TENANT_ID, FakeJITSudo

SETTING_PREFIXES = ("SLACK_", "CLOUDFLARE_", "HUAWEI_", "JITSUDO_", "DATABASE_URL", "PORT", "LOG_")
CF_TOKEN = "cf-test-token"


@pytest.fixture
def huawei() -> Iterator[FakeHuawei]:
    with serving(FakeHuawei()) as fake:
        yield fake


@pytest.fixture
def jitsudo() -> Iterator[FakeJITSudo]:
    with serving(FakeJITSudo()) as fake:
        yield fake


@pytest.fixture
def env(slack: FakeSlack, cf: FakeCloudforceOne, huawei: FakeHuawei, jitsudo: FakeJITSudo,
        tmp_path: Path) -> dict[str, str]:
    """Settings for all three providers, and a migrated SQLite store."""
    database_url = f"sqlite:///{tmp_path / 'bridge.db'}"
    asyncio.run(_migrate(database_url))
    # The workspace installed the app from manifest.yml: its token holds exactly the scopes the bridge needs.
    slack.set_scopes(slack.bot_token, sorted(required_bot_scopes()))
    return {
        "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": slack.base_url, "CLOUDFLARE_ACCOUNT_ID": cf.account_id, "CLOUDFLARE_API_TOKEN": CF_TOKEN,
        "CLOUDFLARE_BASE_URL": cf.base_url, "HUAWEI_ENDPOINT": huawei.base_url, "HUAWEI_AUTH_TOKEN": huawei.token,
        "JITSUDO_BASE_URL": jitsudo.base_url, "JITSUDO_API_KEY": jitsudo.api_key, "JITSUDO_TENANT_ID": TENANT_ID,
        "DATABASE_URL": database_url, "HTTP_TIMEOUT_SECONDS": "3",
    }


async def _migrate(url: str) -> None:
    store = await Store.open(url)
    await store.close()


def doctor(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    return subprocess.run([sys.executable, "-m", "request_bridge", "doctor"], cwd=tmp_path, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def test_all_well_exits_0_with_a_tick_for_every_check(tmp_path: Path, env: dict[str, str]) -> None:
    result = doctor(tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = lines(result)
    for start in ("✓ settings", "✓ Slack token: accepted: @request-bridge (UBOT)", "✓ Slack scopes: all",
                  "✓ Cloudforce One: credentials accepted", "✓ Huawei", "✓ JITSudo", "✓ database"):
        assert any(line.startswith(start) for line in out), (start, out)
    assert not any(line.startswith("✗") for line in out)
    assert out[-1] == "all well (7 checks)"


def test_a_missing_scope_is_named_with_what_it_is_for(
        tmp_path: Path, env: dict[str, str], slack: FakeSlack) -> None:
    slack.set_scopes(slack.bot_token, sorted(required_bot_scopes() - {"users:read"}))
    result = doctor(tmp_path, env)
    assert result.returncode == 1
    out = lines(result)
    failed = [line for line in out if line.startswith("✗")]
    assert failed == ["✗ Slack scope users:read: not granted; needed for calling users.info"], out
    fix = out[out.index(failed[0]) + 1]
    assert fix.startswith("    fix: add it under OAuth & Permissions") and "reinstall" in fix
    assert out[-1] == "1 of 7 checks failed"


def test_refused_provider_credentials_are_named_and_never_printed(tmp_path: Path, env: dict[str, str]) -> None:
    wrong = {"CLOUDFLARE_API_TOKEN": "cf-wrong-token-1234", "HUAWEI_AUTH_TOKEN": "hw-wrong-token-5678",
             "JITSUDO_TENANT_ID": "00000000-0000-4000-8000-000000000000"}
    result = doctor(tmp_path, {**env, **wrong})
    assert result.returncode == 1
    out = lines(result)
    failed = [line for line in out if line.startswith("✗")]
    assert len(failed) == 3, out
    assert failed[0].startswith("✗ Cloudforce One: access denied")
    assert out[out.index(failed[0]) + 1].startswith("    fix: check CLOUDFLARE_ACCOUNT_ID, and CLOUDFLARE_API_TOKEN")
    assert failed[1].startswith("✗ Huawei Cloud: credentials refused")
    assert out[out.index(failed[1]) + 1].startswith("    fix: check HUAWEI_AK + HUAWEI_SK + HUAWEI_DOMAIN_ID")
    assert failed[2].startswith("✗ JITSudo: JITSUDO_TENANT_ID does not match")
    assert "✓ Slack token" in result.stdout and "✓ database" in result.stdout
    for secret in ("cf-wrong-token-1234", "hw-wrong-token-5678"):
        assert secret not in result.stdout + result.stderr


def test_a_bad_database_fails_with_what_to_do(tmp_path: Path, env: dict[str, str]) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not SQLite" * 100)
    result = doctor(tmp_path, {**env, "DATABASE_URL": f"sqlite:///{garbage}"})
    assert result.returncode == 1
    failed = [line for line in lines(result) if line.startswith("✗")]
    assert len(failed) == 1 and failed[0].startswith("✗ database: ") and "cannot open (DatabaseError" in failed[0]

    missing = doctor(tmp_path, {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'nowhere.db'}"})
    assert missing.returncode == 1 and "run `request-bridge migrate`" in missing.stdout
    assert not (tmp_path / "nowhere.db").exists(), "doctor creates nothing"


@pytest.mark.skipif(not ADMIN_URL, reason="TEST_DATABASE_URL names no PostgreSQL server")
def test_a_postgresql_store_is_checked_without_showing_its_password(tmp_path: Path, env: dict[str, str]) -> None:
    with postgres_database() as url:
        empty = doctor(tmp_path, {**env, "DATABASE_URL": url})
        assert empty.returncode == 1 and "schema version 0, this release needs" in empty.stdout
        asyncio.run(_migrate(url.replace("postgresql://", "postgresql+asyncpg://", 1)))  # the store's driver
        ready = doctor(tmp_path, {**env, "DATABASE_URL": url})
        assert ready.returncode == 0, ready.stdout
        assert any(line.startswith("✓ database: postgresql://") and ":***@" in line for line in lines(ready))
        password = make_url(url).password
        assert password and f":{password}@" not in empty.stdout + ready.stdout


def test_missing_and_invalid_settings_are_lines_of_the_checklist(tmp_path: Path) -> None:
    result = doctor(tmp_path, {})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "✗ setting: SLACK_BOT_TOKEN is missing" in lines(result)
    invalid = doctor(tmp_path, {"PORT": "eighty", "CLOUDFLARE_ACCOUNT_ID": "nope"})
    failed = [line for line in lines(invalid) if line.startswith("✗")]
    assert invalid.returncode == 1 and len(failed) == 2, invalid.stdout
    assert failed[0].startswith("✗ setting: PORT:") and failed[1].startswith("✗ setting: CLOUDFLARE_ACCOUNT_ID:")


def test_checklist_rendering_and_scope_comparison_are_plain_functions() -> None:
    needed = frozenset({"chat:write", "commands"})
    assert scope_checks(frozenset({"chat:write", "commands", "files:read"}), needed) == [
        Check(True, "Slack scopes", "all 2 needed scopes granted; also granted, not needed: files:read")]
    missing = scope_checks(frozenset({"chat:write"}), needed)
    assert [c.what for c in missing] == ["Slack scope commands"] and not missing[0].ok
    assert "slash command" in missing[0].detail
    text = render([Check(True, "a", "fine"), Check(False, "b", "broken", "do this")])
    assert text.splitlines() == ["✓ a: fine", "✗ b: broken", "    fix: do this", "1 of 2 checks failed"]
