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


def classify(event: dict[str, Any]) -> ThreadEvent | None:
    """The thread event this Slack `message` event means, or None when the bridge must ignore it."""
    channel = event.get("channel")
    if not channel:
        return None
    subtype = event.get("subtype")

    if subtype in NEW_MESSAGE_SUBTYPES:
        ts, thread_ts = event.get("ts"), event.get("thread_ts")
        if not ts or not thread_ts or ts == thread_ts or _is_bot(event) or not event.get("user"):
            return None
        text = event.get("text") or ""
        if event.get("files"):
            text = "\n".join(part for part in (text, files_markup(event["files"])) if part)
        return ThreadEvent(EventKind.REPLY, channel, ts, thread_ts, event["user"], text, f"reply:{channel}:{ts}")

    if subtype == "message_changed":
        message = event.get("message") or {}
        previous = event.get("previous_message") or {}
        edited = message.get("edited") or {}
        ts, thread_ts = message.get("ts"), message.get("thread_ts")
        if not edited or _is_bot(message) or _is_bot(previous) or not ts or not thread_ts or ts == thread_ts:
            return None
        if message.get("text") == previous.get("text") and message.get("files") == previous.get("files"):
            return None
        text = message.get("text") or ""
        if message.get("files"):
            text = "\n".join(part for part in (text, files_markup(message["files"])) if part)
        edited_ts = str(edited.get("ts") or event.get("ts"))
        key = f"edit:{channel}:{ts}:{edited_ts}"
        return ThreadEvent(EventKind.EDIT, channel, ts, thread_ts, message.get("user"), text, key, edited_ts)

    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        ts = event.get("deleted_ts") or previous.get("ts")
        thread_ts = previous.get("thread_ts")
        if not ts or _is_bot(previous) or (thread_ts is not None and thread_ts == ts):
            return None
        return ThreadEvent(EventKind.DELETE, channel, ts, thread_ts, previous.get("user"), "", f"delete:{channel}:{ts}")

    return None
