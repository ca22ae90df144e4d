"""How a provider message looks in Slack: its text, blocks, author, metadata (pure builders, no I/O).

Each post has a section with the message body and a context line (provider, role, request, time). With
`chat:write.customize` the post carries the author as its `username` (and an icon), so the body is the
content alone; without it the body starts with the author, as `text` always does: `text` is what
notifications and clients without blocks show. A body longer than one section holds is cut into several
posts (bot/text/split.py), each a whole message with its own context line ("part k of n"). The body is
converted from the provider's format once per message (bot/text/formats.py), whatever the number of posts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.text.formats import TextFormat, provider_to_slack
from bot.text.markup import escape_for_slack
from bot.text.split import split_mrkdwn

__all__ = ["MESSAGE_EVENT_TYPE", "SECTION_TEXT_LIMIT", "MessageView", "SlackPost", "attribution", "deleted_post",
           "deleted_text", "icon_for", "message_metadata", "provider_message_text", "provider_posts"]

# Every post of a provider message carries metadata naming what it mirrors, so a post made just before a
# crash is recognised by reading the thread back (conversations.replies with include_all_metadata).
MESSAGE_EVENT_TYPE = "request_bridge_message"

SECTION_TEXT_LIMIT = 3000  # Block Kit: a section's text is at most 3,000 characters
USERNAME_LIMIT = 80
_PART_MARK_ROOM = 16  # " (99/99)" and the mention's space, with room to spare
_EMPTY = "_(no text)_"  # a text object cannot be empty


@dataclass(frozen=True)
class MessageView:
    """What Slack shows of one provider message."""

    author: str
    content: str
    provider_name: str
    request_id: str
    role: str | None = None
    created: str | None = None  # RFC 3339, as the provider gave it
    text_format: TextFormat = TextFormat.PLAIN
    users: Mapping[str, str] = field(default_factory=dict)  # known Slack users, id -> display name


@dataclass(frozen=True)
class SlackPost:
    """Arguments of one chat.postMessage / chat.update."""

    text: str
    blocks: list[dict[str, Any]]
    username: str | None = None
    icon_emoji: str | None = None


Convert = Callable[..., str]  # provider_to_slack's signature: (content, *, fmt, users) -> mrkdwn


def provider_posts(view: MessageView, *, customized: bool, mention: str | None = None,
                   convert: Convert = provider_to_slack) -> list[SlackPost]:
    """The Slack posts of a provider message, in order: one, or one per part of a long message.

    `customized`: post under the author's name (chat:write.customize). `mention` (`<@U…>`) opens the first
    post, so the person is notified. `convert`: the body's conversion, called once (a test counts it)."""
    head = attribution(author=view.author, provider_name=view.provider_name, role=view.role)
    body = convert(view.content, fmt=view.text_format, users=view.users)
    room = SECTION_TEXT_LIMIT - len(head) - _PART_MARK_ROOM - (len(mention) if mention else 0)
    chunks = split_mrkdwn(body, room)
    parts = len(chunks)
    posts = []
    for part, chunk in enumerate(chunks, 1):
        # One part: the whole body, as provider_message_text() writes it, without converting it again.
        full = f"{head}:\n{body}" if parts == 1 else f"{head} ({part}/{parts}):\n{chunk}"
        shown = (chunk or _EMPTY) if customized else full
        if mention and part == 1:
            full, shown = f"{mention} {full}", f"{mention} {shown}"
        posts.append(SlackPost(
            text=full,
            blocks=[_section(shown), _context(view, part=part, parts=parts)],
            username=_username(view.author) if customized else None,
            icon_emoji=icon_for(view.role) if customized else None,
        ))
    return posts


def deleted_post(view: MessageView) -> SlackPost:
    """What a deleted provider message's (first) Slack post becomes."""
    text = deleted_text(author=view.author, provider_name=view.provider_name)
    return SlackPost(text=text, blocks=[_section(text), _context(view, part=1, parts=1)])


def icon_for(role: str | None) -> str:
    """An icon per kind of author: people, AI, the system."""
    kind = (role or "").strip().lower()
    if kind == "ai":
        return ":robot_face:"
    if kind == "system":
        return ":gear:"
    return ":bust_in_silhouette:"


def _username(author: str) -> str:
    name = " ".join(author.split()) or "unknown"
    return name if len(name) <= USERNAME_LIMIT else name[: USERNAME_LIMIT - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(view: MessageView, *, part: int, parts: int) -> dict[str, Any]:
    bits = [view.provider_name]
    if view.role:
        bits.append(escape_for_slack(view.role[:100]))
    bits.append(f"request `{escape_for_slack(view.request_id)}`")
    when = _slack_date(view.created)
    if when:
        bits.append(when)
    if parts > 1:
        bits.append(f"part {part} of {parts}")
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(bits)}]}


def _slack_date(created: str | None) -> str | None:
    """Slack's date token, shown in each reader's time zone, with a UTC fallback."""
    if not created:
        return None
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


# ---------------------------------------------------------------------------------- texts and metadata


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


def deleted_text(*, author: str, provider_name: str) -> str:
    return f"_{escape_for_slack(author)} deleted this message on {provider_name}._"


def message_metadata(*, link_id: int, provider: str, request_id: str, message_id: str,
                     part: int = 1) -> dict[str, Any]:
    """`part` k > 1: the k-th Slack message of a provider message too long for one (bot/bridge/mirror.py)."""
    payload: dict[str, Any] = {"link_id": link_id, "provider": provider, "request_id": request_id,
                               "message_id": message_id}
    if part > 1:
        payload["part"] = part
    return {"event_type": MESSAGE_EVENT_TYPE, "event_payload": payload}
