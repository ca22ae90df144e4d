"""In-memory fake of the Slack Web API methods the bridge uses, plus a response_url sink.

Served at ``/api/{method}`` so a client takes ``base_url="<url>/api/"``. Accepts Slack's wire
formats: JSON bodies (slack_sdk's chat.postMessage/update/postEphemeral), form bodies (chat.delete)
and GET query strings (conversations.replies, users.info, chat.getPermalink). Errors are HTTP 200
with ``{"ok": false, "error": ...}``, as Slack does; only 429 and unknown methods differ.
Tests read state from their own thread while aiohttp serves from a loop thread, so all state sits
behind one lock.

This module is the fake's front: routing, tokens and scopes, recorded traffic, injected faults, and the
helpers tests drive it with. The methods live by family: sandbox/slack_chat.py (chat.*),
sandbox/slack_reads.py (conversations.replies, users, user groups), sandbox/slack_views.py (views.*);
the messages themselves in sandbox/slack_workspace.py, the wire format in sandbox/slack_wire.py.
"""

from __future__ import annotations

import copy
import json
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.base import LoopbackFake
from sandbox.slack_blocks import AUTHORSHIP_FIELDS, CUSTOMIZE_SCOPE, customizes_author
from sandbox.slack_chat import Chat
from sandbox.slack_reads import Reads
from sandbox.slack_views import OpenedView, ViewError, Views
from sandbox.slack_wire import (
    FAULT_KINDS,
    Fault,
    Method,
    SlackError,
    bearer,
    fault_response,
    read_params,
)
from sandbox.slack_workspace import PERMALINK_HOST, Workspace, ts_of

# What an install from manifest.yml grants; Slack names a token's scopes in `x-oauth-scopes` on every answer.
BOT_SCOPES = "channels:history,groups:history,chat:write,chat:write.customize,commands,users:read,usergroups:read"
APP_TOKEN_SCOPES = "connections:write"
TS_PATTERN = re.compile(r"\d+\.\d{6}")


