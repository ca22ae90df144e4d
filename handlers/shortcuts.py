"""Message shortcuts "Link thread to request" and "Send to request", and their modals' submissions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.shortcut_modals import CallbackId

if TYPE_CHECKING:
    from bot.service import Service

# check(view, user=…) -> errors by block id, or what the follow-up works on; follow_up(that, user=…)
Check = Callable[..., Awaitable[Any]]
FollowUp = Callable[..., Coroutine[Any, Any, None]]


def register(app: AsyncApp, service: Service) -> None:
    shortcuts = service.shortcuts

    async def answer(ack: AsyncAck, body: dict[str, Any], refused: str | None) -> None:
        await ack()
        if refused:
            await service.slack.respond(response_url=str(body.get("response_url") or ""), text=refused)

    # The modal is opened before the ack: Slack honours the trigger for 3 s, the same budget as the ack.
    @app.message_shortcut(CallbackId.LINK_THREAD)
    async def link_thread(ack: AsyncAck, body: dict[str, Any]) -> None:
        await answer(ack, body, await shortcuts.open_link_thread(body))

    @app.message_shortcut(CallbackId.SEND_TO_REQUEST)
    async def send_to_request(ack: AsyncAck, body: dict[str, Any]) -> None:
        await answer(ack, body, await shortcuts.open_send_to_request(body))

    def on_submit(callback_id: CallbackId, check: Check, follow_up: FollowUp) -> None:
        """A modal's submission: checked (and, for sends, stored) before the ack; the rest after it."""

        async def submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
            user = body["user"]["id"]
            accepted = await check(view, user=user)
            if isinstance(accepted, dict):
                await ack(response_action="errors", errors=accepted)
                return
            await ack()
            shortcuts.background.start(follow_up(accepted, user=user), what=callback_id)

        app.view(callback_id)(submitted)

    on_submit(CallbackId.LINK_THREAD, shortcuts.check_link_thread, shortcuts.link_thread)
    # Send to request: the message is stored durably in the check, so once the modal closes it is not lost.
    on_submit(CallbackId.SEND_TO_REQUEST, shortcuts.accept_send, shortcuts.report_send)
