"""Numbered schema migrations, applied in order on start-up, each in its own transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, inspect, select, text, update

from bot.models import LinkState
from bot.store import schema

log = logging.getLogger(__name__)
L = schema.links


def _v1_initial(conn: Connection) -> None:
    for table in (schema.links, schema.messages, schema.slack_events):
        table.create(conn, checkfirst=True)


def _v2_link_leases(conn: Connection) -> None:
    # Which replica polls a link and applies its Slack events, until when (see bot/bridge/leases.py). A new
    # database got these columns from migration 1, which builds the current tables.
    present = {c["name"] for c in inspect(conn).get_columns("links")}
    if "lease_owner" not in present:
        conn.execute(text("ALTER TABLE links ADD COLUMN lease_owner VARCHAR(64)"))
    if "lease_until" not in present:
        conn.execute(text("ALTER TABLE links ADD COLUMN lease_until FLOAT"))


def _v3_budget_and_schedule(conn: Connection) -> None:
    # Adaptive polling (bot/bridge/schedule.py) and the shared request budget (bot/budget/ledger.py).
    present = {c["name"] for c in inspect(conn).get_columns("links")}
    for column in ("last_activity_at", "last_slack_reply_at", "next_poll_at"):
        if column not in present:
            conn.execute(text(f"ALTER TABLE links ADD COLUMN {column} FLOAT"))
    schema.provider_budgets.create(conn, checkfirst=True)


def _v4_notify_and_linked_ts(conn: Connection) -> None:
    # Mentions of the linker on answers (bot/bridge/notifications.py), and where a linked pre-existing thread's
    # bridged part begins (bot/bridge/linking.py).
    present = {c["name"] for c in inspect(conn).get_columns("links")}
    if "notify_linker" not in present:
        conn.execute(text("ALTER TABLE links ADD COLUMN notify_linker BOOLEAN NOT NULL DEFAULT FALSE"))
    if "linked_ts" not in present:
        conn.execute(text("ALTER TABLE links ADD COLUMN linked_ts VARCHAR(32)"))


def _v5_request_creations(conn: Connection) -> None:
    # `/request new` submissions, keyed by view id so a repeated submission creates one request.
    schema.request_creations.create(conn, checkfirst=True)


def _v6_one_live_link_per_request(conn: Connection) -> None:
    # One request, one thread (bot/store/link_claims.py). A store from before may hold several live links of
    # one request (concurrent links raced past the old check-then-insert): the oldest active one keeps the
    # request (the one whose thread people have used longest), the others are unlinked and named in the log
    # (their Slack threads stay, and stop syncing), so the unique index can be built and start-up goes on.
    live = conn.execute(select(L).where(L.c.state != LinkState.UNLINKED).order_by(L.c.id)).all()
    for row in _duplicate_links(live):
        log.warning("two live links of one request: unlinking the newer one",
                    extra={"link_id": row.id, "provider": row.provider, "request_id": row.request_id,
                           "channel": row.channel_id, "thread_ts": row.thread_ts})
        conn.execute(update(L).where(L.c.id == row.id).values(state=LinkState.UNLINKED))
    for index in L.indexes:
        if index.name == "uq_links_live_request":
            index.create(conn, checkfirst=True)


def _duplicate_links(live: Sequence[Row[Any]]) -> list[Row[Any]]:
    """The live links to unlink so that each request keeps one: its oldest active one, else its oldest (pure)."""
    by_request: dict[tuple[str, str], list[Row[Any]]] = {}
    for row in live:
        by_request.setdefault((row.provider, row.request_id), []).append(row)
    extra: list[Row[Any]] = []
    for rows in by_request.values():
        keep = next((r for r in rows if r.state == LinkState.ACTIVE), rows[0])
        extra.extend(r for r in rows if r is not keep)
    return extra


def _v7_provider_facts(conn: Connection) -> None:
    # What the bridge learned about each provider's API (bot/store/facts.py).
    schema.provider_facts.create(conn, checkfirst=True)


def _v8_replica_heartbeats(conn: Connection) -> None:
    # Replicas show they are alive (bot/bridge/leases.py); a dead one's leases are free after a few missed beats.
    schema.replicas.create(conn, checkfirst=True)


# Append only: never edit a migration that has shipped.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _v1_initial),
    (2, _v2_link_leases),
    (3, _v3_budget_and_schedule),
    (4, _v4_notify_and_linked_ts),
    (5, _v5_request_creations),
    (6, _v6_one_live_link_per_request),
    (7, _v7_provider_facts),
    (8, _v8_replica_heartbeats),
]


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    found = conn.execute(select(schema.schema_version.c.version).order_by(schema.schema_version.c.version.desc()))
    row = found.first()
    return int(row[0]) if row else 0


def migrate(conn: Connection) -> int:
    """Bring the schema up to date; return the version reached.

    The caller runs this in one transaction: a crash mid-migration rolls back to the previous version.
    """
    schema.schema_version.create(conn, checkfirst=True)
    version = current_version(conn)
    for number, step in MIGRATIONS:
        if number > version:
            log.info("applying migration", extra={"migration": number})
            step(conn)
            conn.execute(schema.schema_version.insert().values(version=number, applied_at=time.time()))
            version = number
    return version
