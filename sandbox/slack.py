"""In-memory fake of the Slack Web API methods the bridge uses, plus a response_url sink.

Served at ``/api/{method}`` so a client takes ``base_url="<url>/api/"``. Accepts Slack's wire
formats: JSON bodies (slack_sdk's chat.postMessage/update/postEphemeral), form bodies (chat.delete)
and GET query strings (conversations.replies, users.info, chat.getPermalink). Errors are HTTP 200
with ``{"ok": false, "error": ...}``, as Slack does; only 429 and unknown methods differ.
Tests read state from their own thread while aiohttp serves from a loop thread, so all state sits
behind one lock.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from sandbox.base import LoopbackFake
from sandbox.slack_blocks import (
    AUTHORSHIP_FIELDS,
    CUSTOMIZE_SCOPE,
    TEXT_TRUNCATED_AT,
    block_problems,
    customizes_author,
    echoed_author,
)
from sandbox.slack_views import OpenedView, ViewError, Views

FAULT_KINDS = ("ratelimited", "server_error", "garbage")
REPLIES_MAX_LIMIT = 1000  # conversations.replies default and maximum page size for internal apps
PERMALINK_HOST = "https://fake.slack.com"
TRUE_VALUES = (True, 1, "true", "1")  # slack_sdk sends query booleans as "1"/"0"
# What an install from manifest.yml grants; Slack names a token's scopes in `x-oauth-scopes` on every answer.
BOT_SCOPES = "channels:history,groups:history,chat:write,chat:write.customize,commands,users:read,usergroups:read"
APP_TOKEN_SCOPES = "connections:write"
TS_PATTERN = re.compile(r"\d+\.\d{6}")


class _SlackError(Exception):
    def __init__(self, error: str, messages: list[str] | None = None, **extra: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []  # Slack's response_metadata.messages (schema problems)
        self.extra = extra  # further top-level fields, e.g. missing_scope's `needed` and `provided`


@dataclass
class _Message:
    channel: str
    data: dict[str, Any]  # the message as Slack would return it, metadata included
    deleted: bool = False

    @property
    def ts(self) -> str:
        return str(self.data["ts"])


@dataclass
class _Fault:
    method: str
    kind: str
    remaining: int
    retry_after: int


@dataclass
class _State:
    messages: dict[tuple[str, str], _Message] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    responses: list[tuple[str, Any]] = field(default_factory=list)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    last_ts_us: int = 0
    outside: set[str] = field(default_factory=set)  # channels the bot is not a member of


Method = Callable[[dict[str, Any]], dict[str, Any]]


class FakeSlack(LoopbackFake):
    """Slack Web API fake for one workspace and one bot."""

    BASE_PATH = "/api/"

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = "T111",
        app_token: str = "xapp-test-token",
        app_id: str = "A111",
        customize_without_scope: str = "error",
    ) -> None:
        # What chat.postMessage does with username/icon_* when chat:write.customize is missing: "error"
        # (missing_scope) or "ignore" (posted under the app's name); see sandbox/slack_blocks.py.
        if customize_without_scope not in ("error", "ignore"):
            raise ValueError("customize_without_scope is 'error' or 'ignore'")
        self.customize_without_scope = customize_without_scope
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self._lock = threading.Lock()
        self._state = _State()
        self._fault_rate = 0.0
        self._fault_rng = random.Random(0)
        self._fault_kinds: tuple[str, ...] = ()
        self._fault_methods: set[str] = set()
        self._scopes = {bot_token: BOT_SCOPES.split(","), app_token: APP_TOKEN_SCOPES.split(",")}
        self._methods: dict[str, Method] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._get_permalink,
            "conversations.replies": self._replies,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "apps.connections.open": self._connections_open,
            "views.open": self._views_open,
            "views.publish": self._views_publish,
        }
        self._views = Views(team_id=team_id, app_id=app_id, bot_id=bot_id)
        self.add_user(bot_user_id, name="request-bridge", real_name="Request Bridge", is_bot=True)
        self._app = web.Application()
        self._app.router.add_route("*", "/api/{method}", self._serve_api)
        self._app.router.add_post("/responses/{name}", self._serve_response_url)

    # ----------------------------------------------------------------- wiring

    def response_url(self, name: str = "cmd") -> str:
        """An absolute response_url whose POSTs are recorded in ``responses``."""
        return f"{self._bound()}/responses/{name}"

    async def _serve_response_url(self, request: web.Request) -> web.Response:
        text = await request.text()
        try:
            body: Any = json.loads(text)
        except ValueError:
            body = text
        with self._lock:
            self._state.responses.append((request.match_info["name"], body))
        return web.Response(text="ok")

    async def _serve_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        params: dict[str, Any] = {}
        parse_error: str | None = None
        try:
            params = await _read_params(request)
        except _SlackError as err:
            parse_error = err.error
        method = self._methods.get(name)
        fault = self._take_fault(name) if method is not None else None
        self._record(name, params, request, injected=fault.kind if fault else None)
        if method is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        if fault is not None:
            return _fault_response(fault)  # injected: state is left untouched
        if parse_error is not None:
            return web.json_response({"ok": False, "error": parse_error})
        token = _bearer(request.headers.get("Authorization")) or params.get("token")
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        # Socket Mode's connection call takes the app-level token; every other method the bot token.
        if token != (self.app_token if name == "apps.connections.open" else self.bot_token):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        try:
            with self._lock:
                if name == "chat.postMessage" and customizes_author(params):
                    params = self._authorship(params, token)
                body = {"ok": True, **method(params)}
        except _SlackError as err:
            body = {"ok": False, "error": err.error, **err.extra}
            if err.messages:
                body["response_metadata"] = {"messages": err.messages}
        with self._lock:
            headers = {"x-oauth-scopes": ",".join(self._scopes.get(token, []))}
        return web.json_response(body, headers=headers)

    def _record(
        self, name: str, params: dict[str, Any], request: web.Request, *, injected: str | None
    ) -> None:
        with self._lock:
            self._state.calls.append(
                {
                    "method": name,
                    "params": copy.deepcopy(params),
                    "headers": dict(request.headers),
                    "injected": injected,
                }
            )

    def _authorship(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """A custom author needs chat:write.customize; without it, refuse or drop the fields (lock held)."""
        granted = self._scopes.get(token, [])
        if CUSTOMIZE_SCOPE in granted:
            return params
        if self.customize_without_scope == "error":
            raise _SlackError("missing_scope", needed=CUSTOMIZE_SCOPE, provided=",".join(granted))
        return {k: v for k, v in params.items() if k not in AUTHORSHIP_FIELDS}

    def _take_fault(self, name: str) -> _Fault | None:
        with self._lock:
            for fault in self._state.faults:
                if fault.method in (name, "any"):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._state.faults.remove(fault)
                    return fault
            if self._fault_rate and (not self._fault_methods or name in self._fault_methods) \
                    and self._fault_rng.random() < self._fault_rate:
                return _Fault(name, self._fault_rng.choice(self._fault_kinds), 1, 1)
        return None

    # ------------------------------------------------------------ methods (lock held)

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": PERMALINK_HOST + "/",
            "team": "Fake Workspace",
            "user": "request-bridge",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
        }

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _required(params, "channel", "channel_not_found")
        if channel in self._state.outside:
            raise _SlackError("not_in_channel")
        if not params.get("text") and not params.get("blocks"):
            raise _SlackError("no_text")
        _check_blocks(params)
        data: dict[str, Any] = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id}
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
        message = self._store(channel, data, ts=None)
        return {"channel": channel, "ts": message.ts, "message": self._render(message, with_metadata=True)}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._own_message(params, "cant_update_message")
        if "text" not in params and "blocks" not in params:
            raise _SlackError("no_text")
        _check_blocks(params)
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
        data["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "channel": message.channel,
            "ts": message.ts,
            "text": data["text"],
            "message": self._render(message, with_metadata=True),
        }

    def _delete(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._own_message(params, "cant_delete_message")
        message.deleted = True
        return {"channel": message.channel, "ts": message.ts}

    def _own_message(self, params: dict[str, Any], not_own_error: str) -> _Message:
        channel = _required(params, "channel", "channel_not_found")
        message = self._state.messages.get((channel, str(params.get("ts", ""))))
        if message is None or message.deleted:
            raise _SlackError("message_not_found")
        if message.data.get("bot_id") != self.bot_id:
            raise _SlackError(not_own_error)
        return message

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        # The spec lists channel_not_found, not not_in_channel, for a channel the bot cannot see.
        if _required(params, "channel", "channel_not_found") in self._state.outside:
            raise _SlackError("channel_not_found")
        _required(params, "user", "user_not_in_channel")
        if not params.get("text") and not params.get("blocks"):
            raise _SlackError("no_text")
        # Ephemeral messages are not part of the channel history; only `ephemerals` shows them.
        self._state.ephemerals.append(copy.deepcopy(params))
        return {"message_ts": self._next_ts()}

    def _get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _required(params, "channel", "channel_not_found")
        message = self._state.messages.get((channel, str(params.get("message_ts", ""))))
        if message is None or message.deleted:
            raise _SlackError("message_not_found")
        permalink = f"{PERMALINK_HOST}/archives/{channel}/p{message.ts.replace('.', '')}"
        thread_ts = message.data.get("thread_ts")
        if thread_ts and thread_ts != message.ts:
            permalink += f"?thread_ts={thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": permalink}

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _required(params, "channel", "channel_not_found")
        thread_ts = _required(params, "ts", "thread_not_found")
        messages = self._thread(channel, thread_ts, tombstone=True)
        if not messages:
            raise _SlackError("thread_not_found")
        inclusive = params.get("inclusive") in TRUE_VALUES
        oldest, latest = _ts_param(params, "oldest"), _ts_param(params, "latest")
        if oldest is not None:
            messages = [m for m in messages if _ts(m) > oldest or (inclusive and _ts(m) == oldest)]
        if latest is not None:
            messages = [m for m in messages if _ts(m) < latest or (inclusive and _ts(m) == latest)]
        try:
            limit = min(int(params.get("limit") or 0) or REPLIES_MAX_LIMIT, REPLIES_MAX_LIMIT)
        except (TypeError, ValueError):
            raise _SlackError("invalid_limit") from None
        start = _decode_cursor(str(params["cursor"]), messages) if params.get("cursor") else 0
        page = messages[start : start + max(limit, 1)]
        rest = messages[start + len(page) :]
        with_metadata = params.get("include_all_metadata") in TRUE_VALUES
        body: dict[str, Any] = {
            "messages": [self._render(m, with_metadata=with_metadata) for m in page],
            "has_more": bool(rest),
        }
        if rest:
            body["response_metadata"] = {"next_cursor": _encode_cursor(rest[0].ts)}
        return body

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self._bound().replace("http://", "ws://", 1) + "/socket-mode"}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._views.open(params)
        except ViewError as err:
            raise _SlackError(err.error, err.messages) from None

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._views.publish(params)
        except ViewError as err:
            raise _SlackError(err.error, err.messages) from None

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = _required(params, "usergroup", "invalid_arguments")
        if group not in self._state.usergroups:
            raise _SlackError("no_such_subteam")
        return {"users": list(self._state.usergroups[group])}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._state.users.get(str(params.get("user", "")))
        if user is None:
            raise _SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    # ----------------------------------------------------------------- state (lock held)

    def _next_ts(self) -> str:
        """Unique, increasing ts values in Slack's "seconds.micros" form, near the real clock."""
        now_us = time.time_ns() // 1000
        self._state.last_ts_us = max(now_us, self._state.last_ts_us + 100)
        seconds, micros = divmod(self._state.last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def _store(self, channel: str, data: dict[str, Any], *, ts: str | None) -> _Message:
        if ts is None:
            ts = self._next_ts()
        elif (channel, ts) in self._state.messages:
            raise ValueError(f"message {channel}/{ts} exists")
        else:
            self._state.last_ts_us = max(self._state.last_ts_us, int(Decimal(ts) * 1_000_000))
        data.update(ts=ts, team=self.team_id)
        message = _Message(channel, data)
        self._state.messages[(channel, ts)] = message
        return message

    def _live_replies(self, channel: str, thread_ts: str) -> list[_Message]:
        replies = (
            m
            for m in self._state.messages.values()
            if m.channel == channel and m.data.get("thread_ts") == thread_ts and m.ts != thread_ts
        )
        return sorted((m for m in replies if not m.deleted), key=_ts)

    def _thread(self, channel: str, thread_ts: str, *, tombstone: bool) -> list[_Message]:
        """Root then live replies; a deleted root is dropped, or shown as a tombstone if asked."""
        root = self._state.messages.get((channel, thread_ts))
        if root is None:
            return []
        replies = self._live_replies(channel, thread_ts)
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
        return [_Message(channel, data), *replies]

    def _render(self, message: _Message, *, with_metadata: bool) -> dict[str, Any]:
        """The message as Slack returns it, with thread fields derived from current state."""
        data = copy.deepcopy(message.data)
        if not with_metadata:
            data.pop("metadata", None)
        thread_ts = data.get("thread_ts")
        if thread_ts is None or thread_ts == message.ts:
            replies = self._live_replies(message.channel, message.ts)
            if replies:  # a thread parent carries its reply summary
                data.update(
                    thread_ts=message.ts,
                    reply_count=len(replies),
                    reply_users=sorted({str(m.data.get("user")) for m in replies}),
                    latest_reply=replies[-1].ts,
                )
        else:
            parent = self._state.messages.get((message.channel, thread_ts))
            if parent is not None and parent.data.get("user"):
                data["parent_user_id"] = parent.data["user"]
        return data

    # ----------------------------------------------------------------- test helpers

    def add_user(
        self, user_id: str, *, name: str, display_name: str = "", real_name: str = "", is_bot: bool = False
    ) -> None:
        """Make ``users.info`` know a user."""
        profile = {
            "display_name": display_name,
            "display_name_normalized": display_name,
            "real_name": real_name,
            "real_name_normalized": real_name,
            "image_48": f"{PERMALINK_HOST}/avatars/{user_id}_48.png",
            "team": self.team_id,
        }
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": profile,
        }
        with self._lock:
            self._state.users[user_id] = user

    def set_scopes(self, token: str, scopes: list[str]) -> None:
        """The scopes `token` was granted (as sent in `x-oauth-scopes`), e.g. to take one away."""
        with self._lock:
            self._scopes[token] = list(scopes)

    def leave_channel(self, channel: str) -> None:
        """The bot is not a member of `channel`: posts there fail as Slack's spec says."""
        with self._lock:
            self._state.outside.add(channel)

    def issue_trigger(self, user: str, *, age: float = 0.0) -> str:
        """A trigger_id as Slack mints for an interaction by `user`; `age` seconds old (expired past 3 s)."""
        with self._lock:
            return self._views.issue_trigger(user, age=age)

    def opened_views(self) -> list[OpenedView]:
        """Every modal views.open opened, oldest first, with the user it was opened for."""
        with self._lock:
            return copy.deepcopy(self._views.opened)

    def set_home_tab_enabled(self, enabled: bool) -> None:
        """Whether the app's Home tab is on (the manifest's features.app_home.home_tab_enabled)."""
        with self._lock:
            self._views.home_enabled = enabled

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The Home tab views.publish last published for `user`, as Slack holds it."""
        with self._lock:
            found = self._views.homes.get(user)
            return copy.deepcopy(found) if found is not None else None

    def add_usergroup(self, group_id: str, users: list[str]) -> None:
        """A Slack user group (answers usergroups.users.list)."""
        with self._lock:
            self._state.usergroups[group_id] = list(users)

    def post_user_message(
        self, channel: str, text: str, *, user: str, thread_ts: str | None = None, ts: str | None = None
    ) -> str:
        """A human posts (state only); returns the message ts. ``ts`` must look like "1700000000.000100"."""
        if ts is not None and not TS_PATTERN.fullmatch(ts):
            raise ValueError(f"ts {ts!r} is not in Slack's seconds.micros form")
        data: dict[str, Any] = {"type": "message", "user": user, "text": text}
        if thread_ts:
            data["thread_ts"] = thread_ts
        with self._lock:
            return self._store(channel, data, ts=ts).ts

    def edit_user_message(self, channel: str, ts: str, text: str) -> None:
        """A human edits a message (state only)."""
        with self._lock:
            message = self._state.messages[(channel, ts)]
            message.data["text"] = text
            message.data["edited"] = {"user": message.data.get("user"), "ts": self._next_ts()}

    def delete_user_message(self, channel: str, ts: str) -> None:
        """A human deletes a message (state only)."""
        with self._lock:
            self._state.messages[(channel, ts)].deleted = True

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Root then replies in ts order, without deleted messages; metadata included."""
        with self._lock:
            return [
                self._render(m, with_metadata=True) for m in self._thread(channel, thread_ts, tombstone=False)
            ]

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message of a channel (thread replies too), without deleted ones, in ts order."""
        with self._lock:
            found = [m for (ch, _), m in self._state.messages.items() if ch == channel and not m.deleted]
            return [self._render(m, with_metadata=True) for m in sorted(found, key=_ts)]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message, deleted ones too (with ``deleted`` set); metadata included."""
        with self._lock:
            found = self._state.messages.get((channel, ts))
            if found is None:
                return None
            return {**self._render(found, with_metadata=True), "deleted": found.deleted}

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every Web API call: method, params, headers, injected (fault kind or None)."""
        with self._lock:
            return copy.deepcopy(self._state.calls)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Params of every call to ``method``, injected failures included."""
        return [c["params"] for c in self.calls if c["method"] == method]

    @property
    def fault_count(self) -> int:
        """How many calls were answered by an injected fault."""
        with self._lock:
            return sum(1 for c in self._state.calls if c["injected"])

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """Params of the chat.postEphemeral calls that succeeded."""
        with self._lock:
            return copy.deepcopy(self._state.ephemerals)

    @property
    def responses(self) -> list[tuple[str, Any]]:
        """(name, body) for each POST to a response_url."""
        with self._lock:
            return copy.deepcopy(self._state.responses)

    def clear_calls(self) -> None:
        """Forget recorded traffic: calls, ephemerals and response_url posts."""
        with self._lock:
            self._state.calls.clear()
            self._state.ephemerals.clear()
            self._state.responses.clear()

    def set_fault_rate(self, rate: float, *, seed: int, methods: tuple[str, ...] = (),
                       kinds: tuple[str, ...] = ("ratelimited", "server_error", "garbage")) -> None:
        """Fail calls (of `methods`, or all) with probability `rate`, seeded; 0 stops it. Retry-After is 1 s."""
        with self._lock:
            self._fault_rate, self._fault_rng, self._fault_kinds = rate, random.Random(seed), kinds
            self._fault_methods = set(methods)

    def fail_next(self, method: str, kind: str, *, count: int = 1, retry_after: int = 1) -> None:
        """Make the next ``count`` calls to ``method`` (or ``"any"``) fail as ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._state.faults.append(_Fault(method, kind, count, retry_after))


# --------------------------------------------------------------------- helpers


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string merged with a JSON or form body; JSON-in-a-string fields decoded."""
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.text())
            except ValueError:
                raise _SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise _SlackError("json_not_object")
            params.update(body)
        else:
            params.update(dict(await request.post()))
    # Form posts carry blocks/metadata as JSON strings.
    for key, error in (("blocks", "invalid_blocks_format"), ("metadata", "invalid_metadata_format"),
                       ("view", "invalid_arguments")):
        if isinstance(params.get(key), str) and params[key]:
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                raise _SlackError(error) from None
    return params


