"""The provider_budgets table: one token bucket per provider, shared by every replica (see bot/budget/ledger.py).

Each change is one conditional UPDATE that refills and spends in the same statement, so two replicas
(or two tasks) taking the last token at once cannot both get it, on SQLite and PostgreSQL alike:
PostgreSQL re-checks the WHERE clause on the row a concurrent UPDATE just wrote, SQLite has one writer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, bindparam, case, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from bot.budget.bucket import Limit
from bot.store import schema
from bot.store.engine import Database

B = schema.provider_budgets


def _refilled(now: float | ColumnElement[Any]) -> ColumnElement[Any]:
    """The row's tokens refilled up to `now`, in SQL (bot.budget.bucket.refilled, for the database)."""
    at = now if isinstance(now, ColumnElement) else literal(now, Float)
    elapsed = case((B.c.updated_at < at, at - B.c.updated_at), else_=literal(0.0, Float))
    grown = B.c.tokens + elapsed * B.c.per_second
    return case((grown > B.c.capacity, B.c.capacity), else_=grown)


def _take_statement() -> Any:
    # Every provider call runs this: built once, with its values bound per call (building it cost more
    # than running it on SQLite).
    at = bindparam("b_now", type_=Float)
    cost = bindparam("b_cost", type_=Float)
    refilled = _refilled(at)
    new_window = (at - B.c.window_started) >= B.c.window_seconds
    return (update(B)
            .where(B.c.provider == bindparam("b_provider"), B.c.paused_until <= at,
                   refilled >= cost + bindparam("b_floor", type_=Float))
            .values(tokens=refilled - cost, updated_at=case((B.c.updated_at < at, at), else_=B.c.updated_at),
                    window_used=case((new_window, cost), else_=B.c.window_used + cost),
                    window_started=case((new_window, at), else_=B.c.window_started))
            .returning(*B.c))


_TAKE = _take_statement()


def _later(column: Any, now: float) -> ColumnElement[Any]:
    at = literal(now, Float)
    return case((column < at, at), else_=column)


class BudgetRows:
    """Reads and atomic updates of provider_budgets."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure(self, provider: str, *, limit: Limit, now: float) -> None:
        """Create the provider's bucket (full), or apply the configured limit to the existing one."""
        capacity = limit.capacity
        values = {"requests": limit.requests, "window_seconds": limit.window, "per_second": limit.per_second,
                  "capacity": capacity}
        async with self._db.write() as conn:
            found = await conn.execute(update(B).where(B.c.provider == provider).values(
                **values, tokens=case((B.c.tokens > capacity, capacity), else_=B.c.tokens)))
        if found.rowcount:
            return
        try:
            async with self._db.write() as conn:
                await conn.execute(B.insert().values(
                    provider=provider, tokens=capacity, updated_at=now, paused_until=0.0, window_started=now,
                    window_used=0.0, throttled=0, **values))
        except IntegrityError:
            pass  # another replica created it a moment ago

    async def take(self, provider: str, *, cost: float, floor: float, now: float) -> dict[str, Any] | None:
        """Spend `cost` tokens unless that leaves fewer than `floor` or the provider is paused.

        Returns the row after the take, or None when nothing was taken.
        """
        async with self._db.write() as conn:
            result = await conn.execute(_TAKE, {"b_provider": provider, "b_now": now, "b_cost": cost,
                                                "b_floor": floor})
            row = result.mappings().first()
        return dict(row) if row is not None else None

    async def row(self, provider: str) -> dict[str, Any] | None:
        rows = await self._db.fetch(select(B).where(B.c.provider == provider))
        return dict(rows[0]) if rows else None

    async def rows(self) -> list[dict[str, Any]]:
        return [dict(row) for row in await self._db.fetch(select(B).order_by(B.c.provider))]

    async def pause(self, provider: str, *, until: float, now: float) -> None:
        """The provider answered 429: nothing is sent to it before `until`, from any replica."""
        async with self._db.write() as conn:
            await conn.execute(update(B).where(B.c.provider == provider).values(
                paused_until=_later(B.c.paused_until, until), tokens=case((B.c.tokens > 0, 0.0), else_=B.c.tokens),
                updated_at=_later(B.c.updated_at, now), throttled=B.c.throttled + 1))

    async def cap(self, provider: str, *, ceiling: float, now: float) -> None:
        """The provider says fewer calls are left than the bucket holds: lower the bucket to `ceiling`."""
        refilled = _refilled(now)
        async with self._db.write() as conn:
            await conn.execute(update(B).where(B.c.provider == provider, refilled > ceiling).values(
                tokens=literal(ceiling, Float), updated_at=_later(B.c.updated_at, now)))

    async def lower_rate(self, provider: str, *, limit: Limit) -> None:
        """The provider's own policy is tighter than the configured limit: spend at its pace instead."""
        async with self._db.write() as conn:
            await conn.execute(update(B).where(B.c.provider == provider, B.c.per_second > limit.per_second).values(
                per_second=limit.per_second, requests=limit.requests, window_seconds=limit.window,
                capacity=case((B.c.capacity > limit.capacity, limit.capacity), else_=B.c.capacity)))
