"""The Slack fake's read methods: conversations.replies (paged), users.info, usergroups.users.list (lock held)."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.slack_wire import (
    TRUE_VALUES,
    Method,
    SlackError,
    decode_cursor,
    encode_cursor,
    required,
    ts_param,
)
from sandbox.slack_workspace import Workspace, ts_of

REPLIES_MAX_LIMIT = 1000  # conversations.replies default and maximum page size for internal apps


class Reads:
    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def methods(self) -> dict[str, Method]:
        return {
            "conversations.replies": self.replies,
            "users.info": self.users_info,
            "usergroups.users.list": self.usergroups_users_list,
        }

    def replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = required(params, "channel", "channel_not_found")
        thread_ts = required(params, "ts", "thread_not_found")
        messages = self._ws.thread(channel, thread_ts, tombstone=True)
        if not messages:
            raise SlackError("thread_not_found")
        inclusive = params.get("inclusive") in TRUE_VALUES
        oldest, latest = ts_param(params, "oldest"), ts_param(params, "latest")
        if oldest is not None:
            messages = [m for m in messages if ts_of(m) > oldest or (inclusive and ts_of(m) == oldest)]
        if latest is not None:
            messages = [m for m in messages if ts_of(m) < latest or (inclusive and ts_of(m) == latest)]
        try:
            limit = min(int(params.get("limit") or 0) or REPLIES_MAX_LIMIT, REPLIES_MAX_LIMIT)
        except (TypeError, ValueError):
            raise SlackError("invalid_limit") from None
        start = 0
        if params.get("cursor"):
            next_ts = decode_cursor(str(params["cursor"]))
            start = next((i for i, m in enumerate(messages) if ts_of(m) >= next_ts), len(messages))
        page = messages[start : start + max(limit, 1)]
        rest = messages[start + len(page) :]
        with_metadata = params.get("include_all_metadata") in TRUE_VALUES
        body: dict[str, Any] = {
            "messages": [self._ws.render(m, with_metadata=with_metadata) for m in page],
            "has_more": bool(rest),
        }
        if rest:
            body["response_metadata"] = {"next_cursor": encode_cursor(rest[0].ts)}
        return body

    def users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._ws.users.get(str(params.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    def usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = required(params, "usergroup", "invalid_arguments")
        if group not in self._ws.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self._ws.usergroups[group])}