def _check_blocks(params: dict[str, Any]) -> None:
    # An empty list is allowed: on chat.update it removes the blocks.
    if params.get("blocks"):
        problems = block_problems(params["blocks"])
        if problems:
            raise _SlackError("invalid_blocks", problems)


def _fault_response(fault: _Fault) -> web.Response:
    if fault.kind == "ratelimited":
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(fault.retry_after)}
        )
    if fault.kind == "server_error":
        return web.Response(status=503, text="upstream unavailable")
    return web.Response(status=200, text='{"ok": true, "channel": "C', content_type="application/json")


def _bearer(header: str | None) -> str | None:
    if header and header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return None


def _required(params: dict[str, Any], key: str, error: str) -> str:
    value = params.get(key)
    if not value:
        raise _SlackError(error)
    return str(value)


def _ts(message: _Message) -> Decimal:
    return Decimal(message.ts)


def _ts_param(params: dict[str, Any], key: str) -> Decimal | None:
    if params.get(key) in (None, ""):
        return None
    try:
        return Decimal(str(params[key]))
    except InvalidOperation:
        raise _SlackError("invalid_arguments") from None


def _encode_cursor(ts: str) -> str:
    # Same shape as Slack's cursors: base64 of "next_ts:<ts without dot>".
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


def _decode_cursor(cursor: str, messages: list[_Message]) -> int:
    """Index of the first message at or after the cursor's ts."""
    try:
        prefix, _, digits = base64.b64decode(cursor, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _SlackError("invalid_cursor") from None
    if prefix != "next_ts" or not digits.isdigit() or len(digits) <= 6:
        raise _SlackError("invalid_cursor")
    next_ts = Decimal(f"{digits[:-6]}.{digits[-6:]}")
    return next((i for i, m in enumerate(messages) if _ts(m) >= next_ts), len(messages))
