"""Shared fixtures: the loopback fakes and the running bot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.server import serving
from sandbox.slack import FakeSlack
from tests.databases import STORES, postgres_database
from tests.harness import RunningBot, bot_settings
from tests.oracles.cloudflare_types import problems as cloudflare_problems


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with serving(FakeSlack()) as fake:
        fake.add_user("U111", name="alice", display_name="Alice", real_name="Alice Liddell")
        fake.add_user("U222", name="bob", display_name="", real_name="Bob Builder")
        yield fake


@pytest.fixture
def cf() -> Iterator[FakeCloudforceOne]:
    """The Cloudforce One simulator; afterwards every answer it gave is checked against the official SDK's
    response types (tests/oracles/cloudflare_types.py), so no test passes on an answer Cloudflare could not
    give."""
    with serving(FakeCloudforceOne()) as fake:
        yield fake
        departures = [p for call in fake.calls for p in cloudflare_problems(call)]
        assert not departures, departures


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bridge.db"


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store the bridge supports: SQLite, and PostgreSQL where TEST_DATABASE_URL names a server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bridge.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def bot(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Iterator[RunningBot]:
    running = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                      cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path))
    yield running
    running.stop()


def restart(bot: RunningBot) -> RunningBot:
    """Stop the bot and start a new one on the same settings and database."""
    bot.stop()
    return RunningBot(bot.settings)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault-injection suite's figures, shown even when output is captured."""
    from tests.faults.simulator import REPORT_LINES

    for line in REPORT_LINES:
        terminalreporter.write_line(f"fault-injection: {line}")
