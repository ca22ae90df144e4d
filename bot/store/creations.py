"""The request_creations table: `/request new` submissions, one row per modal (see bot/bridge/new_request.py)."""

from __future__ import annotations

import time

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.engine import Database

C = schema.request_creations


class CreationRows:
    """Claim a submitted modal before creating its request, record how it ended."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, *, view_id: str, user_id: str, channel_id: str, provider: str) -> bool:
        """True for the first delivery of a submission; False for a repeat (the first one does the work)."""
        try:
            async with self._db.write() as conn:
                await conn.execute(C.insert().values(
                    view_id=view_id, user_id=user_id, channel_id=channel_id, provider=provider,
                    state="creating", created_at=time.time()))
        except IntegrityError:
            return False
        return True

    async def finish(self, view_id: str, *, state: str, request_id: str | None = None) -> None:
        async with self._db.write() as conn:
            await conn.execute(update(C).where(C.c.view_id == view_id).values(state=state, request_id=request_id))
