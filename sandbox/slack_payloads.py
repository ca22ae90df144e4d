"""Slack Events API payloads of thread messages, shaped like the fixtures in Slack's own SDK tests
(tests/data/README.md): what Slack sends the bot when a person replies, edits or deletes.

`request-bridge demo` and the tests deliver them to the bot.
"""

from __future__ import annotations

from typing import Any


def reply(*, channel: str, thread_ts: str, ts: str, user: str = "U111", text: str,
          broadcast: bool = False) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "message", "user": user, "ts": ts, "text": text, "team": "T111",
                             "thread_ts": thread_ts, "parent_user_id": "UBOT", "channel": channel,
                             "event_ts": ts, "channel_type": "channel"}
    if broadcast:
        event["subtype"] = "thread_broadcast"
    return event


def edit(*, channel: str, thread_ts: str, ts: str, user: str = "U111", old: str, new: str,
         edited_ts: str = "1700009999.000100") -> dict[str, Any]:
    return {
        "type": "message", "subtype": "message_changed", "hidden": True, "channel": channel,
        "ts": edited_ts, "event_ts": edited_ts, "channel_type": "channel",
        "message": {"type": "message", "user": user, "text": new, "ts": ts, "thread_ts": thread_ts,
                    "edited": {"user": user, "ts": edited_ts}, "team": "T111"},
        "previous_message": {"type": "message", "user": user, "text": old, "ts": ts, "thread_ts": thread_ts,
                             "team": "T111"},
    }


def delete(*, channel: str, ts: str, thread_ts: str | None, user: str = "U111", text: str = "x",
           event_ts: str = "1700009999.000200", bot_id: str | None = None) -> dict[str, Any]:
    previous: dict[str, Any] = {"type": "message", "text": text, "user": user, "ts": ts, "team": "T111"}
    if thread_ts:
        previous["thread_ts"] = thread_ts
    if bot_id:
        previous["bot_id"] = bot_id
    return {"type": "message", "subtype": "message_deleted", "hidden": True, "channel": channel,
            "deleted_ts": ts, "previous_message": previous, "event_ts": event_ts, "ts": event_ts,
            "channel_type": "channel"}
