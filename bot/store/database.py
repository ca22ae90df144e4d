"""The mapping store: one object holding the database and a named-operations module per table.

    store.links      links (bot/store/links.py): one row per linked thread, its cursor and lease
    store.messages   messages (bot/store/messages.py): the ts <-> id map and the message state machine
    store.events     slack_events (bot/store/events.py): the durable inbox of Slack events
    store.budgets    provider_budgets (bot/store/budgets.py): one shared token bucket per provider
    store.creations  request_creations (bot/store/creations.py): `/request new` submissions
    store.facts      provider_facts (bot/store/facts.py): what the bridge learned about each provider's API
    store.replicas   replicas (bot/store/replicas.py): each replica's heartbeat

Connections, transactions and the SQLite tuning live in bot/store/engine.py alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from bot.store.budgets import BudgetRows
from bot.store.creations import CreationRows
from bot.store.engine import Database
from bot.store.events import EventRows
from bot.store.facts import FactRows
from bot.store.links import LinkRows
from bot.store.messages import MessageRows
from bot.store.replicas import ReplicaRows

T = TypeVar("T")


class Store:
    """All reads and writes of the bridge's durable state, grouped by table."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.links = LinkRows(db)
        self.messages = MessageRows(db)
        self.events = EventRows(db)
        self.budgets = BudgetRows(db)
        self.creations = CreationRows(db)
        self.facts = FactRows(db)
        self.replicas = ReplicaRows(db)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect, then create or migrate the schema."""
        return cls(await Database.open(url))

    async def close(self) -> None:
        await self.db.close()

    @property
    def single_process(self) -> bool:
        """SQLite: one process owns the store, so every lease held by another name is an earlier run's."""
        return self.db.dialect == "sqlite"

    async def ping(self) -> bool:
        return await self.db.ping()

    async def run_sync(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` with a plain SQLAlchemy connection (schema inspection, diagnostics)."""
        return await self.db.run_sync(fn)
