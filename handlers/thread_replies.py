"""New messages in threads: a reply (or a reply also sent to the channel) in a linked thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from bot.slack.events import NEW_MESSAGE_SUBTYPES, classify

if TYPE_CHECKING:
    from bot.service import Service


async def accept(service: Service, event: dict[str, Any], body: dict[str, Any]) -> None:
    """Store the event durably (deduplicated) before Slack's ack, then apply it in the background."""
    thread_event = classify(event)
    if thread_event is not None and await service.inbox.accept(thread_event, event_id=body.get("event_id")):
        service.inbox.kick()


def register(app: AsyncApp, service: Service) -> None:
    @app.event({"type": "message", "subtype": NEW_MESSAGE_SUBTYPES})
    async def on_thread_reply(event: dict[str, Any], body: dict[str, Any]) -> None:
        await accept(service, event, body)
