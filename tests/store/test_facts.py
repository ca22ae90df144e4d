"""What providers learned about their APIs, kept per provider, on each real database."""

from __future__ import annotations

import asyncio

from bot.store.database import Store
from tests.store.test_store import store_url


def test_facts_are_kept_per_provider_and_replaced_whole(database_url: str) -> None:
    async def scenario() -> None:
        store = await Store.open(store_url(database_url))
        assert await store.facts.of("cloudforce-one") == {}
        await store.facts.put("cloudforce-one", {"page_base": "1", "page_ignored": "no"})
        await store.facts.put("jitsudo", {"request_route": "absent"})
        await store.facts.put("cloudforce-one", {"page_base": "0"})
        assert await store.facts.of("cloudforce-one") == {"page_base": "0"}
        assert await store.facts.of("jitsudo") == {"request_route": "absent"}
        await store.close()
        reopened = await Store.open(store_url(database_url))  # a restart
        assert await reopened.facts.of("jitsudo") == {"request_route": "absent"}
        await reopened.close()

    asyncio.run(scenario())
