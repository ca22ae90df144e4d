"""Fixtures of the end-to-end tests beyond tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.cloudforce_one import FakeCloudforceOne
from sandbox.slack import FakeSlack
from tests.harness import RunningBot, bot_settings


@pytest.fixture
def only_alice(slack: FakeSlack, cf: FakeCloudforceOne, db_path: Path) -> Iterator[RunningBot]:
    """The bot with ALLOWED_USER_IDS=U111 and RELAY_FROM=allowed: only Alice may link and send messages to requests."""
    bot = RunningBot(bot_settings(slack_url=slack.base_url.removesuffix("/api/"),
                                  cf_url=cf.base_url.removesuffix("/client/v4"), db_path=db_path,
                                  allowed_user_ids="U111", relay_from="allowed"))
    yield bot
    bot.stop()
