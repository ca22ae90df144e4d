"""`request-bridge` as an operator runs it: a real process, its exit codes and its one-line errors."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.harness import wait_for

CLI = [sys.executable, "-m", "request_bridge"]
SETTING_NAMES = ("SLACK_", "CLOUDFLARE_", "DATABASE_URL", "PORT", "POLL_", "LOG_")


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_NAMES)}
    return {**env, **values}


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=tmp_path, env=clean_env(**env), capture_output=True, text=True,
                          timeout=60)


def test_help_explains_every_command_and_setting(tmp_path: Path) -> None:
    out = run(["--help"], tmp_path).stdout
    for expected in ("serve", "migrate", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                     "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_EMAIL", "DATABASE_URL", "POLL_INTERVAL_SECONDS"):
        assert expected in out


def test_serve_without_settings_names_them_on_one_line(tmp_path: Path) -> None:
    result = run(["serve"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("request-bridge: missing settings: SLACK_BOT_TOKEN")


def test_a_malformed_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = run(["serve"], tmp_path, PORT="eighty")
    assert result.returncode == 2 and "PORT" in result.stderr and "Traceback" not in result.stderr


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CLOUDFLARE_ACCOUNT_ID=nope\n")
    result = run(["serve"], tmp_path)
    assert result.returncode == 2 and "CLOUDFLARE_ACCOUNT_ID" in result.stderr


def test_migrate_creates_the_store(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, DATABASE_URL="sqlite:///bridge.db")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "bridge.db") as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
    assert {"links", "messages", "slack_events", "schema_version"} <= tables


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeCloudforceOne]]:
    from sandbox.server import ServerThread

    slack, cf = FakeSlack(), FakeCloudforceOne()
    with ServerThread(slack.app) as s, ServerThread(cf.app) as c:
        slack.bind(s.url)
        cf.bind(c.url)
        yield slack, cf


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(tmp_path: Path, fakes) -> None:
    slack, cf = fakes
    port = free_port()
    env = clean_env(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET="x", SLACK_API_URL=slack.base_url,
                    CLOUDFLARE_ACCOUNT_ID="023e105f4ecef8ad9ca31a8372d0c353", CLOUDFLARE_API_TOKEN="cf-test-token",
                    CLOUDFLARE_BASE_URL=cf.base_url, PORT=str(port), HOST="127.0.0.1", LOG_FORMAT="json")
    process = subprocess.Popen([*CLI, "serve"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                return False

        wait_for(healthy, timeout=30, what="/healthz")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok", "database": True}
        assert httpx.post(f"http://127.0.0.1:{port}/slack/events", content=b"{}").status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert (tmp_path / "request-bridge.db").exists()
    assert '"message": "request-bridge is up"' in stderr
    assert "xoxb-test-token" not in stderr and "cf-test-token" not in stderr


def test_help_lists_every_setting() -> None:
    from bot.settings import Settings
    from request_bridge.cli import ENVIRONMENT

    missing = [name.upper() for name in Settings.model_fields if name.upper() not in ENVIRONMENT]
    assert missing == [], f"--help does not explain {missing}"
