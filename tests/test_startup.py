"""Start-up mistakes are one line naming the setting, never a traceback; nothing is written before the checks
that can fail without writing; `request-bridge migrate` shows no database password in any encoding; and a
start has nothing for Bolt to warn about."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from sandbox.slack import FakeSlack
from tests.databases import ADMIN_URL, postgres_database
from tests.faults.test_fault_injection import free_port
from tests.harness import wait_for

SETTING_PREFIXES = ("SLACK_", "CLOUDFLARE_", "HUAWEI_", "JITSUDO_", "DATABASE_URL", "PORT", "HOST", "LOG_", "HTTP_",
                    "ALLOWED_", "ADMIN_", "RELAY_")


def env_for(tmp_path: Path, slack: FakeSlack, **changes: str) -> dict[str, str]:
    """The process environment with working settings, then `changes` over them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    return env | {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "startup-signing-secret",
            "SLACK_API_URL": slack.base_url, "CLOUDFLARE_ACCOUNT_ID": "023e105f4ecef8ad9ca31a8372d0c353",
            "CLOUDFLARE_API_TOKEN": "cf-startup-token", "CLOUDFLARE_BASE_URL": "http://127.0.0.1:9/client/v4",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}", "HOST": "127.0.0.1", "PORT": str(free_port()),
            "HTTP_TIMEOUT_SECONDS": "2"} | changes


def run(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "request_bridge", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=90)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The only line the failed command printed; no traceback."""
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, lines
    return lines[0]


DATABASE_MISTAKES = {
    "a directory that does not exist": ("sqlite:////no/such/dir/x.db", "the directory /no/such/dir does not exist"),
    "a port that is not a number": ("postgresql://bridge:pw-startup@127.0.0.1:fivefourthreetwo/bridge",
                                    "port is not a number"),
    "a port out of range": ("postgresql://bridge:pw-startup@127.0.0.1:70000/bridge", "out of range"),
    "a server refusing connections": ("postgresql://bridge:pw-startup@127.0.0.1:9/bridge", "cannot open the database"),
}


@pytest.mark.parametrize("command", ["serve", "migrate"])
@pytest.mark.parametrize("case", list(DATABASE_MISTAKES))
def test_a_database_mistake_is_one_line(tmp_path: Path, slack: FakeSlack, case: str, command: str) -> None:
    url, expected = DATABASE_MISTAKES[case]
    line = one_line(run(command, env_for(tmp_path, slack, DATABASE_URL=url), tmp_path))
    assert line.startswith("request-bridge: DATABASE_URL") and expected in line, line
    assert "pw-startup" not in line


def test_doctor_names_the_missing_directory_instead_of_advising_migrate(tmp_path: Path, slack: FakeSlack) -> None:
    result = run("doctor", env_for(tmp_path, slack, DATABASE_URL="sqlite:////no/such/dir/x.db"), tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "/no/such/dir does not exist" in result.stdout and "migrate" not in result.stdout, result.stdout


@pytest.mark.skipif(not ADMIN_URL, reason="needs TEST_DATABASE_URL (a PostgreSQL server)")
def test_a_wrong_database_password_is_one_line_without_the_password(tmp_path: Path, slack: FakeSlack) -> None:
    server = ADMIN_URL.split("@", 1)[1]
    wrong = f"Wr0ng@pw%{os.getpid()}"
    url = f"postgresql://bridge:{quote(wrong, safe='')}@{server}"
    for command in ("migrate", "serve"):
        line = one_line(run(command, env_for(tmp_path, slack, DATABASE_URL=url), tmp_path))
        assert line.startswith("request-bridge: DATABASE_URL: cannot open the database"), line
        assert "password authentication failed" in line, line
        assert wrong not in line and quote(wrong, safe="") not in line, line


@pytest.mark.skipif(not ADMIN_URL, reason="needs TEST_DATABASE_URL (a PostgreSQL server)")
def test_migrate_shows_no_database_password_in_any_encoding(tmp_path: Path, slack: FakeSlack) -> None:
    with postgres_database() as database:
        user, _, rest = database.removeprefix("postgresql://").partition(":")
        password, _, server = rest.partition("@")
        # The same password percent-encoded character by character: valid, and nothing like the plain one.
        encoded = "".join(f"%{b:02X}" for b in password.encode())
        result = run("migrate", env_for(tmp_path, slack, DATABASE_URL=f"postgresql://{user}:{encoded}@{server}"),
                     tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database ready: postgresql://" in result.stdout
    assert encoded not in result.stdout + result.stderr and f":{password}@" not in result.stdout + result.stderr


BAD_SETTINGS = {
    "the Slack token refused": {"SLACK_BOT_TOKEN": "xoxb-4242-not-this-workspace"},
    "Slack unreachable": {"SLACK_API_URL": "http://127.0.0.1:9/api/"},
    "a provider's settings half given": {"HUAWEI_AK": "an-ak", "HUAWEI_SK": "an-sk"},
}


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_a_start_that_fails_on_settings_leaves_no_database_behind(tmp_path: Path, slack: FakeSlack,
                                                                  case: str) -> None:
    line = one_line(run("serve", env_for(tmp_path, slack, **BAD_SETTINGS[case]), tmp_path))
    assert line.startswith("request-bridge: "), line
    assert sorted(p.name for p in tmp_path.iterdir()) == [], line


def serve(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "request_bridge", "serve"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_port_in_use_is_said_once(tmp_path: Path, slack: FakeSlack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run("serve", env_for(tmp_path, slack, PORT=port), tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    output = result.stdout + result.stderr
    assert output.count("address already in use") == 1, output
    assert output.strip().splitlines()[-1].startswith("request-bridge: cannot start"), output


def test_a_start_gives_bolt_nothing_to_warn_about(tmp_path: Path, slack: FakeSlack) -> None:
    env = env_for(tmp_path, slack)
    process = serve(tmp_path, env)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        wait_for(lambda: lines.append(process.stdout.readline()) or "request-bridge is up" in lines[-1] or
                 process.poll() is not None, timeout=60, what="the bot to start")
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    output = "".join(lines) + rest
    assert "request-bridge is up" in output, output
    assert "token will be unused" not in output and "WARNING" not in output, output
    assert process.returncode == 0, output
