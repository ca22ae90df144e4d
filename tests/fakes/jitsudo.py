"""In-memory fake of JITSudo's access-request messages API (v1), from the rendered OpenAPI 3.0.3 docs.

Served: GET /v1/access/requests/{id} (status with grants), GET and POST /v1/requests/{id}/messages,
GET /v1/requests (listRequests) and /healthz. GET /v1/requests/{id} is not in the captured docs, so it
is served only with ``request_details=True``. Every other endpoint needs X-API-Key or ``Authorization: Bearer`` and an
X-Tenant-ID naming the credential's tenant. Errors are ``{code, message, details?, notices?}``.

This fake's own choices where the docs are silent (named constants below): the status codes and
codes of a missing/invalid tenant header (400 ``invalid_tenant_id``), a malformed path id or query
(400 ``invalid_input``), a policy refusal (403 ``forbidden`` with notices), 429 and 5xx bodies; list
order (oldest first) and the cursor (base64 of the last item's sort key); grant details.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from sandbox.base import CallLog, LoopbackFake
from sandbox.faults import Fault, FaultInjection, reset_connection

TENANT_ID = "6c1f4a52-0d3e-4b7a-9f21-5e8d2c4b7a90"
SERVICE_IDENTITY = "svc-request-bridge"
STATUSES = ("pending", "approved", "denied", "expired", "cancelled")
AUTHOR_TYPES = ("user", "approver", "system", "ai")
LIMIT_DEFAULT, LIMIT_MAX = 50, 250
CODE_UNAUTHENTICATED = "unauthenticated"
CODE_TENANT_MISMATCH = "tenant_mismatch"  # the docs' own code
CODE_NOT_FOUND = "not_found"  # the docs' own code
CODE_INVALID_TENANT = "invalid_tenant_id"
CODE_INVALID_INPUT = "invalid_input"
CODE_FORBIDDEN = "forbidden"
CODE_RATE_LIMITED = "rate_limited"
CODE_INTERNAL = "internal_error"
OPS = ("get_request", "list_messages", "create_message", "list_requests")
FAULT_KINDS = ("429", "500", "503", "garbage", "reset", "slow", "apply_then_500")
CALL = web.RequestKey("call", dict)


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, notices: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.notices = status, code, message, notices


def format_time(value: datetime) -> str:
    """RFC 3339, UTC, microseconds, trailing Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def error(status: int, code: str, message: str, *, notices: list[str] | None = None,
          headers: dict[str, str] | None = None) -> web.Response:
    body = {"code": code, "message": message, **({"notices": notices} if notices is not None else {})}
    return web.json_response(body, status=status, headers=headers)


def _uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value and len(value) == 36 else None
    except ValueError:
        return None


Handler = Callable[[dict[str, Any]], tuple[int, Any]]


