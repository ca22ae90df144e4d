"""Texts and metadata of everything the bot posts in Slack (pure builders, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.providers.base import RequestInfo
from bot.text.formats import TextFormat, provider_to_slack
from bot.text.markup import escape_for_slack

# Every bot post carries metadata naming what it mirrors, so a post made just before a crash is
# recognised by reading the thread back (conversations.replies with include_all_metadata).
MESSAGE_EVENT_TYPE = "request_bridge_message"
LINK_EVENT_TYPE = "request_bridge_link"


def message_metadata(*, link_id: int, provider: str, request_id: str, message_id: str,
                     part: int = 1) -> dict[str, Any]:
    """`part` k > 1: the k-th Slack message of a provider message too long for one (bot/bridge/mirror.py)."""
    payload: dict[str, Any] = {"link_id": link_id, "provider": provider, "request_id": request_id,
                               "message_id": message_id}
    if part > 1:
        payload["part"] = part
    return {"event_type": MESSAGE_EVENT_TYPE, "event_payload": payload}


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


def attribution(*, author: str, provider_name: str, role: str | None = None) -> str:
    """`*author* (role, provider)`; outside names are shortened and escaped."""
    where = f"{escape_for_slack(_short(role))}, {provider_name}" if role else provider_name
    return f"*{escape_for_slack(_short(author))}* ({where})"


def provider_message_text(*, author: str, content: str, provider_name: str, role: str | None = None,
                          text_format: TextFormat = TextFormat.PLAIN, users: Mapping[str, str] | None = None) -> str:
    """A message from the other side, attributed to its author (and role), its content converted from the
    provider's format; it can ping nobody but the known `users` it names (id -> display name)."""
    body = provider_to_slack(content, fmt=text_format, users=users)
    return f"{attribution(author=author, provider_name=provider_name, role=role)}:\n{body}"


def _short(name: str, limit: int = 100) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def split_content(content: str, limit: int) -> list[str]:
    """Numbered parts of at most `limit` characters each, cut at a line or word end where possible."""
    if len(content) <= limit:
        return [content]
    # Reserve room for the "(k/n) " prefix; 20 characters covers up to 9999 parts.
    size = max(1, limit - 20)
    chunks: list[str] = []
    rest = content
    while rest:
        if len(rest) <= size:
            chunks.append(rest)
            break
        cut = max(rest.rfind("\n", 0, size), rest.rfind(" ", 0, size))
        cut = cut if cut > size // 2 else size
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ") if cut < size else rest[cut:]
    return [f"({n}/{len(chunks)}) {chunk}" for n, chunk in enumerate(chunks, 1)]


def deleted_text(*, author: str, provider_name: str) -> str:
    return f"_{escape_for_slack(author)} deleted this message on {provider_name}._"


def reply_content(*, display_name: str, text: str) -> str:
    """What the provider receives for a Slack reply: the Slack author's name, then the text."""
    return f"{display_name} (via Slack): {text}"


def status_text(*, old: str, new: str, provider_name: str) -> str:
    return f":arrows_counterclockwise: {provider_name} request status changed: *{escape_for_slack(old)}* → " \
           f"*{escape_for_slack(new)}*"
