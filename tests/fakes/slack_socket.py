"""Slack's side of Socket Mode: the WebSocket that `apps.connections.open` points to. It greets the app,
hands it envelopes (events, slash commands) and records the app's acknowledgements, as in python-slack-sdk's
own mock Socket Mode server (see tests/data/slack-event-payload-examples.json, `socket_mode`)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.slack import FakeSlack


class SocketModeServer:
    """Register before the fake's server starts: `SocketModeServer(fake_slack)`."""

    def __init__(self, slack: FakeSlack) -> None:
        slack.app.router.add_get("/socket-mode", self._serve)
        self._lock = threading.Lock()
        self._socket: web.WebSocketResponse | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections = 0

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._socket is not None and not self._socket.closed

    def send(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False) -> str:
        """Hand the app one envelope (`events_api`, `slash_commands`, `interactive`); returns its id."""
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "payload": payload, "type": kind,
                    "accepts_response_payload": accepts_response_payload}
        if kind == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        with self._lock:
            socket, loop = self._socket, self._loop
        if socket is None or loop is None:
            raise RuntimeError("no app is connected")
        asyncio.run_coroutine_threadsafe(socket.send_str(json.dumps(envelope)), loop).result(5)
        return envelope_id

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        with self._lock:
            self._socket, self._loop = socket, asyncio.get_running_loop()
            self.connections += 1
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                          "connection_info": {"app_id": "A111"},
                                          "debug_info": {"host": "applink-fake"}}))
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            ack = json.loads(message.data)
            if "envelope_id" in ack:
                with self._lock:
                    self.acks[ack["envelope_id"]] = ack
        return socket
