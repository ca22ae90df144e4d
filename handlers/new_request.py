"""The `/request new` modal's submission: checked before Slack gets its answer, created after it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.new_request_modal import CALLBACK_ID

if TYPE_CHECKING:
    from bot.service import Service


def register(app: AsyncApp, service: Service) -> None:
    requests = service.requests

    @app.view(CALLBACK_ID)
    async def new_request_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        accepted = await requests.accept(view=view, user=body["user"]["id"])
        if isinstance(accepted, dict):
            await ack(response_action="errors", errors=accepted)
            return
        await ack()  # closes the modal; the outcome follows as an ephemeral reply
        if accepted is not None:
            requests.background.start(requests.create(accepted), what="create request")
