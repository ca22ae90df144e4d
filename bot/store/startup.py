"""Opening the store at start-up, with whatever the database driver raises turned into one line."""

from __future__ import annotations

from bot.errors import ConfigError
from bot.store.database import Store


async def open_store(url: str) -> Store:
    """Store.open; a database that cannot be reached, refuses the credentials, or cannot be created is a
    ConfigError naming DATABASE_URL with the driver's first line (no traceback; the CLI masks secrets)."""
    try:
        return await Store.open(url)
    except ConfigError:
        raise
    except Exception as exc:  # asyncpg, sqlite3, OSError, SQLAlchemy: each says it differently
        cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
        first = (str(cause).strip().splitlines() or [""])[0][:200]
        reason = f"{type(cause).__name__}: {first}" if first else type(cause).__name__
        raise ConfigError(f"DATABASE_URL: cannot open the database ({reason})") from None
