"""The provider_facts table: what the bridge learned about a provider's API from its answers (a name and a
value each, e.g. Cloudforce One's `page_base`), kept so that a restart or another replica starts knowing it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.engine import Database

F = schema.provider_facts


class FactRows:
    """Read a provider's facts; replace them when the provider learned something."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, provider: str) -> dict[str, str]:
        rows = await self._db.fetch(select(F.c.name, F.c.value).where(F.c.provider == provider))
        return {row.name: row.value for row in rows}

    async def put(self, provider: str, facts: Mapping[str, str]) -> None:
        """The provider's facts become `facts` (one transaction: a reader sees the old set or the new). When
        another replica stores its own at the same moment, its set is kept: what one learned, the other did too."""
        now = time.time()
        with contextlib.suppress(IntegrityError):
            async with self._db.write() as conn:
                await conn.execute(delete(F).where(F.c.provider == provider))
                if facts:
                    await conn.execute(F.insert(), [{"provider": provider, "name": name, "value": value,
                                                     "learned_at": now} for name, value in facts.items()])
