"""The App Home tab: published when a person opens it; its thread buttons are links, acknowledged here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import BridgeError
from bot.slack.home_view import HomeAction

if TYPE_CHECKING:
    from bot.service import Service

log = logging.getLogger(__name__)


def register(app: AsyncApp, service: Service) -> None:
    async def acknowledge(ack: AsyncAck) -> None:
        await ack()

    async def publish(event: dict[str, Any]) -> None:
        # app_home_opened also fires for the Messages and About tabs.
        if event.get("tab") != "home" or not event.get("user"):
            return
        try:
            await service.home.publish(str(event["user"]))
        except BridgeError as exc:
            log.warning("could not publish the Home tab", extra={"error": str(exc)})

    # Reading permalinks can take longer than Slack waits for the ack, so the Home view is built after it.
    app.event("app_home_opened")(ack=acknowledge, lazy=[publish])

    # A URL button opens its link in Slack and still sends block_actions, which must get its 200.
    @app.action(HomeAction.OPEN_THREAD)
    async def thread_opened(ack: AsyncAck) -> None:
        await ack()
