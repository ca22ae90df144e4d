"""Thin Bolt listeners, one module per Slack surface. Each parses the payload, calls bot/, renders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from handlers import (
    app_home,
    edits_deletes,
    new_request,
    notifications,
    request_command,
    shortcuts,
    thread_replies,
)

if TYPE_CHECKING:
    from bot.service import Service


def register(app: AsyncApp, service: Service) -> None:
    request_command.register(app, service)
    edits_deletes.register(app, service)
    thread_replies.register(app, service)
    shortcuts.register(app, service)
    notifications.register(app, service)
    new_request.register(app, service)
    app_home.register(app, service)

    # Bolt answers 404 to an event no listener matches; Slack retries those and may disable the app's
    # event subscriptions. Every other message event is acknowledged here and ignored.
    @app.event("message")
    async def ignore_other_messages() -> None:
        return None
