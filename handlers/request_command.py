"""`/request`: acknowledged within Slack's 3 seconds; linking and listing run after the ack."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import BridgeError, InvalidInput
from bot.slack.commands import Action, Command, help_reply, parse
from bot.slack.replies import error_reply

if TYPE_CHECKING:
    from bot.service import Service

log = logging.getLogger(__name__)
COMMAND = "/request"


def register(app: AsyncApp, service: Service) -> None:
    def refusal(command: Command) -> str | None:
        """Why the command is refused before any outbound call, if it is."""
        if command.action == Action.HELP:
            return help_reply(command, providers={n: p.display_name for n, p in service.providers.items()})
        if command.action == Action.NEW:
            try:
                service.requests.creator_for(command.provider)
            except InvalidInput as exc:
                return error_reply(exc, doing="")
        if command.argument is not None:
            try:
                service.linker.provider_for(command.provider).validate_request_id(command.argument)
            except InvalidInput as exc:
                return error_reply(exc, doing="")
        return None

    async def acknowledge(ack: AsyncAck, command: dict[str, Any]) -> None:
        parsed = parse(command.get("text", ""))
        refused = refusal(parsed)
        if refused is not None:
            await ack(response_type="ephemeral", text=refused)
        elif parsed.action == Action.LINK:
            await ack(response_type="ephemeral", text=f"Linking request `{parsed.argument}`…")
        else:
            await ack()

    async def run(command: dict[str, Any]) -> None:
        parsed = parse(command.get("text", ""))
        if refusal(parsed) is not None:
            return
        channel, user = command["channel_id"], command["user_id"]
        text: str | None
        try:
            if parsed.action == Action.NEW:
                # Slack honours the trigger for 3 s from the command: the modal opens now or the person is told.
                text = await service.requests.open_modal(
                    trigger_id=command.get("trigger_id", ""), channel=channel, user=user,
                    provider_name=parsed.provider, response_url=command.get("response_url"))
            elif parsed.action == Action.LINK:
                text = await service.linker.link(channel=channel, user=user, raw_id=str(parsed.argument),
                                                 provider_name=parsed.provider)
            elif parsed.action == Action.NOTIFY:
                text = await service.notifications.switch(channel=channel, user=user, raw_id=str(parsed.argument),
                                                          on=bool(parsed.switch), provider_name=parsed.provider)
            elif parsed.action == Action.UNLINK:
                text = await service.linker.unlink(channel=channel, user=user, raw_id=str(parsed.argument),
                                                   provider_name=parsed.provider)
            else:
                text = await service.linker.list(channel=channel)
        except BridgeError as exc:
            text = error_reply(exc, doing=f"`{COMMAND} {parsed.action}`")
        except Exception:
            log.exception("slash command failed", extra={"action": parsed.action})
            text = ":warning: Something went wrong on our side; the error is in the bot's log."
        if text is not None:
            # Through the gateway, like every text the bot sends to Slack: masked as the logs are.
            await service.slack.respond(response_url=str(command.get("response_url") or ""), text=text)

    app.command(COMMAND)(ack=acknowledge, lazy=[run])