class FakeJITSudo(LoopbackFake, CallLog, FaultInjection):
    """One tenant's access requests and their messages."""

    OPS = OPS
    FAULT_KINDS = FAULT_KINDS

    def __init__(self, *, api_key: str = "jit-test-key", bearer_token: str = "jit-test-jwt",
                 tenant_id: str = TENANT_ID, service_identity: str = SERVICE_IDENTITY,
                 request_details: bool = False) -> None:
        self.api_key, self.bearer_token, self.tenant_id = api_key, bearer_token, tenant_id
        self.service_identity = service_identity
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        # What a real list may do that the spec allows: pages shorter than `limit` while `has_more` is
        # true (`page_cap`), and newest first (the spec names no order).
        self.page_cap: int | None = None
        self.newest_first = False
        self._lock = threading.Lock()
        self._requests: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._calls: list[dict[str, Any]] = []
        self._init_faults()
        self._refusals: list[list[str]] = []
        self._app = web.Application(middlewares=[self._record])
        router = self._app.router
        router.add_get("/healthz", _healthz)  # the one endpoint without credential or tenant
        router.add_get("/v1/access/requests/{id}", self._route("get_request", self._get_status))
        if request_details:
            router.add_get("/v1/requests/{id}", self._route("get_request", self._get_request))
        router.add_get("/v1/requests/{id}/messages", self._route("list_messages", self._list_messages))
        router.add_get("/v1/requests", self._route("list_requests", self._list_requests))
        router.add_post("/v1/requests/{id}/messages", self._route("create_message", self._create_message))

    # ----------------------------------------------------------------- serving

    @web.middleware
    async def _record(self, request: web.Request,
                      handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        text = (await request.read()).decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(text) if text else None
        except ValueError:
            body = None
        request[CALL] = call = {"method": request.method, "path": request.path, "query": dict(request.query),
                                "json": body, "body": text, "headers": dict(request.headers), "injected": None}
        with self._lock:
            self._calls.append(call)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return error(404, CODE_NOT_FOUND, "no such route")
        except web.HTTPMethodNotAllowed:
            return error(405, CODE_INVALID_INPUT, "method not allowed")

    def _route(self, op: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            fault = self._take_fault(op, request[CALL])
            if fault is not None and fault.kind not in ("slow", "apply_then_500"):
                return _fault_response(request, fault)
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(fault.delay)  # still applied after the client gave up
            response = self._handle(request, handler)
            if fault is not None and fault.kind == "apply_then_500":
                return error(500, CODE_INTERNAL, "internal error")
            return response

        return serve

    def _handle(self, request: web.Request, handler: Handler) -> web.Response:
        try:
            self._authenticate(request)
            raw_id = request.match_info.get("id")  # listRequests names no request
            request_id = _uuid(raw_id) if raw_id is not None else None
            if raw_id is not None and request_id is None:
                raise _ApiError(400, CODE_INVALID_INPUT, "id: must be a UUID")
            ctx: dict[str, Any] = {"request_id": request_id, "query": request.query, "body": None}
            if request.method == "POST":
                ctx["body"] = _json_object(request[CALL]["body"])
            with self._lock:
                status, body = handler(ctx)
            return web.json_response(body, status=status)
        except _ApiError as err:
            return error(err.status, err.code, err.message, notices=err.notices)

    def _authenticate(self, request: web.Request) -> None:
        """Credential first (401), then the tenant header (400 when absent or not a UUID, 403 mismatch)."""
        key, authorization = request.headers.get("X-API-Key"), request.headers.get("Authorization")
        if key is not None:
            if key != self.api_key:
                raise _ApiError(401, CODE_UNAUTHENTICATED, "invalid API key")
        elif authorization is not None:
            if authorization != f"Bearer {self.bearer_token}":
                raise _ApiError(401, CODE_UNAUTHENTICATED, "invalid bearer token")
        else:
            raise _ApiError(401, CODE_UNAUTHENTICATED, "missing credential: X-API-Key or Authorization: Bearer")
        tenant = _uuid(request.headers.get("X-Tenant-ID"))
        if tenant is None:
            raise _ApiError(400, CODE_INVALID_TENANT, "X-Tenant-ID header is required and must be a UUID")
        if tenant != _uuid(self.tenant_id):
            raise _ApiError(403, CODE_TENANT_MISMATCH, "credential does not belong to the specified tenant")

    # ------------------------------------------------------------ operations (lock held)

    def _get_status(self, ctx: dict[str, Any]) -> tuple[int, Any]:
        found = self._request(ctx["request_id"])
        return 200, {"id": found["id"], "status": found["status"], "grants": copy.deepcopy(found["grants"])}

    def _get_request(self, ctx: dict[str, Any]) -> tuple[int, Any]:
        found = self._request(ctx["request_id"])
        return 200, {k: copy.deepcopy(v) for k, v in found.items() if k != "grants"}

    def _list_messages(self, ctx: dict[str, Any]) -> tuple[int, Any]:
        self._request(ctx["request_id"])
        query = ctx["query"]
        raw_limit = query.get("limit", str(LIMIT_DEFAULT))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= LIMIT_MAX:
            raise _ApiError(400, CODE_INVALID_INPUT, f"limit: must be an integer from 1 to {LIMIT_MAX}")
        items = sorted(self._messages[ctx["request_id"]], key=lambda m: (m["created_at"], m["id"]),
                       reverse=self.newest_first)
        if "cursor" in query:
            last = _decode_cursor(query["cursor"])
            items = [m for m in items if ((m["created_at"], m["id"]) < last if self.newest_first
                                          else (m["created_at"], m["id"]) > last)]
        size = min(int(raw_limit), self.page_cap or LIMIT_MAX)
        page, rest = items[:size], items[size:]
        next_cursor = _encode_cursor(page[-1]) if rest else None
        return 200, {"data": [_wire(m) for m in page], "next_cursor": next_cursor, "has_more": bool(rest)}

    def _list_requests(self, ctx: dict[str, Any]) -> tuple[int, Any]:
        """listRequests: the tenant's requests in creation order, `status` filter, cursor paging."""
        query = ctx["query"]
        raw_limit = query.get("limit", str(LIMIT_DEFAULT))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= LIMIT_MAX:
            raise _ApiError(400, CODE_INVALID_INPUT, f"limit: must be an integer from 1 to {LIMIT_MAX}")
        items = [r for r in self._requests.values() if query.get("status") in (None, r["status"])]
        if "cursor" in query:
            ids = [r["id"] for r in items]
            try:
                after = json.loads(base64.urlsafe_b64decode(query["cursor"].encode()))
                items = items[ids.index(after) + 1:]
            except (ValueError, TypeError):
                raise _ApiError(400, CODE_INVALID_INPUT, "cursor: not a cursor from this API") from None
        page, rest = items[: int(raw_limit)], items[int(raw_limit):]
        next_cursor = base64.urlsafe_b64encode(json.dumps(page[-1]["id"]).encode()).decode() if rest else None
        data = [{k: copy.deepcopy(v) for k, v in r.items() if k != "grants"} for r in page]
        return 200, {"data": data, "next_cursor": next_cursor, "has_more": bool(rest)}

    def _create_message(self, ctx: dict[str, Any]) -> tuple[int, Any]:
        self._request(ctx["request_id"])
        body = ctx["body"]
        if not isinstance(body.get("content"), str):
            raise _ApiError(400, CODE_INVALID_INPUT, "content: required string")
        metadata = body.get("metadata", {})
        if not isinstance(metadata, dict):
            raise _ApiError(400, CODE_INVALID_INPUT, "metadata: must be an object")
        if self._refusals:
            raise _ApiError(403, CODE_FORBIDDEN, "denied by policy", notices=self._refusals.pop(0))
        message = self._new_message(ctx["request_id"], author_type="user", author_id=self.service_identity,
                                    content=body["content"], metadata=metadata, created=None)
        return 201, _wire(message)

    def _request(self, request_id: str) -> dict[str, Any]:
        found = self._requests.get(request_id)
        if found is None:
            raise _ApiError(404, CODE_NOT_FOUND, f"access request {request_id} not found")
        return found

    def _new_message(self, request_id: str, *, author_type: str, author_id: str, content: str,
                     metadata: dict[str, Any], created: datetime | None) -> dict[str, Any]:
        messages = self._messages[request_id]
        stamp = created or _utc(self.clock())
        if created is None and messages and stamp <= messages[-1]["created_at"]:
            stamp = messages[-1]["created_at"] + timedelta(microseconds=1)  # no two share created_at
        message = {"id": str(uuid.uuid4()), "request_id": request_id, "author_type": author_type,
                   "author_id": author_id, "content": content, "metadata": copy.deepcopy(metadata),
                   "created_at": stamp}
        messages.append(message)
        messages.sort(key=lambda m: (m["created_at"], m["id"]))
        return message

    # ----------------------------------------------------------------- test helpers

    def add_request(self, *, request_id: str | None = None, status: str = "pending",
                    resource: dict[str, str] | None = None, action: str = "ReadOnlyAccess",
                    reason: str | None = "Investigate the failed deploy",
                    requester_id: str = "alice@example.com") -> str:
        """Create an access request as JITSudo would hold it; return its id (a uuid4 unless given)."""
        request_id = _uuid(request_id) if request_id else str(uuid.uuid4())
        if request_id is None:
            raise ValueError("request_id must be a UUID")
        with self._lock:
            if request_id in self._requests:
                raise ValueError(f"request {request_id} exists")
            self._requests[request_id] = {
                "id": request_id, "requester_id": requester_id,
                "resource": resource or {"type": "aws_account", "id": "123456789012"},
                "action": action, "reason": reason, "status": "pending", "decision_reasoning": None,
                "decided_by": None, "approval_mode": "require", "break_glass": False,
                "duration_seconds": 3600, "metadata": {}, "grants": [],
            }
            self._messages[request_id] = []
            self._set_status(request_id, status)
        return request_id

    def set_status(self, request_id: str, status: str) -> None:
        with self._lock:
            self._set_status(request_id, status)

    def _set_status(self, request_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        found = self._requests[request_id]
        found["status"] = status
        if status == "approved" and not found["grants"]:  # grant details are this fake's guess
            now = _utc(self.clock())
            expires = now + timedelta(seconds=found["duration_seconds"])
            found["grants"] = [{"id": str(uuid.uuid4()), "name": found["action"], "status": "active", "approved": True,
                                "activated_at": format_time(now), "expires_at": format_time(expires),
                                "provisioning_status": "provisioned"}]
        for grant in found["grants"] if status == "expired" else []:
            grant["status"] = "expired"

    def add_message(self, request_id: str, *, author: str = "approver@example.com", role: str = "approver",
                    content: str, created: datetime | str | None = None,
                    metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Someone writes on the request in JITSudo (``role`` is the author_type); returns it as listed."""
        if role not in AUTHOR_TYPES:
            raise ValueError(f"unknown author type {role!r}")
        stamp = datetime.fromisoformat(created.replace("Z", "+00:00")) if isinstance(created, str) else created
        with self._lock:
            if request_id not in self._requests:
                raise KeyError(request_id)
            return _wire(self._new_message(request_id, author_type=role, author_id=author, content=content,
                                           metadata=metadata or {}, created=_utc(stamp) if stamp else None))

    def messages(self, request_id: str) -> list[dict[str, Any]]:
        """The request's messages as listed, oldest first."""
        with self._lock:
            return [_wire(m) for m in self._messages[request_id]]

    def remove_request(self, request_id: str) -> None:
        """Every call on the request now answers 404."""
        with self._lock:
            del self._requests[request_id]
            del self._messages[request_id]

    def policy_refuse_next(self, notices: list[str]) -> None:
        """The next create is refused by a Cedar policy: 403 with these notices."""
        with self._lock:
            self._refusals.append(list(notices))


# --------------------------------------------------------------------- helpers


def _fault_response(request: web.Request, fault: Fault) -> web.Response:
    if fault.kind == "429":
        return error(429, CODE_RATE_LIMITED, "too many requests", headers={"Retry-After": str(fault.retry_after)})
    if fault.kind == "500":
        return error(500, CODE_INTERNAL, "internal error")
    if fault.kind == "503":
        return web.Response(status=503, text="Service Unavailable", content_type="text/plain")
    if fault.kind == "garbage":
        return web.Response(status=200, text='{"data": [{"id": "', content_type="application/json")
    reset_connection(request)  # "reset"


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _json_object(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        raise _ApiError(400, CODE_INVALID_INPUT, "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _ApiError(400, CODE_INVALID_INPUT, "body must be a JSON object")
    return body


def _encode_cursor(message: dict[str, Any]) -> str:
    key = json.dumps([format_time(message["created_at"]), message["id"]])
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, message_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return _utc(datetime.fromisoformat(stamp.replace("Z", "+00:00"))), str(message_id)
    except (ValueError, TypeError, AttributeError):
        raise _ApiError(400, CODE_INVALID_INPUT, "cursor: not a cursor from this API") from None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _wire(message: dict[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(message), "created_at": format_time(message["created_at"])}
