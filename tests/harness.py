"""Runs the real bot in-process on its own event loop, against the loopback fakes.

Tests are synchronous: they send signed HTTP requests to the bot's /slack/events like Slack does,
and drive the poller and the inbox on the bot's loop when they need a deterministic step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.settings import Settings, load_settings
from request_bridge.embedded import SIGNING_SECRET, LoopThread, RunningBot, sign, wait_for

__all__ = ["SIGNING_SECRET", "LoopThread", "RunningBot", "bot_settings", "sign", "wait_for"]


def bot_settings(*, slack_url: str, cf_url: str, db_path: Path | None = None, database_url: str | None = None,
                 **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack_url + "/api/",
        "cloudflare_account_id": "023e105f4ecef8ad9ca31a8372d0c353",
        "cloudflare_api_token": "cf-test-token",
        "cloudflare_base_url": cf_url + "/client/v4",
        "database_url": database_url or f"sqlite:///{db_path}",
        "retry_interval_seconds": 0.05,
        "order_window_seconds": 0.0,  # tests drive the inbox directly
        "http_timeout_seconds": 2.0,
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)
