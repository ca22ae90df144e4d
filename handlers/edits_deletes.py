"""Edits and deletions of messages in linked threads (Bolt's @app.message() does not see these)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from handlers.thread_replies import accept

if TYPE_CHECKING:
    from bot.service import Service


def register(app: AsyncApp, service: Service) -> None:
    @app.event({"type": "message", "subtype": ("message_changed", "message_deleted")})
    async def on_edit_or_delete(event: dict[str, Any], body: dict[str, Any]) -> None:
        await accept(service, event, body)
