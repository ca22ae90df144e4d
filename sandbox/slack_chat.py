"""The Slack fake's chat.* methods: post, update, delete, post ephemeral, get a permalink (lock held)."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.slack_blocks import TEXT_TRUNCATED_AT, echoed_author
from sandbox.slack_wire import TRUE_VALUES, Method, SlackError, check_blocks, required
from sandbox.slack_workspace import PERMALINK_HOST, Workspace


class Chat:
    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def methods(self) -> dict[str, Method]:
        return {
            "chat.postMessage": self.post_message,
            "chat.update": self.update,
            "chat.delete": self.delete,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.getPermalink": self.get_permalink,
        }

    def post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self._ws
        channel = required(params, "channel", "channel_not_found")
        if channel in ws.outside:
            raise SlackError("not_in_channel")
        if not params.get("text") and not params.get("blocks"):
            raise SlackError("no_text")
        check_blocks(params)
        data: dict[str, Any] = {"type": "message", "user": ws.bot_user_id, "bot_id": ws.bot_id}
        data["text"] = str(params.get("text") or "")[:TEXT_TRUNCATED_AT]
        for key in ("blocks", "metadata"):
            if params.get(key):
                data[key] = params[key]
        data.update(echoed_author(params))
        if params.get("thread_ts"):
            # Slack accepts any thread_ts here without checking that the parent exists.
            data["thread_ts"] = str(params["thread_ts"])
            if params.get("reply_broadcast") in TRUE_VALUES:
                data["subtype"] = "thread_broadcast"
        message = ws.store(channel, data, ts=None)
        return {"channel": channel, "ts": message.ts, "message": ws.render(message, with_metadata=True)}

    def update(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._ws.own_message(params, "cant_update_message")
        if "text" not in params and "blocks" not in params:
            raise SlackError("no_text")
        check_blocks(params)
        data = message.data
        if "text" in params:
            data["text"] = str(params["text"] or "")[:TEXT_TRUNCATED_AT]
        for key in ("blocks", "metadata"):
            # Omitted blocks/metadata are retained; an empty value removes them.
            if key in params:
                if params[key]:
                    data[key] = params[key]
                else:
                    data.pop(key, None)
        data["edited"] = {"user": self._ws.bot_user_id, "ts": self._ws.next_ts()}
        return {
            "channel": message.channel,
            "ts": message.ts,
            "text": data["text"],
            "message": self._ws.render(message, with_metadata=True),
        }

    def delete(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._ws.own_message(params, "cant_delete_message")
        message.deleted = True
        return {"channel": message.channel, "ts": message.ts}

    def post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        # The spec lists channel_not_found, not not_in_channel, for a channel the bot cannot see.
        if required(params, "channel", "channel_not_found") in self._ws.outside:
            raise SlackError("channel_not_found")
        required(params, "user", "user_not_in_channel")
        if not params.get("text") and not params.get("blocks"):
            raise SlackError("no_text")
        # Ephemeral messages are not part of the channel history; only `ephemerals` shows them.
        self._ws.ephemerals.append(copy.deepcopy(params))
        return {"message_ts": self._ws.next_ts()}

    def get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = required(params, "channel", "channel_not_found")
        message = self._ws.messages.get((channel, str(params.get("message_ts", ""))))
        if message is None or message.deleted:
            raise SlackError("message_not_found")
        permalink = f"{PERMALINK_HOST}/archives/{channel}/p{message.ts.replace('.', '')}"
        thread_ts = message.data.get("thread_ts")
        if thread_ts and thread_ts != message.ts:
            permalink += f"?thread_ts={thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": permalink}
