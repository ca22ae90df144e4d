"""Shared fixtures: the loopback fakes and the running bot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def running_bot(slack: FakeSlack, cf: FakeCloudforceOne, **settings: Any) -> Iterator[RunningBot]:
    """The bot against these fakes, with `settings` (db_path or database_url among them); stopped after."""
    running = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                      cf_url=cf.base_url.removesuffix("/client/v4"), **settings))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def bot(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Iterator[RunningBot]:
    with running_bot(slack, cf, db_path=db_path) as running:
        yield running


@pytest.fixture
def only_alice(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Iterator[RunningBot]:
    """The bot with ALLOWED_USER_IDS=U111 and RELAY_FROM=allowed: only Alice may link and send messages to requests."""
    with running_bot(slack, cf, db_path=db_path, allowed_user_ids="U111", relay_from="allowed") as running:
        yield running


@pytest.fixture
def store_bot(slack: FakeSlack, cf: FakeCloudforceOne, database_url: str) -> Iterator[RunningBot]:
    """The bot on each store: SQLite, and PostgreSQL (whose INTEGER is 32-bit) where a server is named."""
    with running_bot(slack, cf, database_url=database_url) as running:
        yield running


def restart(bot: RunningBot) -> RunningBot:
    """Stop the bot and start a new one on the same settings and database."""
    bot.stop()
    return RunningBot(bot.settings)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault-injection suite's figures, shown even when output is captured."""
    from tests.faults.simulator import REPORT_LINES

    for line in REPORT_LINES:
        terminalreporter.write_line(f"fault-injection: {line}")
