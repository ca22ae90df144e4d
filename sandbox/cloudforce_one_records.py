"""The Cloudforce One fake's records: requests and their messages, and the API operations on them.

Each operation takes the call's context (author, request_id, message_id, body) and returns the v4
envelope; sandbox/cloudforce_one.py routes calls here with its lock held.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sandbox.cloudforce_one_checks import check_enum, content_field, int_field, paging, sort_order, time_field
from sandbox.cloudforce_one_wire import (
    CODE_INVALID_FIELD,
    CODE_MESSAGE_NOT_FOUND,
    CODE_REQUEST_NOT_FOUND,
    MESSAGE_SORT_FIELDS,
    PRIORITIES,
    REQUEST_SORT_FIELDS,
    STATUSES,
    TLPS,
    ApiError,
    as_time,
    envelope,
    request_item,
    request_list_item,
    utc,
    wire_message,
)


@dataclass
class Listing:
    """How the message list pages, where the spec leaves it open. `page_base` 1 is Cloudflare's v4
    convention (page 0 read as page 1); 0 makes page 0 the first and page 1 the second. `ignore_page`
    answers every page with the first; `ignore_after` lists messages from the start whatever `after` says."""

    page_base: int = 1
    ignore_page: bool = False
    ignore_after: bool = False


class Records:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.requests: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[int, dict[str, Any]]] = {}
        self._next_message_id = 1
        self._next_readable = 1
        # What GET .../requests/types lists: the spec's example, until a test sets its own.
        self.request_types: list[str] = ["Indicators of Compromise", "Victomology"]
        # Whether a message written, edited or deleted moves its request's `updated` ("Request last updated
        # time"). The spec does not say; off, the request list sorted by `updated` shows no conversation's
        # activity, and the bridge must do as well without that hint (bot/bridge/hints.py).
        self.messages_touch_request = False
        self.listing = Listing()

    def list_requests(self, ctx: dict[str, Any]) -> dict[str, Any]:
        body = ctx["body"]
        page, per_page = paging(body)
        items = list(self.requests.values())
        for field in ("status", "request_type"):
            if field in body:
                key = "request" if field == "request_type" else field
                items = [r for r in items if r.get(key) == body[field]]
        for field in ("created", "completed"):
            after, before = time_field(body, f"{field}_after"), time_field(body, f"{field}_before")
            if after is not None:
                items = [r for r in items if r.get(field) is not None and r[field] > after]
            if before is not None:
                items = [r for r in items if r.get(field) is not None and r[field] < before]
        sort_by, reverse = body.get("sort_by", "created"), sort_order(body)
        if sort_by not in REQUEST_SORT_FIELDS:
            raise ApiError(
                400, CODE_INVALID_FIELD, f"sort_by: must be one of {', '.join(REQUEST_SORT_FIELDS)}"
            )
        # Unset values (e.g. `completed` of open requests) go last in either order.
        present = [r for r in items if r[sort_by] is not None]
        present.sort(key=lambda r: (r[sort_by], r["created"]), reverse=reverse)
        items = present + [r for r in items if r[sort_by] is None]
        start = (page - 1) * per_page
        listed = [request_list_item(r) for r in items[start : start + per_page]]
        return envelope(listed)

    def create_request(self, ctx: dict[str, Any]) -> dict[str, Any]:
        body = ctx["body"]
        for field in ("content", "priority", "request_type", "summary", "tlp"):
            if field in body and not isinstance(body[field], str):
                raise ApiError(400, CODE_INVALID_FIELD, f"{field}: must be a string")
        check_enum(body, "priority", PRIORITIES)
        check_enum(body, "tlp", TLPS)
        # "If one is not provided, a default will be assigned."
        request_id = self.new_request(
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
        return envelope(request_item(self.requests[request_id]))

    def list_request_types(self, ctx: dict[str, Any]) -> dict[str, Any]:
        return envelope(list(self.request_types))

    def request_constants(self, ctx: dict[str, Any]) -> dict[str, Any]:
        # The spec's examples, in its order (which is not the order of the tlp enum).
        return envelope({"priority": list(PRIORITIES), "status": list(STATUSES),
                         "tlp": ["clear", "green", "amber", "amber-strict", "red"]})

    def get_request(self, ctx: dict[str, Any]) -> dict[str, Any]:
        return envelope(request_item(self.request(ctx["request_id"])))

    def list_messages(self, ctx: dict[str, Any]) -> dict[str, Any]:
        body = ctx["body"]
        self.request(ctx["request_id"])
        page, per_page = paging(body)
        after, before = time_field(body, "after"), time_field(body, "before")
        sort_by = body.get("sort_by", "created")
        if sort_by not in MESSAGE_SORT_FIELDS:
            raise ApiError(
                400, CODE_INVALID_FIELD, f"sort_by: must be one of {', '.join(MESSAGE_SORT_FIELDS)}"
            )
        items = list(self.messages[ctx["request_id"]].values())
        if after is not None and not self.listing.ignore_after:
            items = [m for m in items if m["created"] > after]
        if before is not None:
            items = [m for m in items if m["created"] < before]
        items.sort(key=lambda m: (m[sort_by], m["id"]), reverse=sort_order(body))
        number = int_field(body, "page")
        first = 0 if self.listing.ignore_page else number if self.listing.page_base == 0 else page - 1
        start = first * per_page
        # No result_info: the spec defines none, so callers page until fewer than per_page return.
        return envelope([wire_message(m) for m in items[start : start + per_page]])

    def create_message(self, ctx: dict[str, Any]) -> dict[str, Any]:
        self.request(ctx["request_id"])
        content = content_field(ctx["body"])
        message = self.new_message(
            ctx["request_id"], author=ctx["author"], content=content or "", created=None
        )
        return envelope(wire_message(message))

    def update_message(self, ctx: dict[str, Any]) -> dict[str, Any]:
        message = self.message(ctx["request_id"], ctx["message_id"])
        content = content_field(ctx["body"])
        if content is not None:  # content is optional in request-message-edit
            message["content"] = content
        message["updated"] = self.now()
        self.touch(ctx["request_id"], message["updated"])
        return envelope(wire_message(message))

    def delete_message(self, ctx: dict[str, Any]) -> dict[str, Any]:
        self.message(ctx["request_id"], ctx["message_id"])
        del self.messages[ctx["request_id"]][ctx["message_id"]]
        self.touch(ctx["request_id"], self.now())
        return envelope(with_result=False)

    def touch(self, request_id: str, when: datetime) -> None:
        """A conversation moved: its request's `updated` follows, if these records are set to."""
        found = self.requests.get(request_id)
        if self.messages_touch_request and found is not None and when > found["updated"]:
            found["updated"] = when

    def request(self, request_id: str) -> dict[str, Any]:
        found = self.requests.get(request_id)
        if found is None:
            raise ApiError(404, CODE_REQUEST_NOT_FOUND, f"Request {request_id} not found")
        return found

    def message(self, request_id: str, message_id: int) -> dict[str, Any]:
        self.request(request_id)
        found = self.messages[request_id].get(message_id)
        if found is None:
            raise ApiError(404, CODE_MESSAGE_NOT_FOUND, f"Message {message_id} not found")
        return found

    def now(self) -> datetime:
        """The overridable clock; a naive datetime is taken as UTC."""
        return utc(self._clock())

    def new_request(self, *, request_id: str | None, created: datetime | str | None, **fields: Any) -> str:
        request_id = request_id or str(uuid.uuid4())
        if request_id in self.requests:
            raise ValueError(f"request {request_id} exists")
        now = as_time(created) or self.now()
        readable_id = fields.pop("readable_id") or f"RFI-{now.year}-{self._next_readable:06d}"
        self._next_readable += 1
        self.requests[request_id] = {
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
        self.messages[request_id] = {}
        return request_id

    def new_message(
        self, request_id: str, *, author: str, content: str, created: datetime | str | None
    ) -> dict[str, Any]:
        stamp = as_time(created)
        if stamp is None:
            stamp = self.now()
            taken = {m["created"] for m in self.messages[request_id].values()}
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
        self.messages[request_id][message["id"]] = message
        self.touch(request_id, stamp)
        return message
