"""pydantic models mirroring JITSudo's access-request and request-message schemas, field for field.

Unknown fields are kept (extra="allow"). Enumerations (author_type, status, resource type) are plain
strings: a value added by JITSudo later must not make the bridge drop a message. Date-times stay the
strings the API sent; `created_at` is checked to parse so a garbled one is caught at the boundary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

AUTHOR_TYPES = ("user", "approver", "system", "ai")
REQUEST_STATUSES = ("pending", "approved", "denied", "expired", "cancelled")
RESOURCE_TYPES = (
    "aws_account",
    "aws_permission_set",
    "aws_s3_bucket",
    "aws_rds_instance",
    "aws_ec2_instance",
    "aws_organizational_unit",
)


def parse_time(value: str) -> datetime:
    """An RFC 3339 date-time; one without an offset is taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(_Open):
    """The error object every failing operation answers with."""

    code: str
    message: str
    details: dict[str, Any] | None = None
    notices: list[str] | None = None  # Cedar policy notices, shown to people as they are


class RequestMessage(_Open):
    """RequestMessage (every field required by the spec)."""

    id: str
    request_id: str
    author_type: str
    author_id: str
    content: str
    metadata: dict[str, Any]
    created_at: str

    @field_validator("created_at")
    @classmethod
    def _created_at_parses(cls, value: str) -> str:
        parse_time(value)
        return value


class CreateRequestMessageBody(BaseModel):
    """CreateRequestMessageBody: the body of POST /v1/requests/{id}/messages."""

    content: str
    metadata: dict[str, Any] | None = None


class RequestMessageList(_Open):
    """The 200 answer of GET /v1/requests/{id}/messages."""

    data: list[RequestMessage]
    next_cursor: str | None = None
    has_more: bool


class ListRequestMessagesParams(BaseModel):
    """The query of GET /v1/requests/{id}/messages."""

    limit: int | None = None  # default 50, maximum 250
    cursor: str | None = None  # opaque, from the previous page's next_cursor


class Resource(_Open):
    """AccessRequest.resource."""

    type: str
    id: str


class AccessRequest(_Open):
    """AccessRequest as rendered on the docs (fields after `metadata` were not captured)."""

    id: str
    requester_id: str
    resource: Resource
    action: str
    reason: str | None = None
    status: str
    decision_reasoning: str | None = None
    decided_by: str | None = None
    approval_mode: str | None = None
    break_glass: bool | None = None
    duration_seconds: int | None = None
    metadata: dict[str, Any]


class Grant(_Open):
    """An entry of `grants` in the access request status (the spec does not say which are required)."""

    id: str
    name: str | None = None
    status: str | None = None
    approved: bool | None = None
    expires_at: str | None = None
    activated_at: str | None = None
    provisioning_status: str | None = None


class AccessRequestStatus(_Open):
    """The 200 answer of GET /v1/access/requests/{id}."""

    id: str
    status: str
    grants: list[Grant]
