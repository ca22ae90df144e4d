"""In-memory fake of the Cloudflare Cloudforce One request + request-message API (client/v4).

Follows the 2026-07-27 OpenAPI extract (path params account_id, request_id, message_id). This module
is the fake's front: routes, credentials and path checks, recorded calls, injected faults, the rate
limit, and the helpers tests drive it with. The records and the operations on them are in
sandbox/cloudforce_one_records.py, the checks of request bodies in sandbox/cloudforce_one_checks.py,
the wire format (codes, envelope, times) in sandbox/cloudforce_one_wire.py. Tests read state from their
own thread while aiohttp serves from a loop thread, so all state sits behind one lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.base import CallLog, LoopbackFake
from sandbox.cloudforce_one_checks import json_object
from sandbox.cloudforce_one_records import Records
from sandbox.cloudforce_one_wire import (
    ACCOUNT_ID_MAX,
    API_PREFIX,
    CODE_AUTH_ERROR,
    CODE_INTERNAL_ERROR,
    CODE_INVALID_ACCOUNT_ID,
    CODE_INVALID_MESSAGE_ID,
    CODE_INVALID_REQUEST_ID,
    CODE_METHOD_NOT_ALLOWED,
    CODE_MISSING_AUTH,
    CODE_NO_ROUTE,
    CODE_RATE_LIMITED,
    FAULT_KINDS,
    OPS,
    REQUEST_ID_MAX,
    REQUESTS_PATH,
    STATUSES,
    ApiError,
    failure,
    fault_response,
    request_item,
    wire_message,
)
from sandbox.faults import FaultInjection
from sandbox.rate_limit import WindowLimit

Handler = Callable[[dict[str, Any]], dict[str, Any]]
CALL = web.RequestKey("call", dict)  # the recorded call, so handlers can mark it injected


class _Listing:
    """One field of the records' `Listing`, read and set as an attribute of the fake."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, fake: Any, owner: type | None = None) -> Any:
        return getattr(fake._records.listing, self._name)

    def __set__(self, fake: Any, value: Any) -> None:
        setattr(fake._records.listing, self._name, value)


