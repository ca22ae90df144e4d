"""Texts of the bot's own posts and replies: the link's root message, status changes, what a Slack reply becomes
on the provider (pure builders, no I/O). How a provider message looks in Slack is bot/slack/posts.py."""

from __future__ import annotations

from typing import Any

from bot.providers.base import RequestInfo
from bot.text.markup import escape_for_slack

# The link's announcement carries metadata naming its link, as every provider message's post does
# (bot/slack/posts.py), so it is recognised by reading the thread back.
LINK_EVENT_TYPE = "request_bridge_link"


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


def reply_content(*, display_name: str, text: str) -> str:
    """What the provider receives for a Slack reply: the Slack author's name, then the text."""
    return f"{display_name} (via Slack): {text}"


def status_text(*, old: str, new: str, provider_name: str) -> str:
    return f":arrows_counterclockwise: {provider_name} request status changed: *{escape_for_slack(old)}* → " \
           f"*{escape_for_slack(new)}*"