@dataclass
class _Traffic:
    calls: list[dict[str, Any]] = field(default_factory=list)
    responses: list[tuple[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)


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
        self._ws = Workspace(team_id=team_id, bot_user_id=bot_user_id, bot_id=bot_id)
        self._traffic = _Traffic()
        self._fault_rate = 0.0
        self._fault_rng = random.Random(0)
        self._fault_kinds: tuple[str, ...] = ()
        self._fault_methods: set[str] = set()
        self._scopes = {bot_token: BOT_SCOPES.split(","), app_token: APP_TOKEN_SCOPES.split(",")}
        self._methods: dict[str, Method] = {
            "auth.test": self._auth_test,
            **Chat(self._ws).methods(),
            **Reads(self._ws).methods(),
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
            self._traffic.responses.append((request.match_info["name"], body))
        return web.Response(text="ok")

    async def _serve_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        params: dict[str, Any] = {}
        parse_error: str | None = None
        try:
            params = await read_params(request)
        except SlackError as err:
            parse_error = err.error
        method = self._methods.get(name)
        fault = self._take_fault(name) if method is not None else None
        self._record(name, params, request, injected=fault.kind if fault else None)
        if method is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        if fault is not None:
            return fault_response(fault)  # injected: state is left untouched
        if parse_error is not None:
            return web.json_response({"ok": False, "error": parse_error})
        token = bearer(request.headers.get("Authorization")) or params.get("token")
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
        except SlackError as err:
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
            self._traffic.calls.append(
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
            raise SlackError("missing_scope", needed=CUSTOMIZE_SCOPE, provided=",".join(granted))
        return {k: v for k, v in params.items() if k not in AUTHORSHIP_FIELDS}

    def _take_fault(self, name: str) -> Fault | None:
        with self._lock:
            for fault in self._traffic.faults:
                if fault.method in (name, "any"):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._traffic.faults.remove(fault)
                    return fault
            if self._fault_rate and (not self._fault_methods or name in self._fault_methods) \
                    and self._fault_rng.random() < self._fault_rate:
                return Fault(name, self._fault_rng.choice(self._fault_kinds), 1, 1)
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

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self._bound().replace("http://", "ws://", 1) + "/socket-mode"}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._views.open(params)
        except ViewError as err:
            raise SlackError(err.error, err.messages) from None

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._views.publish(params)
        except ViewError as err:
            raise SlackError(err.error, err.messages) from None

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
            self._ws.users[user_id] = user

    def set_scopes(self, token: str, scopes: list[str]) -> None:
        """The scopes `token` was granted (as sent in `x-oauth-scopes`), e.g. to take one away."""
        with self._lock:
            self._scopes[token] = list(scopes)

    def leave_channel(self, channel: str) -> None:
        """The bot is not a member of `channel`: posts there fail as Slack's spec says."""
        with self._lock:
            self._ws.outside.add(channel)

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
            self._ws.usergroups[group_id] = list(users)

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
            return self._ws.store(channel, data, ts=ts).ts

    def edit_user_message(self, channel: str, ts: str, text: str) -> None:
        """A human edits a message (state only)."""
        with self._lock:
            message = self._ws.messages[(channel, ts)]
            message.data["text"] = text
            message.data["edited"] = {"user": message.data.get("user"), "ts": self._ws.next_ts()}

    def delete_user_message(self, channel: str, ts: str) -> None:
        """A human deletes a message (state only)."""
        with self._lock:
            self._ws.messages[(channel, ts)].deleted = True

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Root then replies in ts order, without deleted messages; metadata included."""
        with self._lock:
            return [
                self._ws.render(m, with_metadata=True) for m in self._ws.thread(channel, thread_ts, tombstone=False)
            ]

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message of a channel (thread replies too), without deleted ones, in ts order."""
        with self._lock:
            found = [m for (ch, _), m in self._ws.messages.items() if ch == channel and not m.deleted]
            return [self._ws.render(m, with_metadata=True) for m in sorted(found, key=ts_of)]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message, deleted ones too (with ``deleted`` set); metadata included."""
        with self._lock:
            found = self._ws.messages.get((channel, ts))
            if found is None:
                return None
            return {**self._ws.render(found, with_metadata=True), "deleted": found.deleted}

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every Web API call: method, params, headers, injected (fault kind or None)."""
        with self._lock:
            return copy.deepcopy(self._traffic.calls)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Params of every call to ``method``, injected failures included."""
        return [c["params"] for c in self.calls if c["method"] == method]

    @property
    def fault_count(self) -> int:
        """How many calls were answered by an injected fault."""
        with self._lock:
            return sum(1 for c in self._traffic.calls if c["injected"])

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """Params of the chat.postEphemeral calls that succeeded."""
        with self._lock:
            return copy.deepcopy(self._ws.ephemerals)

    @property
    def responses(self) -> list[tuple[str, Any]]:
        """(name, body) for each POST to a response_url."""
        with self._lock:
            return copy.deepcopy(self._traffic.responses)

    def clear_calls(self) -> None:
        """Forget recorded traffic: calls, ephemerals and response_url posts."""
        with self._lock:
            self._traffic.calls.clear()
            self._ws.ephemerals.clear()
            self._traffic.responses.clear()

    def set_fault_rate(self, rate: float, *, seed: int, methods: tuple[str, ...] = (),
                       kinds: tuple[str, ...] = FAULT_KINDS) -> None:
        """Fail calls (of `methods`, or all) with probability `rate`, seeded; 0 stops it. Retry-After is 1 s."""
        with self._lock:
            self._fault_rate, self._fault_rng, self._fault_kinds = rate, random.Random(seed), kinds
            self._fault_methods = set(methods)

    def fail_next(self, method: str, kind: str, *, count: int = 1, retry_after: int = 1) -> None:
        """Make the next ``count`` calls to ``method`` (or ``"any"``) fail as ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._traffic.faults.append(Fault(method, kind, count, retry_after))
