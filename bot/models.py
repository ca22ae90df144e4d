"""Domain records: the rows of the mapping store as plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Link ids are INTEGER columns: 32-bit on PostgreSQL. A forged id past that is refused, not sent to the database.
MAX_LINK_ID = 2**31 - 1
_ASCII_DIGITS = frozenset("0123456789")


def parse_link_id(value: object) -> int | None:
    """A link id from a payload (a button's value, a modal's choice), or None for anything that cannot be one:
    not ASCII digits (`str.isdigit` also takes "²" and "١"), zero, or out of range (pure)."""
    if not isinstance(value, str) or not value or len(value) > 10 or not set(value) <= _ASCII_DIGITS:
        return None
    number = int(value)
    return number if 0 < number <= MAX_LINK_ID else None


class LinkState(StrEnum):
    LINKING = "linking"
    ACTIVE = "active"
    UNLINKED = "unlinked"


class Origin(StrEnum):
    SLACK = "slack"
    PROVIDER = "provider"


class MessageState(StrEnum):
    PENDING = "pending"  # slack-origin, not created on the provider yet
    SENT = "sent"  # slack-origin, created on the provider
    FAILED = "failed"  # slack-origin, refused for good; its author was told
    POSTING = "posting"  # provider-origin, a Slack post may be in flight
    POSTED = "posted"  # provider-origin, posted in the thread
    DELETED = "deleted"
    DUPLICATE = "duplicate"  # a late second copy of a slack-origin create, removed from the provider


class EventKind(StrEnum):
    REPLY = "reply"
    EDIT = "edit"
    DELETE = "delete"


class EventState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Link:
    id: int
    provider: str
    request_id: str
    channel_id: str
    thread_ts: str | None
    state: str
    title: str | None
    request_status: str | None
    created_by: str
    created_at: float
    poll_cursor: str | None
    polls: int
    last_polled_at: float | None
    lease_owner: str | None = None
    lease_until: float | None = None
    last_activity_at: float | None = None
    last_slack_reply_at: float | None = None
    next_poll_at: float | None = None
    notify_linker: bool = False
    linked_ts: str | None = None


@dataclass(frozen=True)
class MappedMessage:
    id: int
    link_id: int
    origin: str
    state: str
    slack_ts: str | None
    provider_message_id: str | None
    slack_user: str | None
    author: str | None
    author_role: str | None
    content: str
    provider_created: str | None
    slack_edited_ts: str | None
    attempts: int
    error: str | None
    created_at: float


@dataclass(frozen=True)
class SlackEvent:
    seq: int
    dedup_key: str
    event_id: str | None
    link_id: int
    kind: str
    slack_ts: str
    edited_ts: str | None
    user_id: str | None
    text: str
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    received_at: float
