"""Tables of the mapping store, as SQLAlchemy Core metadata (one definition for every engine)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", Float, nullable=False),
)

# One row per linked Slack thread. `state`: linking (root not posted yet) -> active -> unlinked.
links = Table(
    "links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(32), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("thread_ts", String(32)),
    Column("state", String(16), nullable=False),
    Column("title", Text),
    Column("request_status", String(32)),
    Column("created_by", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    # Newest provider `created` time seen; the next poll asks only for what came after it.
    Column("poll_cursor", String(40)),
    Column("polls", Integer, nullable=False, default=0),
    Column("last_polled_at", Float),
    # Added by migration 2: the replica that works on this link, and until when.
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    UniqueConstraint("channel_id", "thread_ts", name="uq_links_thread"),
    Index("ix_links_request", "provider", "request_id"),
)

# The Slack ts <-> provider message id map. Unique on both sides, so nothing can be mapped twice.
# origin=slack:    pending -> sent | failed, then deleted
# origin=provider: posting (Slack post may be in flight) -> posted, then deleted
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("link_id", Integer, ForeignKey("links.id"), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("slack_ts", String(64)),
    Column("provider_message_id", String(64)),
    Column("slack_user", String(32)),
    # The provider-side author, shown in Slack for provider-origin messages.
    Column("author", Text),
    Column("author_role", String(32)),
    # What the other side holds now: the text we created/updated there, or the provider text we mirrored.
    Column("content", Text, nullable=False, default=""),
    Column("provider_created", String(40)),
    # `edited.ts` of the newest Slack edit applied, so an older edit arriving late is not applied over it.
    Column("slack_edited_ts", String(32)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("link_id", "slack_ts", name="uq_messages_slack"),
    UniqueConstraint("link_id", "provider_message_id", name="uq_messages_provider"),
)

# Durable inbox of Slack thread events, written before Slack gets its ack. `dedup_key` makes a retried
# or repeated delivery a no-op; `seq` keeps the order in which a thread's events happened.
slack_events = Table(
    "slack_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(200), nullable=False, unique=True),
    Column("event_id", String(64)),
    Column("link_id", Integer, ForeignKey("links.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("slack_ts", String(64), nullable=False),
    Column("edited_ts", String(32)),
    Column("user_id", String(32)),
    Column("text", Text, nullable=False, default=""),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False, default=0.0),
    Column("last_error", Text),
    Column("received_at", Float, nullable=False),
    Index("ix_slack_events_pending", "state", "link_id", "slack_ts", "seq"),
)