class FakeCloudforceOne(LoopbackFake, CallLog, FaultInjection):
    """Cloudforce One requests and messages, served under ``/client/v4``."""

    BASE_PATH = API_PREFIX

    OPS = OPS
    FAULT_KINDS = FAULT_KINDS
    DEFAULT_RETRY_AFTER = 2

    def __init__(
        self,
        *,
        account_id: str = "023e105f4ecef8ad9ca31a8372d0c353",
        api_token: str = "cf-test-token",
        token_owner: str = "bridge-bot@example.com",
        email: str = "bridge-bot@example.com",
        api_key: str = "144c9defac04969c7bfad8efaa8ea194",
    ) -> None:
        self.account_id = account_id
        self.api_token = api_token
        self.token_owner = token_owner
        self.email = email
        self.api_key = api_key
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._lock = threading.Lock()
        # The records read the clock through the fake, so a test may swap `clock` at any time.
        self._records = Records(lambda: self.clock())
        self._calls: list[dict[str, Any]] = []
        self._init_faults()
        # Off unless set_rate_limit() is called; then enforced as Cloudflare documents it.
        self.rate_limit: WindowLimit | None = None
        self._app = self._build_app()

    # How the message list pages (sandbox/cloudforce_one_records.py `Listing`), settable on the fake.
    page_base = _Listing()
    ignore_page = _Listing()
    ignore_after = _Listing()

    @property
    def messages_touch_request(self) -> bool:
        """Whether a message moves its request's `updated` (the spec does not say; off by default)."""
        return self._records.messages_touch_request

    @messages_touch_request.setter
    def messages_touch_request(self, on: bool) -> None:
        self._records.messages_touch_request = on

    @property
    def request_types(self) -> list[str]:
        """What GET .../requests/types lists: the spec's example, until a test sets its own."""
        return self._records.request_types

    @request_types.setter
    def request_types(self, types: list[str]) -> None:
        self._records.request_types = types

    # ----------------------------------------------------------------- wiring

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._record_middleware, self._rate_limit_middleware])
        base, one = REQUESTS_PATH, REQUESTS_PATH + "/{request_id}"
        app.router.add_post(base, self._route("list_requests", self._records.list_requests))
        app.router.add_post(base + "/new", self._route("create_request", self._records.create_request))
        # Before `{request_id}`, which would otherwise take "types" and "constants" as ids.
        app.router.add_get(base + "/types", self._route("request_types", self._records.list_request_types))
        app.router.add_get(base + "/constants", self._route("request_constants", self._records.request_constants))
        app.router.add_get(one, self._route("get_request", self._records.get_request))
        app.router.add_post(one + "/message", self._route("list_messages", self._records.list_messages))
        app.router.add_post(one + "/message/new", self._route("create_message", self._records.create_message))
        app.router.add_put(one + "/message/{message_id}", self._route("update_message", self._records.update_message))
        app.router.add_delete(
            one + "/message/{message_id}", self._route("delete_message", self._records.delete_message)
        )
        return app

    @web.middleware
    async def _record_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        text = (await request.read()).decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(text) if text else None
        except ValueError:
            body = None
        call = {
            "method": request.method,
            "path": request.path,
            "json": body,
            "body": text,
            "headers": dict(request.headers),
            "injected": None,
        }
        with self._lock:
            self._calls.append(call)
        request[CALL] = call
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = failure(404, CODE_NO_ROUTE, "No route for the URI")
        except web.HTTPMethodNotAllowed:
            response = failure(405, CODE_METHOD_NOT_ALLOWED, "Method not allowed")
        if isinstance(response, web.Response) and response.content_type == "application/json":
            with self._lock, contextlib.suppress(ValueError):  # an injected garbled answer is no JSON
                call["answer"] = json.loads(response.text or "")  # what was answered, for tests to check
        return response

    def set_rate_limit(self, *, requests: int = 1200, window: float = 300, block: float = 300) -> WindowLimit:
        """Enforce Cloudflare's limit (by default its documented 1,200 calls per 5 minutes, 5-minute block)."""
        self.rate_limit = WindowLimit(requests=requests, window=window, block=block)
        return self.rate_limit

    @web.middleware
    async def _rate_limit_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.rate_limit is None:
            return await handler(request)
        allowed, headers = self.rate_limit.admit()
        if not allowed:
            return failure(429, CODE_RATE_LIMITED, "Please wait and consider throttling your request speed",
                           headers=headers)
        response = await handler(request)
        response.headers.update(headers)
        return response

    def _route(self, op: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            request[CALL]["op"] = op
            fault = self._take_fault(op, request[CALL])
            kind = fault.kind if fault else None
            if fault is not None and kind not in ("slow", "apply_then_500"):
                return fault_response(request, fault)
            if fault is not None and kind == "slow":
                # aiohttp does not cancel handlers when the client gives up, so the operation is
                # still applied after the delay: a client timeout is an ambiguous outcome too.
                await asyncio.sleep(fault.delay)
            response = self._handle(request, handler)
            self._applied(op, response.status)
            if kind == "apply_then_500":
                return failure(500, CODE_INTERNAL_ERROR, "Internal server error")
            return response

        return serve

    def _handle(self, request: web.Request, handler: Handler) -> web.Response:
        try:
            author = self._authenticate(request)
            account_id = request.match_info["account_id"]
            if len(account_id) > ACCOUNT_ID_MAX:
                raise ApiError(
                    400, CODE_INVALID_ACCOUNT_ID, f"account_id: must be at most {ACCOUNT_ID_MAX} characters"
                )
            if account_id != self.account_id:
                raise ApiError(403, CODE_AUTH_ERROR, "Authentication error")
            request_id = request.match_info.get("request_id")
            if request_id is not None and len(request_id) > REQUEST_ID_MAX:
                raise ApiError(
                    400, CODE_INVALID_REQUEST_ID, f"request_id: must be at most {REQUEST_ID_MAX} characters"
                )
            message_id = request.match_info.get("message_id")
            if message_id is not None and not re.fullmatch(r"\d+", message_id):
                raise ApiError(400, CODE_INVALID_MESSAGE_ID, "message_id: must be an integer")
            body: dict[str, Any] = {}
            if request.method in ("POST", "PUT"):
                body = json_object(request[CALL]["body"])
            ctx: dict[str, Any] = {"author": author, "request_id": request_id, "body": body}
            if message_id is not None:
                ctx["message_id"] = int(message_id)
            with self._lock:
                return web.json_response(handler(ctx))
        except ApiError as err:
            return failure(err.status, err.code, err.message)

    def _authenticate(self, request: web.Request) -> str:
        """Return the author name for the credentials, or raise the v4 auth errors."""
        authorization = request.headers.get("Authorization")
        email, key = request.headers.get("X-Auth-Email"), request.headers.get("X-Auth-Key")
        if authorization is not None:
            if authorization != f"Bearer {self.api_token}":
                raise ApiError(403, CODE_AUTH_ERROR, "Authentication error")
            return self.token_owner
        if email and key:
            if email.casefold() != self.email.casefold() or key != self.api_key:
                raise ApiError(403, CODE_AUTH_ERROR, "Authentication error")
            return email
        raise ApiError(400, CODE_MISSING_AUTH, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")

    # ------------------------------------------------------------ operations (lock held)

    # ----------------------------------------------------------------- test helpers

    def add_request(
        self,
        *,
        request_id: str | None = None,
        summary: str = "DoS attack",
        status: str = "open",
        readable_id: str | None = None,
        content: str = "What regions were most effected by the recent DoS?",
        priority: str = "routine",
        request_type: str = "Victomology",
        tlp: str = "clear",
        tokens: int | None = None,
        message_tokens: int | None = None,
        created: datetime | str | None = None,
    ) -> str:
        """Create a request as Cloudflare would hold it; return its id (a uuid4 unless given)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._lock:
            return self._records.new_request(
                request_id=request_id,
                summary=summary,
                status=status,
                readable_id=readable_id,
                content=content,
                priority=priority,
                request_type=request_type,
                tlp=tlp,
                tokens=tokens,
                message_tokens=message_tokens,
                created=created,
            )

    def request(self, request_id: str) -> dict[str, Any]:
        """The request as GET would return it."""
        with self._lock:
            return request_item(self._records.requests[request_id])

    def add_message(
        self,
        request_id: str,
        *,
        author: str = "analyst@cloudflare.com",
        content: str,
        created: datetime | str | None = None,
    ) -> dict[str, Any]:
        """An analyst posts in the console; returns the message as the API would."""
        with self._lock:
            if request_id not in self._records.requests:
                raise KeyError(request_id)
            return wire_message(
                self._records.new_message(request_id, author=author, content=content, created=created)
            )

    def edit_message(self, request_id: str, message_id: int, content: str) -> None:
        with self._lock:
            message = self._records.messages[request_id][message_id]
            message["content"] = content
            message["updated"] = self._records.now()
            self._records.touch(request_id, message["updated"])

    def delete_message(self, request_id: str, message_id: int) -> None:
        with self._lock:
            del self._records.messages[request_id][message_id]
            self._records.touch(request_id, self._records.now())

    def messages(self, request_id: str) -> list[dict[str, Any]]:
        """Copies of the request's messages in created order."""
        with self._lock:
            items = sorted(self._records.messages[request_id].values(), key=lambda m: (m["created"], m["id"]))
            return [wire_message(m) for m in items]

    def remove_request(self, request_id: str) -> None:
        """The request is deleted in Cloudflare's console: every call on it now answers 404."""
        with self._lock:
            del self._records.requests[request_id]
            self._records.messages.pop(request_id, None)

    def set_status(self, request_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._lock:
            found = self._records.requests[request_id]
            found["status"] = status
            found["updated"] = self._records.now()
            if status == "completed":
                found["completed"] = found["updated"]

    def calls_matching(self, method: str, suffix: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == method.upper() and c["path"].endswith(suffix)]
