"""In-memory fake of the Cloudflare Cloudforce One request + request-message API (client/v4).

Follows the 2026-07-27 OpenAPI extract (path params account_id, request_id, message_id) and the
standard v4 envelope from Cloudflare's common.yaml: errors are an array of {code, message} even
though the per-API failure schema declares an object (a known spec quirk).

Error codes 1001-1500 are this fake's own choice (named constants below); the spec fixes only
``minimum: 1000``. Tests read state from their own thread while aiohttp serves from a loop thread,
so all state sits behind one lock.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from sandbox.base import CallLog, LoopbackFake
from sandbox.faults import Fault, FaultInjection, reset_connection
from sandbox.rate_limit import WindowLimit

API_PREFIX = "/client/v4"
REQUESTS_PATH = API_PREFIX + "/accounts/{account_id}/cloudforce-one/requests"

# Cloudflare's own codes.
CODE_RATE_LIMITED = 971  # real 429 body; below the spec's minimum of 1000, as Cloudflare really sends it
CODE_NO_ROUTE = 7003  # common.yaml example: "No route for the URI"
CODE_METHOD_NOT_ALLOWED = 7001
CODE_MISSING_AUTH = 9106
CODE_AUTH_ERROR = 10000
# This fake's choices (>= 1000, as the spec requires).
CODE_INVALID_ACCOUNT_ID = 1001
CODE_INVALID_REQUEST_ID = 1002
CODE_INVALID_MESSAGE_ID = 1003
CODE_INVALID_JSON = 1004
CODE_INVALID_FIELD = 1005
CODE_REQUEST_NOT_FOUND = 1100
CODE_MESSAGE_NOT_FOUND = 1101
CODE_INTERNAL_ERROR = 1500

ACCOUNT_ID_MAX = 32  # common.yaml identifier maxLength
REQUEST_ID_MAX = 36  # common.yaml uuid maxLength
PRIORITIES = ("routine", "high", "urgent")
TLPS = ("clear", "amber", "amber-strict", "green", "red")
STATUSES = ("open", "accepted", "reported", "approved", "completed", "declined")
MESSAGE_SORT_FIELDS = ("created", "updated", "id")  # the Message fields that order meaningfully
REQUEST_SORT_FIELDS = (
    "created",
    "updated",
    "completed",
    "id",
    "readable_id",
    "priority",
    "status",
    "summary",
    "tlp",
)
OPS = (
    "get_request",
    "list_requests",
    "create_request",
    "request_types",
    "request_constants",
    "list_messages",
    "create_message",
    "update_message",
    "delete_message",
)
FAULT_KINDS = ("429", "500", "502", "503", "garbage", "reset", "slow", "apply_then_500")


class _ApiError(Exception):
    """Becomes a v4 failure envelope."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def format_time(value: datetime) -> str:
    """RFC 3339, UTC, microseconds, trailing Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})")


def parse_time(value: str) -> datetime:
    """Parse a strict RFC 3339 date-time (offset required).

    datetime.fromisoformat alone is too lenient: it takes the spec's own malformed example
    "2022-01-01T00:00:Z", which a real server would reject.
    """
    match = RFC3339.fullmatch(value)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    base, fraction, offset = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]  # finer than microseconds is truncated
    return datetime.fromisoformat(f"{base}.{micros}{'+00:00' if offset in 'Zz' else offset}")


def envelope(result: Any = None, *, with_result: bool = True) -> dict[str, Any]:
    """Success envelope; Delete has no ``result`` member."""
    body: dict[str, Any] = {"errors": [], "messages": [], "success": True}
    if with_result:
        body["result"] = result
    return body


def failure(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """Standard v4 failure envelope (errors as an array)."""
    body = {"errors": [{"code": code, "message": message}], "messages": [], "success": False, "result": None}
    return web.json_response(body, status=status, headers=headers)


Handler = Callable[[dict[str, Any]], dict[str, Any]]
CALL = web.RequestKey("call", dict)  # the recorded call, so handlers can mark it injected


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
        self._requests: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, dict[int, dict[str, Any]]] = {}
        self._next_message_id = 1
        self._next_readable = 1
        self._calls: list[dict[str, Any]] = []
        # What GET .../requests/types lists: the spec's example, until a test sets its own.
        self.request_types: list[str] = ["Indicators of Compromise", "Victomology"]
        self._init_faults()
        # Off unless set_rate_limit() is called; then enforced as Cloudflare documents it.
        self.rate_limit: WindowLimit | None = None
        # Whether a message written, edited or deleted moves its request's `updated` ("Request last updated
        # time"). The spec does not say; off, the request list sorted by `updated` shows no conversation's
        # activity, and the bridge must do as well without that hint (bot/bridge/hints.py).
        self.messages_touch_request = False
        self._app = self._build_app()

    # ----------------------------------------------------------------- wiring

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._record_middleware, self._rate_limit_middleware])
        base, one = REQUESTS_PATH, REQUESTS_PATH + "/{request_id}"
        app.router.add_post(base, self._route("list_requests", self._list_requests))
        app.router.add_post(base + "/new", self._route("create_request", self._create_request))
        # Before `{request_id}`, which would otherwise take "types" and "constants" as ids.
        app.router.add_get(base + "/types", self._route("request_types", self._request_types))
        app.router.add_get(base + "/constants", self._route("request_constants", self._request_constants))
        app.router.add_get(one, self._route("get_request", self._get_request))
        app.router.add_post(one + "/message", self._route("list_messages", self._list_messages))
        app.router.add_post(one + "/message/new", self._route("create_message", self._create_message))
        app.router.add_put(one + "/message/{message_id}", self._route("update_message", self._update_message))
        app.router.add_delete(
            one + "/message/{message_id}", self._route("delete_message", self._delete_message)
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
            return await handler(request)
        except web.HTTPNotFound:
            return failure(404, CODE_NO_ROUTE, "No route for the URI")
        except web.HTTPMethodNotAllowed:
            return failure(405, CODE_METHOD_NOT_ALLOWED, "Method not allowed")

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
            fault = self._take_fault(op, request[CALL])
            kind = fault.kind if fault else None
            if fault is not None and kind not in ("slow", "apply_then_500"):
                return _fault_response(request, fault)
            if fault is not None and kind == "slow":
                # aiohttp does not cancel handlers when the client gives up, so the operation is
                # still applied after the delay: a client timeout is an ambiguous outcome too.
                await asyncio.sleep(fault.delay)
            response = self._handle(request, handler)
            if kind == "apply_then_500":
                return failure(500, CODE_INTERNAL_ERROR, "Internal server error")
            return response

        return serve

    def _handle(self, request: web.Request, handler: Handler) -> web.Response:
        try:
            author = self._authenticate(request)
            account_id = request.match_info["account_id"]
            if len(account_id) > ACCOUNT_ID_MAX:
                raise _ApiError(
                    400, CODE_INVALID_ACCOUNT_ID, f"account_id: must be at most {ACCOUNT_ID_MAX} characters"
                )
            if account_id != self.account_id:
                raise _ApiError(403, CODE_AUTH_ERROR, "Authentication error")
            request_id = request.match_info.get("request_id")
            if request_id is not None and len(request_id) > REQUEST_ID_MAX:
                raise _ApiError(
                    400, CODE_INVALID_REQUEST_ID, f"request_id: must be at most {REQUEST_ID_MAX} characters"
                )
            message_id = request.match_info.get("message_id")
            if message_id is not None and not re.fullmatch(r"\d+", message_id):
                raise _ApiError(400, CODE_INVALID_MESSAGE_ID, "message_id: must be an integer")
            body: dict[str, Any] = {}
            if request.method in ("POST", "PUT"):
                body = _json_object(request[CALL]["body"])
            ctx: dict[str, Any] = {"author": author, "request_id": request_id, "body": body}
            if message_id is not None:
                ctx["message_id"] = int(message_id)
            with self._lock:
                return web.json_response(handler(ctx))
        except _ApiError as err:
            return failure(err.status, err.code, err.message)

    def _authenticate(self, request: web.Request) -> str:
        """Return the author name for the credentials, or raise the v4 auth errors."""
        authorization = request.headers.get("Authorization")
        email, key = request.headers.get("X-Auth-Email"), request.headers.get("X-Auth-Key")
        if authorization is not None:
            if authorization != f"Bearer {self.api_token}":
                raise _ApiError(403, CODE_AUTH_ERROR, "Authentication error")
            return self.token_owner
        if email and key:
            if email.casefold() != self.email.casefold() or key != self.api_key:
                raise _ApiError(403, CODE_AUTH_ERROR, "Authentication error")
            return email
        raise _ApiError(400, CODE_MISSING_AUTH, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")

    # ------------------------------------------------------------ operations (lock held)

    def _list_requests(self, ctx: dict[str, Any]) -> dict[str, Any]:
        body = ctx["body"]
        page, per_page = _paging(body)
        items = list(self._requests.values())
        for field in ("status", "request_type"):
            if field in body:
                key = "request" if field == "request_type" else field
                items = [r for r in items if r.get(key) == body[field]]
        for field in ("created", "completed"):
            after, before = _time_field(body, f"{field}_after"), _time_field(body, f"{field}_before")
            if after is not None:
                items = [r for r in items if r.get(field) is not None and r[field] > after]
            if before is not None:
                items = [r for r in items if r.get(field) is not None and r[field] < before]
        sort_by, reverse = body.get("sort_by", "created"), _sort_order(body)
        if sort_by not in REQUEST_SORT_FIELDS:
            raise _ApiError(
                400, CODE_INVALID_FIELD, f"sort_by: must be one of {', '.join(REQUEST_SORT_FIELDS)}"
            )
        # Unset values (e.g. `completed` of open requests) go last in either order.
        present = [r for r in items if r[sort_by] is not None]
        present.sort(key=lambda r: (r[sort_by], r["created"]), reverse=reverse)
        items = present + [r for r in items if r[sort_by] is None]
        start = (page - 1) * per_page
        listed = [_request_list_item(r) for r in items[start : start + per_page]]
        return envelope(listed)

    def _create_request(self, ctx: dict[str, Any]) -> dict[str, Any]:
        body = ctx["body"]
        for field in ("content", "priority", "request_type", "summary", "tlp"):
            if field in body and not isinstance(body[field], str):
                raise _ApiError(400, CODE_INVALID_FIELD, f"{field}: must be a string")
        _check_enum(body, "priority", PRIORITIES)
        _check_enum(body, "tlp", TLPS)
        # "If one is not provided, a default will be assigned."
        request_id = self._new_request(
            request_id=None,
            summary=body.get("summary", ""),
            content=body.get("content", ""),
            priority=body.get("priority", "routine"),
            request_type=body.get("request_type", ""),
            tlp=body.get("tlp", "clear"),
            status="open",
            readable_id=None,
            created=None,
        )
        return envelope(_request_item(self._requests[request_id]))

    def _request_types(self, ctx: dict[str, Any]) -> dict[str, Any]:
        return envelope(list(self.request_types))

    def _request_constants(self, ctx: dict[str, Any]) -> dict[str, Any]:
        # The spec's examples, in its order (which is not the order of the tlp enum).
        return envelope({"priority": list(PRIORITIES), "status": list(STATUSES),
                         "tlp": ["clear", "green", "amber", "amber-strict", "red"]})

    def _get_request(self, ctx: dict[str, Any]) -> dict[str, Any]:
        return envelope(_request_item(self._request(ctx["request_id"])))

    def _list_messages(self, ctx: dict[str, Any]) -> dict[str, Any]:
        body = ctx["body"]
        self._request(ctx["request_id"])
        page, per_page = _paging(body)
        after, before = _time_field(body, "after"), _time_field(body, "before")
        sort_by = body.get("sort_by", "created")
        if sort_by not in MESSAGE_SORT_FIELDS:
            raise _ApiError(
                400, CODE_INVALID_FIELD, f"sort_by: must be one of {', '.join(MESSAGE_SORT_FIELDS)}"
            )
        items = list(self._messages[ctx["request_id"]].values())
        if after is not None:
            items = [m for m in items if m["created"] > after]
        if before is not None:
            items = [m for m in items if m["created"] < before]
        items.sort(key=lambda m: (m[sort_by], m["id"]), reverse=_sort_order(body))
        start = (page - 1) * per_page
        # No result_info: the spec defines none, so callers page until fewer than per_page return.
        return envelope([_wire_message(m) for m in items[start : start + per_page]])

    def _create_message(self, ctx: dict[str, Any]) -> dict[str, Any]:
        self._request(ctx["request_id"])
        content = _content(ctx["body"])
        message = self._new_message(
            ctx["request_id"], author=ctx["author"], content=content or "", created=None
        )
        return envelope(_wire_message(message))

    def _update_message(self, ctx: dict[str, Any]) -> dict[str, Any]:
        message = self._message(ctx["request_id"], ctx["message_id"])
        content = _content(ctx["body"])
        if content is not None:  # content is optional in request-message-edit
            message["content"] = content
        message["updated"] = self._now()
        self._touch(ctx["request_id"], message["updated"])
        return envelope(_wire_message(message))

    def _delete_message(self, ctx: dict[str, Any]) -> dict[str, Any]:
        self._message(ctx["request_id"], ctx["message_id"])
        del self._messages[ctx["request_id"]][ctx["message_id"]]
        self._touch(ctx["request_id"], self._now())
        return envelope(with_result=False)

    def _touch(self, request_id: str, when: datetime) -> None:
        """A conversation moved: its request's `updated` follows, if this fake is set to (lock held)."""
        found = self._requests.get(request_id)
        if self.messages_touch_request and found is not None and when > found["updated"]:
            found["updated"] = when

    def _request(self, request_id: str) -> dict[str, Any]:
        found = self._requests.get(request_id)
        if found is None:
            raise _ApiError(404, CODE_REQUEST_NOT_FOUND, f"Request {request_id} not found")
        return found

    def _message(self, request_id: str, message_id: int) -> dict[str, Any]:
        self._request(request_id)
        found = self._messages[request_id].get(message_id)
        if found is None:
            raise _ApiError(404, CODE_MESSAGE_NOT_FOUND, f"Message {message_id} not found")
        return found

    def _now(self) -> datetime:
        """The overridable clock; a naive datetime is taken as UTC."""
        return _utc(self.clock())

    def _new_request(self, *, request_id: str | None, created: datetime | str | None, **fields: Any) -> str:
        request_id = request_id or str(uuid.uuid4())
        if request_id in self._requests:
            raise ValueError(f"request {request_id} exists")
        now = _as_time(created) or self._now()
        readable_id = fields.pop("readable_id") or f"RFI-{now.year}-{self._next_readable:06d}"
        self._next_readable += 1
        self._requests[request_id] = {
            "id": request_id,
            "readable_id": readable_id,
            "created": now,
            "updated": now,
            "content": fields["content"],
            # request-item types priority as `time` (spec quirk); request-edit and the list item
            # use the routine/high/urgent string, which is what we store.
            "priority": fields["priority"],
            "request": fields["request_type"],
            "summary": fields["summary"],
            "tlp": fields["tlp"],
            "status": fields["status"],
            "tokens": fields.get("tokens"),
            "message_tokens": fields.get("message_tokens"),
            "completed": now if fields["status"] == "completed" else None,
        }
        self._messages[request_id] = {}
        return request_id

    def _new_message(
        self, request_id: str, *, author: str, content: str, created: datetime | str | None
    ) -> dict[str, Any]:
        stamp = _as_time(created)
        if stamp is None:
            stamp = self._now()
            taken = {m["created"] for m in self._messages[request_id].values()}
            while stamp in taken:  # back-to-back messages must not share `created`
                stamp += timedelta(microseconds=1)
        message: dict[str, Any] = {
            "id": self._next_message_id,
            "author": author,
            "content": content,
            "is_follow_on_request": False,
            "created": stamp,
            "updated": stamp,
        }
        self._next_message_id += 1
        self._messages[request_id][message["id"]] = message
        self._touch(request_id, stamp)
        return message

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
            return self._new_request(
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
            return _request_item(self._requests[request_id])

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
            if request_id not in self._requests:
                raise KeyError(request_id)
            return _wire_message(
                self._new_message(request_id, author=author, content=content, created=created)
            )

    def edit_message(self, request_id: str, message_id: int, content: str) -> None:
        with self._lock:
            message = self._messages[request_id][message_id]
            message["content"] = content
            message["updated"] = self._now()
            self._touch(request_id, message["updated"])

    def delete_message(self, request_id: str, message_id: int) -> None:
        with self._lock:
            del self._messages[request_id][message_id]
            self._touch(request_id, self._now())

    def messages(self, request_id: str) -> list[dict[str, Any]]:
        """Copies of the request's messages in created order."""
        with self._lock:
            items = sorted(self._messages[request_id].values(), key=lambda m: (m["created"], m["id"]))
            return [_wire_message(m) for m in items]

    def remove_request(self, request_id: str) -> None:
        """The request is deleted in Cloudflare's console: every call on it now answers 404."""
        with self._lock:
            del self._requests[request_id]
            self._messages.pop(request_id, None)

    def set_status(self, request_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._lock:
            found = self._requests[request_id]
            found["status"] = status
            found["updated"] = self._now()
            if status == "completed":
                found["completed"] = found["updated"]

    def calls_matching(self, method: str, suffix: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == method.upper() and c["path"].endswith(suffix)]


# --------------------------------------------------------------------- helpers


def _fault_response(request: web.Request, fault: Fault) -> web.Response:
    if fault.kind == "429":
        return failure(
            429,
            CODE_RATE_LIMITED,
            "Please wait and consider throttling your request speed",
            headers={"Retry-After": str(fault.retry_after)},
        )
    if fault.kind == "500":
        return failure(500, CODE_INTERNAL_ERROR, "Internal server error")
    if fault.kind in ("502", "503"):
        # Gateway errors come from Cloudflare's edge as an HTML page, not the API envelope.
        title = "502 Bad Gateway" if fault.kind == "502" else "503 Service Temporarily Unavailable"
        html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return web.Response(status=int(fault.kind), text=html, content_type="text/html")
    if fault.kind == "garbage":
        return web.Response(
            status=200,
            text='{"errors": [], "messages": [], "success": true, "result": {"id": 1',
            content_type="application/json",
        )
    reset_connection(request)  # "reset"


def _json_object(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        raise _ApiError(400, CODE_INVALID_JSON, "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _ApiError(400, CODE_INVALID_JSON, "Request body must be a JSON object")
    return body


def _int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _ApiError(400, CODE_INVALID_FIELD, f"{name}: required integer")
    return value


def _paging(body: dict[str, Any]) -> tuple[int, int]:
    page, per_page = _int_field(body, "page"), _int_field(body, "per_page")
    if page < 0 or per_page < 1:
        raise _ApiError(400, CODE_INVALID_FIELD, "page must be >= 0 and per_page >= 1")
    # Decision: pages are 1-based and page 0 means page 1. The spec does not define the base; this
    # is the Cloudflare v4 convention, and the seed's own example sends page 0.
    return max(page, 1), per_page


def _sort_order(body: dict[str, Any]) -> bool:
    """True for descending."""
    order = body.get("sort_order", "asc")
    if order not in ("asc", "desc"):
        raise _ApiError(400, CODE_INVALID_FIELD, "sort_order: must be asc or desc")
    return order == "desc"


def _time_field(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(name)
        return parse_time(value)
    except ValueError:
        raise _ApiError(400, CODE_INVALID_FIELD, f"{name}: must be an RFC 3339 date-time") from None


def _check_enum(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    if name in body and body[name] not in allowed:
        raise _ApiError(400, CODE_INVALID_FIELD, f"{name}: must be one of {', '.join(allowed)}")


def _content(body: dict[str, Any]) -> str | None:
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise _ApiError(400, CODE_INVALID_FIELD, "content: must be a string")
    return content


def _as_time(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    return _utc(value) if isinstance(value, datetime) else parse_time(value)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _wire_message(message: dict[str, Any]) -> dict[str, Any]:
    return {**message, "created": format_time(message["created"]), "updated": format_time(message["updated"])}


def _request_item(found: dict[str, Any]) -> dict[str, Any]:
    """Request Item; optional members only when set."""
    item = {k: v for k, v in found.items() if v is not None}
    for key in ("created", "updated", "completed"):
        if key in item:
            item[key] = format_time(item[key])
    return item


def _request_list_item(found: dict[str, Any]) -> dict[str, Any]:
    """Request List Item: as the item, without content."""
    item = _request_item(found)
    item.pop("content", None)
    return item
