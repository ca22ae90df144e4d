"""Texts and metadata of everything the bot posts in Slack (pure builders, no I/O)."""

from __future__ import annotations

from typing import Any

from bot.markup import escape_for_slack
from bot.providers.base import RequestInfo

# Every bot post carries metadata naming what it mirrors, so a post made just before a crash is
# recognised by reading the thread back (conversations.replies with include_all_metadata).
MESSAGE_EVENT_TYPE = "request_bridge_message"
LINK_EVENT_TYPE = "request_bridge_link"


def message_metadata(*, link_id: int, provider: str, request_id: str, message_id: str) -> dict[str, Any]:
    return {
        "event_type": MESSAGE_EVENT_TYPE,
        "event_payload": {"link_id": link_id, "provider": provider, "request_id": request_id,
                          "message_id": message_id},
    }


def link_metadata(*, link_id: int, provider: str, request_id: str) -> dict[str, Any]:
    return {"event_type": LINK_EVENT_TYPE,
            "event_payload": {"link_id": link_id, "provider": provider, "request_id": request_id}}


def root_text(info: RequestInfo, *, provider_name: str, linked_by: str) -> str:
    """The channel message whose thread becomes the linked conversation."""
    name = escape_for_slack(info.readable_id or info.id)
    title = f": {escape_for_slack(info.title)}" if info.title else ""
    status = f" · status *{escape_for_slack(info.status)}*" if info.status else ""
    return (
        f":link: *{provider_name} request {name}*{title}\n"
        f"ID `{escape_for_slack(info.id)}`{status} · linked by <@{linked_by}>\n"
        f"Replies in this thread go to the request; answers from {provider_name} appear here."
    )


def provider_message_text(*, author: str, content: str, provider_name: str) -> str:
    """A message from the other side, attributed to its author; its text can ping nobody."""
    return f"*{escape_for_slack(author)}* ({provider_name}):\n{escape_for_slack(content)}"


def deleted_text(*, author: str, provider_name: str) -> str:
    return f"_{escape_for_slack(author)} deleted this message on {provider_name}._"


def reply_content(*, display_name: str, text: str) -> str:
    """What the provider receives for a Slack reply: the Slack author's name, then the text."""
    return f"{display_name} (via Slack): {text}"
