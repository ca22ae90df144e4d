"""Which replica works on which link. Only the holder of a link's lease polls it and applies its Slack
events, so several replicas on one PostgreSQL never post or create the same message twice; a replica
that dies loses its leases after LEASE_SECONDS and the others take its links over."""

from __future__ import annotations

import socket

from bot.store.database import Store


def replica_id(*, configured: str | None, port: int) -> str:
    """REPLICA_ID, else host:PORT: unique among live replicas (two on one host listen on two ports), and
    the same for a process restarted in place, which then takes its links back without waiting."""
    return configured or f"{socket.gethostname()[:50]}:{port}"


class Leases:
    def __init__(self, *, store: Store, owner: str, seconds: float) -> None:
        self.owner = owner
        self._store = store
        self._seconds = seconds

    async def hold(self, link_id: int) -> bool:
        """Take or renew the lease; False while another live replica holds it."""
        return await self._store.links.claim(link_id, owner=self.owner, seconds=self._seconds)

    async def release_all(self) -> None:
        await self._store.links.release(owner=self.owner)
