"""Databases for tests: a SQLite file, or a fresh database on the PostgreSQL server named by
TEST_DATABASE_URL (an admin URL, e.g. postgresql://bridge:bridge@127.0.0.1:5432/postgres; .ci/run sets it)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
STORES = ["sqlite", "postgresql"] if ADMIN_URL else ["sqlite"]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database for one test; dropped afterwards. Yields its postgresql:// URL."""
    name = f"bridge_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
