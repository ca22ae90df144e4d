"""What providers learn from answers (SupportsLearning: Cloudforce One's page base, a JITSudo route that is
absent), recalled from the store before a provider's first poll in this process and written back when it
changed, so a restart or another replica does not pay to learn it again."""

from __future__ import annotations

from bot.providers.base import Provider, SupportsLearning
from bot.store.database import Store


class LearnedFacts:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._kept: dict[str, dict[str, str]] = {}  # per provider: what the store holds

    async def recall(self, name: str, provider: Provider) -> None:
        """Before the provider's first poll in this process: start from what the store holds."""
        if isinstance(provider, SupportsLearning) and name not in self._kept:
            self._kept[name] = await self._store.facts.of(name)
            provider.recall(self._kept[name])

    async def keep(self, name: str, provider: Provider) -> None:
        """After a poll: store what the provider learned, if it learned something new."""
        if isinstance(provider, SupportsLearning):
            learned = provider.learned()
            if learned != self._kept.get(name):
                await self._store.facts.put(name, learned)
                self._kept[name] = learned
