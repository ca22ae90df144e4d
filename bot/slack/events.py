"""Turns raw Slack message events into the few thread events the bridge acts on (pure, no I/O).

Slack quirks handled here (see Slack's docs on message subtypes):
- many `message_changed` events are not edits (unfurls, the root's reply count, our own chat.update):
  only a present, non-empty `edited` with changed text counts;
- an edit or deletion of a bot post carries `bot_id` only inside `message` / `previous_message`;
- a deletion names the deleted message by `deleted_ts`, and its `previous_message` may lack `thread_ts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.models import EventKind

# Subtypes that are a person writing a new message (Bolt's @app.message() set, minus bot_message).
NEW_MESSAGE_SUBTYPES = (None, "thread_broadcast", "file_share")


@dataclass(frozen=True)
class ThreadEvent:
    """A reply, edit or deletion of a message inside some thread."""

    kind: EventKind
    channel: str
    ts: str
    thread_ts: str | None  # None when Slack did not say (some deletions)
    user: str | None
    text: str
    dedup_key: str
    edited_ts: str | None = None


def files_markup(files: list[dict[str, Any]]) -> str:
    # A file reaches the other side at least as a named link; the message carrying it is never dropped.
    lines = []
    for f in files:
        name = f.get("title") or f.get("name") or "file"
        url = f.get("permalink") or f.get("url_private") or ""
        lines.append(f"[file] <{url}|{name}>" if url else f"[file] {name}")
    return "\n".join(lines)


def _is_bot(message: dict[str, Any]) -> bool:
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _files(message: dict[str, Any]) -> list[dict[str, Any]]:
    files = message.get("files")
    return [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []


def text_with_files(message: dict[str, Any]) -> str:
    """A message's text, then a named link per file it carries."""
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    files = _files(message)
    return "\n".join(part for part in (text, files_markup(files)) if part) if files else str(text)


def classify(event: dict[str, Any]) -> ThreadEvent | None:
    """The thread event this Slack `message` event means, or None when the bridge must ignore it.

    Fields of the wrong type (a signed but malformed payload) make the event ignored, never a crash.
    """
    channel = _text(event.get("channel"))
    if not channel:
        return None
    subtype = event.get("subtype")

    if subtype in NEW_MESSAGE_SUBTYPES:
        ts, thread_ts, user = _text(event.get("ts")), _text(event.get("thread_ts")), _text(event.get("user"))
        if not ts or not thread_ts or ts == thread_ts or _is_bot(event) or not user:
            return None
        return ThreadEvent(EventKind.REPLY, channel, ts, thread_ts, user, text_with_files(event),
                           f"reply:{channel}:{ts}")

    if subtype == "message_changed":
        message, previous = event.get("message"), event.get("previous_message") or {}
        if not isinstance(message, dict) or not isinstance(previous, dict):
            return None
        edited = message.get("edited")
        ts, thread_ts = _text(message.get("ts")), _text(message.get("thread_ts"))
        if not edited or not isinstance(edited, dict) or _is_bot(message) or _is_bot(previous) \
                or not ts or not thread_ts or ts == thread_ts:
            return None
        if message.get("text") == previous.get("text") and message.get("files") == previous.get("files"):
            return None
        edited_ts = _text(edited.get("ts")) or _text(event.get("ts")) or ts
        key = f"edit:{channel}:{ts}:{edited_ts}"
        return ThreadEvent(EventKind.EDIT, channel, ts, thread_ts, _text(message.get("user")),
                           text_with_files(message), key, edited_ts)

    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        if not isinstance(previous, dict):
            return None
        ts = _text(event.get("deleted_ts")) or _text(previous.get("ts"))
        thread_ts = _text(previous.get("thread_ts"))
        if not ts or _is_bot(previous) or (thread_ts is not None and thread_ts == ts):
            return None
        return ThreadEvent(EventKind.DELETE, channel, ts, thread_ts, _text(previous.get("user")), "",
                           f"delete:{channel}:{ts}")

    return None
