"""Runs the real bot in-process on its own event loop, against the loopback fakes.

Tests are synchronous: they send signed HTTP requests to the bot's /slack/events like Slack does,
and drive the poller and the inbox on the bot's loop when they need a deterministic step.
"""

from __future__ import annotations

from request_bridge.embedded import SIGNING_SECRET, LoopThread, RunningBot, bot_settings, sign, wait_for

__all__ = ["SIGNING_SECRET", "LoopThread", "RunningBot", "bot_settings", "sign", "wait_for"]
