"""The Slack fake's workspace: its messages, users and groups, and how Slack renders a message or thread.

Every method here runs with the fake's lock held (sandbox/slack.py takes it).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.slack_wire import SlackError, required

PERMALINK_HOST = "https://fake.slack.com"


@dataclass
class Message:
    channel: str
    data: dict[str, Any]  # the message as Slack would return it, metadata included
    deleted: bool = False

    @property
    def ts(self) -> str:
        return str(self.data["ts"])


def ts_of(message: Message) -> Decimal:
    return Decimal(message.ts)


@dataclass
class Workspace:
    team_id: str
    bot_user_id: str
    bot_id: str
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    last_ts_us: int = 0
    outside: set[str] = field(default_factory=set)  # channels the bot is not a member of

    def next_ts(self) -> str:
        """Unique, increasing ts values in Slack's "seconds.micros" form, near the real clock."""
        now_us = time.time_ns() // 1000
        self.last_ts_us = max(now_us, self.last_ts_us + 100)
        seconds, micros = divmod(self.last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def store(self, channel: str, data: dict[str, Any], *, ts: str | None) -> Message:
        if ts is None:
            ts = self.next_ts()
        elif (channel, ts) in self.messages:
            raise ValueError(f"message {channel}/{ts} exists")
        else:
            self.last_ts_us = max(self.last_ts_us, int(Decimal(ts) * 1_000_000))
        data.update(ts=ts, team=self.team_id)
        message = Message(channel, data)
        self.messages[(channel, ts)] = message
        return message

    def own_message(self, params: dict[str, Any], not_own_error: str) -> Message:
        """The bot's own live message named by `channel` and `ts` (chat.update, chat.delete)."""
        channel = required(params, "channel", "channel_not_found")
        message = self.messages.get((channel, str(params.get("ts", ""))))
        if message is None or message.deleted:
            raise SlackError("message_not_found")
        if message.data.get("bot_id") != self.bot_id:
            raise SlackError(not_own_error)
        return message

    def live_replies(self, channel: str, thread_ts: str) -> list[Message]:
        replies = (
            m
            for m in self.messages.values()
            if m.channel == channel and m.data.get("thread_ts") == thread_ts and m.ts != thread_ts
        )
        return sorted((m for m in replies if not m.deleted), key=ts_of)

    def thread(self, channel: str, thread_ts: str, *, tombstone: bool) -> list[Message]:
        """Root then live replies; a deleted root is dropped, or shown as a tombstone if asked."""
        root = self.messages.get((channel, thread_ts))
        if root is None:
            return []
        replies = self.live_replies(channel, thread_ts)
        if not root.deleted:
            return [root, *replies]
        if not tombstone:
            return replies
        if not replies:
            return []
        # Slack keeps a deleted parent that still has replies as a tombstone.
        data = {
            "type": "message",
            "subtype": "tombstone",
            "text": "This message was deleted.",
            "user": "USLACKBOT",
            "hidden": True,
            "ts": thread_ts,
            "team": self.team_id,
        }
        return [Message(channel, data), *replies]

    def render(self, message: Message, *, with_metadata: bool) -> dict[str, Any]:
        """The message as Slack returns it, with thread fields derived from current state."""
        data = copy.deepcopy(message.data)
        if not with_metadata:
            data.pop("metadata", None)
        thread_ts = data.get("thread_ts")
        if thread_ts is None or thread_ts == message.ts:
            replies = self.live_replies(message.channel, message.ts)
            if replies:  # a thread parent carries its reply summary
                data.update(
                    thread_ts=message.ts,
                    reply_count=len(replies),
                    reply_users=sorted({str(m.data.get("user")) for m in replies}),
                    latest_reply=replies[-1].ts,
                )
        else:
            parent = self.messages.get((message.channel, thread_ts))
            if parent is not None and parent.data.get("user"):
                data["parent_user_id"] = parent.data["user"]
        return data
