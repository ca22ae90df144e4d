"""pydantic models mirroring Cloudflare's Cloudforce One request/message schemas, field for field.

Unknown fields are kept (extra="allow"): Cloudflare adds fields over time and the bridge must not crash.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ResponseInfo(_Open):
    """An entry of `errors` / `messages` in the v4 envelope."""

    # The SDK types `code` as an int, but reads failures without validating them: an entry without a code
    # (or without a message) must still reach the person.
    code: int | None = None
    message: str = ""
    documentation_url: str | None = None
    source: dict[str, Any] | None = None


class Envelope(_Open):
    """The Cloudflare v4 response envelope."""

    success: bool
    errors: list[ResponseInfo] = Field(default_factory=list)
    messages: list[ResponseInfo] = Field(default_factory=list)
    result: Any = None


class MessageItem(_Open):
    """cloudforce-one-requests_request-message-item."""

    id: int
    author: str
    content: str
    is_follow_on_request: bool
    updated: str
    created: str | None = None


class RequestItem(_Open):
    """cloudforce-one-requests_request-item (required fields as the spec says; the rest optional)."""

    id: str
    created: str | None = None
    updated: str | None = None
    content: str | None = None
    priority: str | None = None
    request: str | None = None
    summary: str | None = None
    tlp: str | None = None
    completed: str | None = None
    message_tokens: int | None = None
    readable_id: str | None = None
    status: str | None = None
    tokens: int | None = None


class MessageListParams(BaseModel):
    """cloudforce-one-requests_request-message-list (the body of the list call)."""

    page: int
    per_page: int
    after: str | None = None
    before: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None


class RequestEdit(BaseModel):
    """cloudforce-one-requests_request-edit: the body of Create a New Request (every field optional; the API
    assigns a default to what is left out)."""

    content: str | None = None
    priority: str | None = None
    request_type: str | None = None
    summary: str | None = None
    tlp: str | None = None


class RequestConstants(_Open):
    """cloudforce-one-requests_request-constants: the priorities, statuses and TLP levels requests may take.
    Each list is optional in the SDK's types (`Optional[List[...]]`): null means "none listed"."""

    priority: list[str] | None = None
    status: list[str] | None = None
    tlp: list[str] | None = None
