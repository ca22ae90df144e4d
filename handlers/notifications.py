"""The button under a link's announcement that switches the linker's mentions on answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.bridge.notifications import NotifyAction

if TYPE_CHECKING:
    from bot.service import Service


def register(app: AsyncApp, service: Service) -> None:
    @app.action(NotifyAction.TOGGLE)
    async def toggle(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        message = body.get("message") if isinstance(body.get("message"), dict) else None
        text = await service.notifications.toggle(user=body["user"]["id"], link_id=str(action.get("value", "")),
                                                  message=message)
        # The announcement stays as it is for everyone else: the reply is the presser's alone.
        await service.slack.respond(response_url=str(body.get("response_url") or ""), text=text)
