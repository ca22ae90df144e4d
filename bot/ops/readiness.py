"""`GET /readyz`: ready only while the database answers and Slack accepts the bot token.

/healthz stays a liveness check (the process and its database); readiness also needs Slack, so a load
balancer stops sending traffic to a replica that could not act on it. Slack is asked at most once per
`ttl` seconds: probes come every few seconds and auth.test is rate-limited (Tier 4).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.errors import BridgeError


@dataclass
class Readiness:
    """Checks the store and Slack; remembers Slack's answer for `ttl` seconds."""

    ping_database: Callable[[], Awaitable[bool]]
    auth_test: Callable[[], Awaitable[dict[str, Any]]]
    # What the bot's own use of the database found wrong, if anything (bot/bridge/outage.py): a SQLite file
    # that cannot be written still answers the ping.
    database_outage: Callable[[], str | None] = lambda: None
    ttl: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _slack: tuple[float, str | None] | None = field(default=None, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def _database_problem(self) -> str | None:
        try:
            problem = None if await self.ping_database() else "database: no answer"
        except Exception as exc:  # a broken database is exactly what this check reports
            problem = f"database: {type(exc).__name__}"
        return problem or self.database_outage()

    async def _slack_problem(self) -> str | None:
        async with self._lock:
            if self._slack is not None and self.clock() - self._slack[0] < self.ttl:
                return self._slack[1]
            try:
                await self.auth_test()
                problem = None
            except BridgeError as exc:
                problem = f"slack: {exc}"
            self._slack = (self.clock(), problem)
            return problem

    async def check(self) -> tuple[bool, dict[str, Any]]:
        """(ready, body): the body names each check and what is wrong."""
        database, slack = await asyncio.gather(self._database_problem(), self._slack_problem())
        problems = [p for p in (database, slack) if p]
        body: dict[str, Any] = {"status": "ready" if not problems else "not ready",
                                "database": database is None, "slack": slack is None}
        if problems:
            body["problems"] = problems
        return not problems, body
