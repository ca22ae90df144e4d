"""In-memory fake of Huawei Cloud OSM v2 (service tickets): case detail, list and create messages.

Follows the OSM message spec (SDK 3.1.211 models, API reference pages, error-code table):
- Auth as the API gateway checks it: `X-Auth-Token`, or AK/SK signed with SDK-HMAC-SHA256, whose
  signature is recomputed here by the official SDK core's own Signer from the request as received
  (method, raw path, query, signed headers, body). OSM is a global service, so a signed call must
  carry and sign `X-Domain-Id`. Failures answer 401 `OSM.0002` (the spec's HTTP-mapped code).
- Errors are `{error_code, error_msg}`: parameter checks 400 `OSM.0001`; a case the caller cannot see
  answers HTTP 200 with `OSM.01010002` "No operation permission." (business errors come with 200);
  a successful create answers 200 with both fields empty and no message id.
- ListMessages: offset 0..65535, limit 0..100 (anything else 400 `OSM.0001`), `count` is the total;
  messages carry no id. Oldest first unless `newest_first` (the spec does not say). QueryMessageInfoV2
  declares `content` 0..400: `list_content_limit = 400` cuts it there, as a real list may.
- ListNewInstantMessages (GET .../cases/instant-messages?case_ids=a&case_ids=b&last_message_time_id=...): the
  messages of those cases created after the cursor, grouped per case, and the cursor to pass back. The
  cursor's form is this fake's (`<epoch ms>_<seq>`); without one, every message is listed (at most 100
  cases per call, else 400 `OSM.0001`: the doc caps `imstatus` at 100).
- RevokeMessage (POST .../cases/{case_id}/instant-messages/{message_id}/withdraw, the id from
  ShowCaseDetail): the message leaves every list (what Huawei's console shows instead is not documented).
- Times are rendered in the zone of `X-Time-Zone` (GMT+8 when absent, as documented), as
  `time_style` says: "naive" (local time, no offset: the default, the form the official SDK's reader
  expects, appending `Z`), "utc" (`...Z`) or "offset" (RFC 3339 with the zone's offset, which the
  official Python SDK cannot read back).
- `iam_errors`: credentials refused with IAM's nested `{"error": {"code", "message", "title"}}` body.
Choices of this fake, not the spec's: the 15-minute X-Sdk-Date window (Huawei's signing guide),
`APIGW.0101` for an unknown route and `APIGW.0308` + Retry-After for an injected 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from sandbox.base import CallLog, LoopbackFake
from sandbox.faults import Fault, FaultInjection, reset_connection

API = "/v2/servicerequest/cases"
OPS = ("get_request", "list_messages", "create_message", "list_cases", "new_messages", "withdraw")
BATCH_CASES_MAX = 100
# IncidentInfoV2, as ListCases returns each case.
CASE_LIST_FIELDS = ("xcustomer_id", "xcustomer_name", "status", "incident_id", "business_type_name",
                    "incident_type_name", "product_category_name", "incident_service_type", "customer_id", "dc_name",
                    "simple_description", "root_cause", "resolution", "create_time", "confirmed_time", "label_list")
FAULT_KINDS = ("429", "500", "503", "garbage", "reset", "slow", "apply_then_500")
CODE_PARAM = "OSM.0001"
CODE_UNAUTHORIZED = "OSM.0002"
CODE_INTERNAL = "OSM.0004"
CODE_NO_PERMISSION = "OSM.01010002"
SIGNATURE = re.compile(r"SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})")
ZONE = re.compile(r"GMT([+-])(\d{1,2})(?::?(\d{2}))?")
SDK_DATE_WINDOW = timedelta(minutes=15)
DEFAULT_ZONE = "GMT+8"
CALL = web.RequestKey("call", dict)


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error_code": code, "error_msg": message}, status=status, headers=headers)


def _zone(header: str | None) -> timezone:
    match = ZONE.fullmatch(header or DEFAULT_ZONE)
    if match is None:
        raise _ApiError(400, CODE_PARAM, "Failed")
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-offset if sign == "-" else offset)


def _as_time(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class FakeHuawei(LoopbackFake, CallLog, FaultInjection):
    """OSM v2 under ``/v2/servicerequest``; `.base_url` is the endpoint (HUAWEI_ENDPOINT)."""

    OPS = OPS
    FAULT_KINDS = FAULT_KINDS

    def __init__(self, *, ak: str = "test-ak", sk: str = "test-sk", domain_id: str = "test-domain",
                 token: str = "test-iam-token", customer_name: str = "request-bridge") -> None:
        self.ak, self.sk, self.domain_id, self.token = ak, sk, domain_id, token
        self.customer_name = customer_name  # replier_name of messages created through the API
        self.time_style = "naive"
        self.newest_first = False
        self.list_content_limit: int | None = None
        self.iam_errors = False
        self.honour_time_zone = True
        # `type_required`: a create body without `type` (as the SDK and the newer doc page send it) is
        # refused with OSM.0001, as seed 003's older page ("Mandatory: Yes") would have it.
        self.type_required = False
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._lock = threading.Lock()
        self._cases: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._calls: list[dict[str, Any]] = []
        self._init_faults()
        self._app = web.Application(middlewares=[self._record])
        one = API + "/{case_id}"
        # Before `{case_id}`, which would otherwise take "instant-messages" as a case id.
        self._app.router.add_get(API + "/instant-messages", self._new_messages)
        self._app.router.add_post(one + "/instant-messages/{message_id}/withdraw",
                                  self._route("withdraw", self._withdraw))
        self._app.router.add_get(one, self._route("get_request", self._get_case))
        self._app.router.add_get(one + "/messages", self._route("list_messages", self._list_messages))
        self._app.router.add_post(one + "/message", self._route("create_message", self._create_message))
        self._app.router.add_get(API, self._list_cases)

    # ---------------------------------------------------------------- plumbing

    @web.middleware
    async def _record(self, request: web.Request,
                      handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        call = {"method": request.method, "path": request.path, "query": dict(request.query),
                "raw_query": request.query_string, "json": body,
                "body": raw, "headers": dict(request.headers), "injected": None}
        with self._lock:
            self._calls.append(call)
        request[CALL] = call
        try:
            response = await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            response = error_body(404, "APIGW.0101", "The API does not exist")
        if isinstance(response, web.Response) and response.content_type == "application/json" and response.body:
            with self._lock, contextlib.suppress(ValueError):  # an injected garbled answer is no JSON
                call["answer"] = json.loads(response.text or "")  # what was answered, for tests to check
        return response

    def _route(self, op: str, handler: Callable[[web.Request, dict[str, Any]], dict[str, Any]]
               ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            fault = self._take_fault(op, request[CALL])
            if fault is not None and fault.kind not in ("slow", "apply_then_500"):
                return _fault_response(request, fault)
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(fault.delay)  # still applied afterwards: an ambiguous outcome
            try:
                customer = self._authenticate(request)
                zone = self._check_headers(request)
                case_id = request.match_info["case_id"]
                if len(case_id) > 64 or len(request.query.get("group_id", "")) > 64:
                    raise _ApiError(400, CODE_PARAM, "Failed")
                with self._lock:
                    if case_id not in self._cases:
                        raise _ApiError(200, CODE_NO_PERMISSION, "No operation permission.")
                    answer = handler(request, {"case_id": case_id, "customer": customer, "zone": zone})
            except _ApiError as err:
                return self._error(err)
            if fault is not None:  # apply_then_500
                return error_body(500, CODE_INTERNAL, "Internal Server Error")
            return web.json_response(answer)

        return serve

    async def _list_cases(self, request: web.Request) -> web.StreamResponse:
        """ListCases: the account's cases, newest first (the order is this fake's choice), offset/limit paged."""
        fault = self._take_fault("list_cases", request[CALL])
        if fault is not None:
            return _fault_response(request, fault)
        try:
            self._authenticate(request)
            zone = self._check_headers(request)
            offset = _int_param(request, "offset", default=0, high=65535)
            limit = _int_param(request, "limit", default=10, high=100)
            with self._lock:
                cases = sorted(self._cases.values(), key=lambda c: c["create_time"], reverse=True)
                page = [{key: self._render(case[key], zone) if key == "create_time" else copy.deepcopy(case.get(key))
                         for key in CASE_LIST_FIELDS} for case in cases[offset: offset + limit]]
        except _ApiError as err:
            return self._error(err)
        return web.json_response({"total_count": len(cases), "incident_info_list": page})

    async def _new_messages(self, request: web.Request) -> web.StreamResponse:
        """ListNewInstantMessages: what the listed cases got since the cursor, and the next cursor."""
        fault = self._take_fault("new_messages", request[CALL])
        if fault is not None:
            return _fault_response(request, fault)
        try:
            self._authenticate(request)
            zone = self._check_headers(request)
            # The official SDK repeats the key (its core sends every list query parameter "multi"),
            # whatever the operation's CSV collection format says; both forms are taken.
            case_ids = [c for value in request.query.getall("case_ids", []) for c in value.split(",") if c]
            cursor = request.query.get("last_message_time_id")
            if not 1 <= len(case_ids) <= BATCH_CASES_MAX or not (cursor is None or _CURSOR.fullmatch(cursor)):
                raise _ApiError(400, CODE_PARAM, "Failed")
            since = tuple(int(n) for n in cursor.split("_")) if cursor else (-1, -1)
            with self._lock:
                found = [(case_id, m) for case_id in case_ids if case_id in self._cases
                         for m in self._ordered(case_id) if _position(m) > since]
                newest = max((_position(m) for _, m in found), default=since)
                grouped: dict[str, list[dict[str, Any]]] = {}
                for case_id, m in found:
                    grouped.setdefault(case_id, []).append(self._wire(m, zone))
                answer = {
                    "imstatus": [{"incident_id": c, "status": 1} for c in grouped],
                    "immsg": [{"incident_id": c, "message_list": items} for c, items in grouped.items()],
                    "last_message_time_id": cursor if newest == since and cursor else
                    f"{max(newest[0], 0)}_{max(newest[1], 0)}",
                }
        except _ApiError as err:
            return self._error(err)
        return web.json_response(answer)

    def _error(self, err: _ApiError) -> web.Response:
        if self.iam_errors and err.code == CODE_UNAUTHORIZED:
            body = {"error": {"code": "401", "message": "The request you have made requires authentication.",
                              "title": "Unauthorized"}}
            return web.json_response(body, status=401)
        return error_body(err.status, err.code, err.message)

    def _authenticate(self, request: web.Request) -> str:
        """The caller's customer id, or 401 OSM.0002."""
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            self._verify_signature(request, authorization)
            return self.domain_id
        if request.headers.get("X-Auth-Token") == self.token:
            return self.domain_id
        raise _ApiError(401, CODE_UNAUTHORIZED, "Unauthorized")

    def _verify_signature(self, request: web.Request, authorization: str) -> None:
        refused = _ApiError(401, CODE_UNAUTHORIZED, "Unauthorized")
        match = SIGNATURE.fullmatch(authorization)
        if match is None or match.group(1) != self.ak:
            raise refused
        signed = match.group(2).split(";")
        if not {"host", "x-sdk-date", "x-domain-id"} <= set(signed) or any(n not in request.headers for n in signed):
            raise refused
        if request.headers["X-Domain-Id"] != self.domain_id:
            raise refused
        try:
            stamp = datetime.strptime(request.headers["X-Sdk-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise refused from None
        if abs(self._now() - stamp) > SDK_DATE_WINDOW:
            raise refused
        raw_path, _, raw_query = request.raw_path.partition("?")
        expected = SdkRequest(method=request.method, schema="http", host=request.host, resource_path=raw_path,
                              query_params=parse_qsl(raw_query, keep_blank_values=True),
                              header_params={name: request.headers[name] for name in signed},
                              body=request[CALL]["body"])
        Signer(SimpleNamespace(ak=self.ak, sk=self.sk)).sign(expected)
        if not hmac.compare_digest(expected.header_params["Authorization"], authorization):
            raise refused

    def _check_headers(self, request: web.Request) -> timezone:
        site = request.headers.get("X-Site")
        language = request.headers.get("X-Language", "zh-cn")
        zone = request.headers.get("X-Time-Zone", DEFAULT_ZONE)
        if site not in (None, "0", "1") or not 1 <= len(language) <= 32 or not 1 <= len(zone) <= 32:
            raise _ApiError(400, CODE_PARAM, "Failed")
        # `honour_time_zone = False`: a server rendering every time in UTC, as the official SDK reads them.
        return _zone(zone) if self.honour_time_zone else UTC

    # ------------------------------------------------------------- operations (lock held)

    def _get_case(self, request: web.Request, ctx: dict[str, Any]) -> dict[str, Any]:
        case = copy.deepcopy(self._cases[ctx["case_id"]])
        case["create_time"] = self._render(case["create_time"], ctx["zone"])
        case["message_list"] = [
            {key: (self._render(m[key], ctx["zone"]) if key == "create_time" else m[key])
             for key in ("type", "replier", "content", "message_id", "replier_name", "create_time",
                         "is_first_message", "accessory_list")}
            for m in self._ordered(ctx["case_id"])
        ]
        return {"incident_detail_info": case}

    def _list_messages(self, request: web.Request, ctx: dict[str, Any]) -> dict[str, Any]:
        offset = _int_param(request, "offset", default=0, high=65535)
        limit = _int_param(request, "limit", default=10, high=100)
        items = self._ordered(ctx["case_id"])
        if self.newest_first:
            items = items[::-1]
        page = [self._wire(m, ctx["zone"]) for m in items[offset: offset + limit]]
        return {"count": len(items), "message_list": page}

    def _create_message(self, request: web.Request, ctx: dict[str, Any]) -> dict[str, Any]:
        body = request[CALL]["json"]
        message = body.get("message") if isinstance(body, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        accessories = message.get("accessory_ids", []) if isinstance(message, dict) else None
        group_id = body.get("group_id") if isinstance(body, dict) else None
        if self.type_required and not (isinstance(body, dict) and "type" in body):
            raise _ApiError(400, CODE_PARAM, "Failed")
        if not isinstance(content, str) or len(content) > 2000 or not isinstance(accessories, list) \
                or not (group_id is None or (isinstance(group_id, str) and len(group_id) <= 64)):
            raise _ApiError(400, CODE_PARAM, "Failed")
        self._new_message(ctx["case_id"], replier=ctx["customer"], name=self.customer_name, kind=0,
                          content=content, created=None)
        return {"error_code": "", "error_msg": ""}

    def _withdraw(self, request: web.Request, ctx: dict[str, Any]) -> dict[str, Any]:
        message_id = request.match_info["message_id"]
        found = [m for m in self._ordered(ctx["case_id"]) if m["message_id"] == message_id]
        if not found or found[0]["replier"] != ctx["customer"]:
            raise _ApiError(400, CODE_PARAM, "Failed")  # not a message of this caller's on this case
        found[0]["withdrawn"] = True
        return {"error_code": "", "error_msg": ""}

    def _ordered(self, case_id: str) -> list[dict[str, Any]]:
        """The case's messages oldest first, withdrawn ones left out."""
        live = [m for m in self._messages[case_id] if not m.get("withdrawn")]
        return sorted(live, key=lambda m: (m["create_time"], m["seq"]))

    def _new_message(self, case_id: str, *, replier: str, name: str, kind: int, content: str,
                     created: datetime | str | None) -> dict[str, Any]:
        stamp = _as_time(created)
        if stamp is None:
            stamp = self._now()
            taken = {m["create_time"] for m in self._messages[case_id]}
            while stamp in taken:  # back-to-back messages get distinct times
                stamp += timedelta(milliseconds=1)
        message = {"type": kind, "replier_type": kind, "replier": replier, "content": content,
                   "create_time": stamp, "replier_name": name,
                   "is_first_message": 0 if self._messages[case_id] else 1,
                   "iam_user_type": 0, "accessory_list": [], "message_id": uuid.uuid4().hex,
                   "seq": sum(len(v) for v in self._messages.values())}
        self._messages[case_id].append(message)
        return message

    def _now(self) -> datetime:
        """The overridable clock, at millisecond precision (what the wire shows); naive is UTC."""
        now = self.clock()
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def _render(self, value: datetime, zone: timezone) -> str:
        if self.time_style == "utc":
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        local = value.astimezone(zone)
        if self.time_style == "naive":
            return local.strftime("%Y-%m-%d %H:%M:%S")
        return local.isoformat(timespec="milliseconds")

    def _wire(self, message: dict[str, Any], zone: timezone) -> dict[str, Any]:
        """QueryMessageInfoV2: no message id; content cut at `list_content_limit`."""
        wire = {k: v for k, v in message.items() if k not in ("message_id", "seq", "withdrawn")}
        wire["create_time"] = self._render(message["create_time"], zone)
        if self.list_content_limit is not None:
            wire["content"] = wire["content"][: self.list_content_limit]
        return copy.deepcopy(wire)

    # ---------------------------------------------------------------- test helpers

    def add_request(self, *, case_id: str | None = None, title: str = "ECS instance cannot be reached",
                    status: int = 1, created: datetime | str | None = None) -> str:
        """A case as the console holds it; `title` is its simple_description. Returns the case id."""
        with self._lock:
            case_id = case_id or "CS" + uuid.uuid4().hex[:16].upper()
            self._cases[case_id] = {
                "xcustomer_id": None, "xcustomer_name": None, "status": status, "judgement": "",
                "incident_id": case_id, "business_type_name": "Elastic Cloud Server",
                "incident_type_name": "Technical issue", "customer_id": self.domain_id,
                "dc_name": "AP-Singapore", "simple_description": title, "source_name": "Console",
                "create_time": _as_time(created) or self._now(), "incident_satisfaction": [],
                "severity_name": "Normal", "business_ownership": 0, "resolve_time": None, "ext_info": {},
            }
            self._messages[case_id] = []
            return case_id

    def add_message(self, case_id: str, *, author: str = "Huawei engineer name", role: str = "engineer",
                    content: str, created: datetime | str | None = None) -> dict[str, Any]:
        """Someone writes on the case in the console (role "engineer" or "customer"); returns the message."""
        if role not in ("engineer", "customer"):
            raise ValueError(f"unknown role {role!r}")
        with self._lock:
            replier = role + "-" + hashlib.sha256(author.encode()).hexdigest()[:12]
            message = self._new_message(case_id, replier=replier, name=author, kind=1 if role == "engineer" else 0,
                                        content=content, created=created)
            return self._wire(message, UTC)

    def messages(self, case_id: str) -> list[dict[str, Any]]:
        """The case's messages oldest first, as ListMessages shows them (times in UTC)."""
        with self._lock:
            return [self._wire(m, UTC) for m in self._ordered(case_id)]

    def set_status(self, case_id: str, status: int) -> None:
        with self._lock:
            self._cases[case_id]["status"] = status


_CURSOR = re.compile(r"\d+_\d+")


def _position(message: dict[str, Any]) -> tuple[int, int]:
    """Where a message stands in the batch cursor's order: creation instant (ms), then arrival."""
    return int(message["create_time"].timestamp() * 1000), message["seq"]


def _int_param(request: web.Request, name: str, *, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d+", raw) or int(raw) > high:
        raise _ApiError(400, CODE_PARAM, "Failed")
    return int(raw)


def _fault_response(request: web.Request, fault: Fault) -> web.Response:
    if fault.kind == "429":
        return error_body(429, "APIGW.0308", "The throttling threshold has been reached",
                          headers={"Retry-After": str(fault.retry_after)})
    if fault.kind == "500":
        return error_body(500, CODE_INTERNAL, "Internal Server Error")
    if fault.kind == "503":
        return web.Response(status=503, text="<html><body><h1>503 Service Unavailable</h1></body></html>",
                            content_type="text/html")
    if fault.kind == "garbage":
        return web.Response(status=200, text='{"count": 3, "message_list": [{"content": "x"',
                            content_type="application/json")
    reset_connection(request)  # "reset"
