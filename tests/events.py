"""Slack event payloads for the tests: the builders live with the simulators (request-bridge demo uses them)."""

from __future__ import annotations

from sandbox.slack_payloads import delete, edit, reply

__all__ = ["delete", "edit", "reply"]
