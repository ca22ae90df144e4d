"""Numbered schema migrations, applied in order on start-up, each in its own transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Connection, inspect, select, text

from bot.store import schema

log = logging.getLogger(__name__)


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


def _v6_provider_facts(conn: Connection) -> None:
    # What the bridge learned about each provider's API (bot/store/facts.py).
    schema.provider_facts.create(conn, checkfirst=True)


# Append only: never edit a migration that has shipped.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _v1_initial),
    (2, _v2_link_leases),
    (3, _v3_budget_and_schedule),
    (4, _v4_notify_and_linked_ts),
    (5, _v5_request_creations),
    (6, _v6_provider_facts),
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
