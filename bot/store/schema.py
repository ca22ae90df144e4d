"""Tables of the mapping store, as SQLAlchemy Core metadata (one definition for every engine)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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
    false,
    text,
)

metadata = MetaData()
# The rows that hold their request (and thread): every state but `unlinked`.
LIVE_LINK = "state <> 'unlinked'"

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
    # Added by migration 3 (bot/bridge/schedule.py): the last message seen either side, the last reply created from
    # Slack, and when the scheduler planned the next poll at the last one.
    Column("last_activity_at", Float),
    Column("last_slack_reply_at", Float),
    Column("next_poll_at", Float),
    # Added by migration 4 (bot/bridge/notifications.py): whether the person who linked is mentioned when the other
    # side answers; and, for a thread that existed before it was linked (the "Link thread to request"
    # shortcut), the ts of the link's announcement there: what the thread held before it is not bridged.
    Column("notify_linker", Boolean, nullable=False, default=False, server_default=false()),
    Column("linked_ts", String(32)),
    # A thread holds one link at a time (an unlinked row gives its thread_ts up when the thread is linked again).
    UniqueConstraint("channel_id", "thread_ts", name="uq_links_thread"),
    Index("ix_links_request", "provider", "request_id"),
    # Added by migration 6: one live link (being linked, or active) per request, whichever channel asks.
    Index("uq_links_live_request", "provider", "request_id", unique=True,
          sqlite_where=text(LIVE_LINK), postgresql_where=text(LIVE_LINK)),
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

# Added by migration 3: one token bucket per provider, shared by every replica (bot/budget/ledger.py). A take is one
# conditional UPDATE, so concurrent takers never overdraw it. `paused_until`: after a 429, nothing is sent
# before then. `window_started`/`window_used`: calls counted in the current window, for metrics.
provider_budgets = Table(
    "provider_budgets",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("per_second", Float, nullable=False),
    Column("capacity", Float, nullable=False),
    Column("window_seconds", Float, nullable=False),
    Column("requests", Float, nullable=False),
    Column("paused_until", Float, nullable=False, default=0.0),
    Column("window_started", Float, nullable=False, default=0.0),
    Column("window_used", Float, nullable=False, default=0.0),
    Column("throttled", Integer, nullable=False, default=0),
)

# Added by migration 5: one row per `/request new` modal submitted (bot/bridge/new_request.py). Slack can deliver a
# submission twice (a retry, a double click): the view id is the key, so the second one creates nothing.
# state: creating -> created | failed.
request_creations = Table(
    "request_creations",
    metadata,
    Column("view_id", String(64), primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("request_id", String(64)),
    Column("created_at", Float, nullable=False),
)

# Added by migration 7: what the bridge learned about a provider's API from its answers (Cloudforce One's page
# base, a JITSudo route that is not there), so that a restart or another replica does not pay to learn it again.
provider_facts = Table(
    "provider_facts",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
    Column("learned_at", Float, nullable=False),
)

# Added by migration 8: one row per running replica and the time of its last heartbeat (bot/bridge/leases.py). A
# lease whose holder has stopped beating is free after a few missed beats, instead of after LEASE_SECONDS.
replicas = Table(
    "replicas",
    metadata,
    Column("replica_id", String(64), primary_key=True),
    Column("beat_at", Float, nullable=False),
    Column("started_at", Float, nullable=False),
)
